"""Fine-tuning: build SFT data with assistant.prompts → LoRA (peft) → evaluate → export for vLLM."""
