"""LoRA SFT with TRL's `SFTTrainer`: loss on the answer only, checkpoints + resume.

`main(config)` trains; `load_config(path, overrides)` reads YAML (`train:` section) with
`key=value` overrides. Each dataset row (a chat ending with the assistant's target) becomes a
conversational prompt-completion pair, so TRL masks the prompt and computes the loss on the
target alone, with its chunked LM head (no full-vocabulary logits). The result is a PEFT adapter
folder (adapter_config.json records the base model path) that vLLM serves with
`--enable-lora --lora-modules shop=DIR` and the transformers backend loads with
`PeftModel.from_pretrained`.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.llm.weights import write_adapter_card

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainConfig:
    """Hyper-parameters and paths of one LoRA SFT run."""

    train_file: str = "runs/shop-smollm2/data/train.jsonl"
    """JSONL rows with a chat "messages" list ending with the assistant target."""
    validation_file: str | None = "runs/shop-smollm2/data/validation.jsonl"
    """Held-out rows for the before/after validation loss (None: skip)."""
    output_dir: str = "runs/shop-smollm2"
    """Run folder: adapter/ (final), checkpoints/, summary.json, config.json."""
    base_model: str | None = None
    """Any Hugging Face causal LM folder; None: the embedded SmolLM2-135M-Instruct."""
    model_cache: str | None = None
    """Where the embedded model is converted (None: the SHOPASSIST_MODEL_CACHE default)."""
    lora_r: int = 16
    """LoRA rank; keep it <= the server's --max-lora-rank (16)."""
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR))
    max_length: int = 1024
    """Longer examples are skipped (never cut: the target would lose its end)."""
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 3e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    epochs: float = 1.0
    max_steps: int = 0
    """Optimizer steps; 0: derived from epochs."""
    max_examples: int = 0
    """Use only the first N training rows (0: all)."""
    seed: int = 0
    threads: int = 0
    """torch CPU threads (0: torch's default)."""
    dtype: str = "auto"
    """auto: bf16 on GPU, fp32 on CPU; or float32 / bfloat16."""
    autocast: str = "auto"
    """bf16 autocast over fp32 weights on CPU: true, false, or auto (where the CPU multiplies bf16
    natively, AMX / AVX512-BF16: ~1.2x faster on the 2-core box, 245 vs 206 tokens/s)."""
    gradient_checkpointing: str = "auto"
    """auto: on for GPU; true / false."""
    save_every: int = 50
    """Checkpoint every N optimizer steps (0: only at the end)."""
    keep_checkpoints: int = 2
    resume: bool = True
    """Continue from the newest checkpoint in output_dir when there is one."""
    save_dtype: str = "bfloat16"
    """dtype of the saved adapter weights (bf16: half the size, what vLLM computes in)."""
    eval_examples: int = 32
    progress: bool = True


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """TrainConfig from YAML (its `train:` section, or the top level) plus `key=value` overrides."""
    import yaml

    doc: dict[str, Any] = {}
    if path:
        doc = yaml.safe_load(Path(path).read_text()) or {}
        doc = doc.get("train", doc)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            msg = f"override {item!r} is not key=value (e.g. --set train.learning_rate=1e-4)"
            raise ValueError(msg)
        doc[key.removeprefix("train.")] = yaml.safe_load(value)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(doc) - known)
    if unknown:
        msg = f"unknown training settings {unknown}; known: {sorted(known)}"
        raise ValueError(msg)
    cfg = TrainConfig(**doc)
    if cfg.lora_r > 64 or cfg.lora_r < 1:
        msg = f"lora_r={cfg.lora_r}: use 1..64 (and <= the vLLM server's --max-lora-rank)"
        raise ValueError(msg)
    return cfg


