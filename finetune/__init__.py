"""Fine-tuning: build SFT data with assistant.prompts → LoRA (peft) → export for vLLM (evaluated by
`assistant.evals.finetune`)."""