def resolve_base(cfg: TrainConfig) -> Path:
    """The base model folder (the embedded SmolLM2 converted once when none is configured)."""
    if cfg.base_model:
        return Path(cfg.base_model).expanduser().resolve()
    import os

    from assistant.llm.base import default_model_cache
    from assistant.llm.weights import ensure_base_model

    cache = cfg.model_cache or os.environ.get("SHOPASSIST_MODEL_CACHE") or default_model_cache()
    return ensure_base_model(Path(cache)).resolve()


# --- data -------------------------------------------------------------------------------------


def token_length(tokenizer, messages: list[dict]) -> int:
    """Tokens of the whole chat as the model sees it in training."""
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def load_examples(path: str | Path, tokenizer, max_length: int, limit: int = 0) -> tuple:
    """(prompt-completion rows, skipped count) from a JSONL file of chats.

    Rows longer than max_length are skipped, not cut. ValueError when a row was made with another
    prompt version than this code's (the adapter would learn prompts it is never sent).
    """
    from assistant.prompts import PROMPT_VERSION

    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                rows.append(json.loads(line))
                made = rows[-1].get("meta", {}).get("prompt_version", PROMPT_VERSION)
                if made != PROMPT_VERSION:
                    msg = (f"{path}:{n}: made with prompt version {made!r}, but this code writes "
                           f"{PROMPT_VERSION!r}; rebuild the dataset (finetune/dataset.py)")  # fmt: skip
                    raise ValueError(msg)
            if limit and len(rows) >= limit:
                break
    chats = [
        r["messages"] for r in rows if r["messages"] and r["messages"][-1]["role"] == "assistant"
    ]
    kept = [m for m in chats if token_length(tokenizer, m) <= max_length]
    pairs = [{"prompt": m[:-1], "completion": m[-1:]} for m in kept]
    return pairs, len(rows) - len(kept)


# --- model and trainer ------------------------------------------------------------------------


def use_autocast(cfg: TrainConfig, gpu: bool) -> bool:
    """bf16 autocast on CPU: when asked, or (auto) when the CPU multiplies bf16 natively."""
    import torch

    if gpu or cfg.autocast == "false" or cfg.dtype == "bfloat16":
        return False
    return cfg.autocast == "true" or bool(
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def sft_config(cfg: TrainConfig, steps_dir: Path, gpu: bool):
    """TRL's SFTConfig for this run (completion-only loss, no truncation: rows were filtered)."""
    from trl import SFTConfig

    checkpointing = cfg.gradient_checkpointing == "true" or (
        cfg.gradient_checkpointing == "auto" and gpu
    )
    return SFTConfig(
        output_dir=str(steps_dir),
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_ratio,
        lr_scheduler_type="cosine",
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps or -1,
        max_grad_norm=1.0,
        seed=cfg.seed,
        data_seed=cfg.seed,
        use_cpu=not gpu,
        bf16=gpu or use_autocast(cfg, gpu),
        gradient_checkpointing=checkpointing,
        train_sampling_strategy="group_by_length",  # batches of similar length: less padding
        max_length=None,
        completion_only_loss=True,
        logging_steps=1,
        save_strategy="steps" if cfg.save_every else "no",
        save_steps=cfg.save_every or 500,
        save_total_limit=cfg.keep_checkpoints or None,
        eval_strategy="no",
        report_to="none",
        disable_tqdm=not cfg.progress,
    )


def build_trainer(cfg: TrainConfig, base: Path, train: list, val: list, steps_dir: Path):
    """SFTTrainer over the base model with LoRA on the configured modules."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTTrainer

    gpu = torch.cuda.is_available()
    dtype = {"auto": torch.bfloat16 if gpu else torch.float32, "float32": torch.float32,
             "bfloat16": torch.bfloat16}[cfg.dtype]  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")  # fmt: skip
    return SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(base, dtype=dtype),
        args=sft_config(cfg, steps_dir, gpu),
        train_dataset=Dataset.from_list(train),
        eval_dataset=Dataset.from_list(val) if val else None,
        processing_class=tokenizer,
        peft_config=lora,
    )


def save_adapter(model, out: Path, save_dtype: str, base: Path) -> Path:
    """PEFT adapter folder (weights cast to save_dtype; base model path recorded)."""
    import torch
    from safetensors.torch import load_file, save_file

    model.peft_config["default"].base_model_name_or_path = str(base)
    model.save_pretrained(out)
    weights = out / "adapter_model.safetensors"
    dtype = getattr(torch, save_dtype)
    tensors = {k: v.to(dtype).contiguous() for k, v in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})
    return out


# --- the run ----------------------------------------------------------------------------------


def _peak_memory_mb(gpu: bool) -> float:
    import torch

    if gpu:
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(cfg: TrainConfig) -> dict:
    """Train the adapter; returns the run summary (also written to output_dir/summary.json)."""
    import torch
    from transformers import AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint

    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.output_dir)
    steps_dir = out / "checkpoints"
    steps_dir.mkdir(parents=True, exist_ok=True)
    base = resolve_base(cfg)
    (out / "config.json").write_text(json.dumps(asdict(cfg) | {"base_model": str(base)}, indent=2))
    tok = AutoTokenizer.from_pretrained(base)
    train, too_long = load_examples(cfg.train_file, tok, cfg.max_length, cfg.max_examples)
    if not train:
        msg = f"no usable training rows in {cfg.train_file} (skipped {too_long} over max_length)"
        raise ValueError(msg)
    val: list[dict] = []
    if cfg.validation_file and Path(cfg.validation_file).exists():
        val = load_examples(cfg.validation_file, tok, cfg.max_length, cfg.eval_examples)[0]
    trainer = build_trainer(cfg, base, train, val, steps_dir)
    resume = get_last_checkpoint(str(steps_dir)) if cfg.resume else None
    val_before = trainer.evaluate()["eval_loss"] if val and resume is None else None
    t0 = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume)
    wall = time.perf_counter() - t0
    log = trainer.state.log_history
    losses = [round(e["loss"], 4) for e in log if "loss" in e and "step" in e]
    tokens = int(max((e.get("num_tokens", 0) for e in log), default=0))
    new_tokens = tokens - int(_tokens_at(log, resume))
    adapter = save_adapter(trainer.model, out / "adapter", cfg.save_dtype, base)
    step = trainer.state.global_step
    write_adapter_card(adapter, base_model=base.name, train_file=str(cfg.train_file), steps=step,
                       examples=len(train), train_tokens=tokens)  # fmt: skip
    k = max(1, min(5, len(losses) // 4))
    gpu = torch.cuda.is_available()
    summary = {
        "adapter_dir": str(adapter),
        "base_model": str(base),
        "trainer": "trl.SFTTrainer",
        "device": "cuda" if gpu else "cpu",
        "autocast_bf16": not gpu and use_autocast(cfg, gpu),
        "steps": step,
        "examples": len(train),
        "skipped_too_long": too_long,
        "train_tokens": tokens,
        "wall_s": round(wall, 1),
        "tokens_per_s": round(new_tokens / wall, 1) if wall else None,
        "peak_memory_mb": round(_peak_memory_mb(gpu), 1),
        "loss_first": round(sum(losses[:k]) / k, 4) if losses else None,
        "loss_last": round(sum(losses[-k:]) / k, 4) if losses else None,
        "val_loss_before": val_before,
        "val_loss_after": trainer.evaluate()["eval_loss"] if val else None,
        "losses": losses,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _tokens_at(log: list[dict], resume: str | None) -> float:
    """Tokens already counted by the checkpoint a run resumed from (0 for a fresh run)."""
    if resume is None:
        return 0
    step = int(Path(resume).name.rsplit("-", 1)[-1])
    seen = [e.get("num_tokens", 0) for e in log if e.get("step", 0) <= step]
    return max(seen, default=0)
