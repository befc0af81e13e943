"""LoRA SFT with peft and a plain torch loop: loss on assistant tokens only, checkpoints + resume.

`main(config)` trains; `load_config(path, overrides)` reads YAML (`train:` section) with
`key=value` overrides. The result is a PEFT adapter folder (adapter_config.json records the base
model path) that vLLM serves with `--enable-lora --lora-modules shop=DIR` and the transformers
backend loads with `PeftModel.from_pretrained`.
"""

from __future__ import annotations

import json
import math
import random
import resource
import shutil
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


def encode(tokenizer, messages: list[dict], max_length: int) -> dict | None:
    """input_ids + labels (-100 outside the last assistant turn); None when too long."""
    if not messages or messages[-1]["role"] != "assistant":
        return None
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    prefix = tokenizer.apply_chat_template(
        messages[:-1], tokenize=False, add_generation_prompt=True
    )
    if not full.startswith(prefix):
        msg = "the chat template renders the prompt differently with the answer; cannot mask it"
        raise ValueError(msg)
    p_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    ids = p_ids + tokenizer(full[len(prefix) :], add_special_tokens=False)["input_ids"]
    if len(ids) > max_length:
        return None
    return {"input_ids": ids, "labels": [-100] * len(p_ids) + ids[len(p_ids) :]}


def load_examples(path: str | Path, tokenizer, max_length: int, limit: int = 0) -> tuple:
    """(encoded examples, skipped count) from a JSONL file; ValueError when a row was made with
    another prompt version than this code's (the adapter would learn prompts it is never sent)."""
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
    encoded = [encode(tokenizer, r["messages"], max_length) for r in rows]
    return [e for e in encoded if e is not None], sum(e is None for e in encoded)


def batch_order(examples: list[dict], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of similar length (less padding), in a seeded random order."""
    rng = random.Random(seed * 1000 + epoch)
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    chunk = batch_size * 16
    batches = []
    for start in range(0, len(idx), chunk):
        part = sorted(idx[start : start + chunk], key=lambda i: len(examples[i]["input_ids"]))
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: list[dict], pad_id: int, device) -> dict:
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e["input_ids"])
        ids[row, :n] = torch.tensor(e["input_ids"])
        labels[row, :n] = torch.tensor(e["labels"])
        mask[row, :n] = 1
    return {
        "input_ids": ids.to(device),
        "labels": labels.to(device),
        "attention_mask": mask.to(device),
    }


# --- model ------------------------------------------------------------------------------------


def build_model(cfg: TrainConfig, base: Path):
    """(peft model, tokenizer, device) with LoRA on the configured modules."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gpu = torch.cuda.is_available()
    device = torch.device("cuda" if gpu else "cpu")
    dtype = {"auto": torch.bfloat16 if gpu else torch.float32, "float32": torch.float32,
             "bfloat16": torch.bfloat16}[cfg.dtype]  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype).to(device)
    if cfg.gradient_checkpointing == "true" or (cfg.gradient_checkpointing == "auto" and gpu):
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    lora = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    return model, tokenizer, device


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


def target_loss(model, batch: dict):
    """Mean cross-entropy over assistant tokens; the LM head runs only where there are labels.

    On a 135M model with a 49k vocabulary the head over every position costs ~20% of the step
    and most of the activation memory; the targets are a small share of each sequence.
    """
    import torch.nn.functional as F

    inner = model.get_base_model()
    # Right padding + a causal mask: real tokens never see the pads, so no padding mask is
    # needed and SDPA takes its fused causal path (less memory, faster on CPU).
    hidden = inner.model(input_ids=batch["input_ids"])[0]
    labels = batch["labels"][:, 1:]
    keep = labels != -100
    logits = inner.lm_head(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), labels[keep])


def use_autocast(cfg: TrainConfig, device) -> bool:
    """bf16 autocast on CPU: when asked, or (auto) when the CPU multiplies bf16 natively."""
    import torch

    if device.type != "cpu" or cfg.autocast == "false" or cfg.dtype == "bfloat16":
        return False
    return cfg.autocast == "true" or bool(
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def mean_loss(model, examples: list[dict], pad_id: int, device, batch_size: int) -> float | None:
    """Token-averaged loss on assistant tokens (no gradients)."""
    import torch

    if not examples:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collate(examples[start : start + batch_size], pad_id, device)
            n = int((batch["labels"][:, 1:] != -100).sum())
            with torch.autocast(
                device.type, torch.bfloat16, enabled=getattr(model, "_sa_autocast", False)
            ):
                total += float(target_loss(model, batch)) * n
            count += n
    model.train()
    return total / max(count, 1)


# --- checkpoints ------------------------------------------------------------------------------


def latest_checkpoint(output_dir: Path) -> Path | None:
    found = sorted((output_dir / "checkpoints").glob("step-*/state.pt"))
    return found[-1].parent if found else None


def save_checkpoint(model, optimizer, scheduler, step: int, losses: list, cfg: TrainConfig, base):
    import torch

    folder = Path(cfg.output_dir) / "checkpoints" / f"step-{step:06d}"
    save_adapter(model, folder, "float32", base)
    state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "step": step, "losses": losses, "torch_rng": torch.get_rng_state()}  # fmt: skip
    torch.save(state, folder / "state.tmp")
    (folder / "state.tmp").rename(folder / "state.pt")  # a checkpoint exists only when complete
    old = sorted((Path(cfg.output_dir) / "checkpoints").glob("step-*"))
    for stale in old[: -cfg.keep_checkpoints] if cfg.keep_checkpoints > 0 else []:
        shutil.rmtree(stale, ignore_errors=True)


def restore_checkpoint(model, optimizer, scheduler, folder: Path) -> tuple[int, list]:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(folder / "adapter_model.safetensors"))
    state = torch.load(folder / "state.pt", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    return state["step"], state["losses"]


# --- the loop ---------------------------------------------------------------------------------


def _peak_memory_mb(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(cfg: TrainConfig) -> dict:
    """Train the adapter; returns the run summary (also written to output_dir/summary.json)."""
    import torch
    from tqdm import tqdm
    from transformers import get_cosine_schedule_with_warmup

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = resolve_base(cfg)
    (out / "config.json").write_text(json.dumps(asdict(cfg) | {"base_model": str(base)}, indent=2))
    model, tok, device = build_model(cfg, base)
    autocast = use_autocast(cfg, device)
    model._sa_autocast = autocast
    pad = tok.pad_token_id
    train, too_long = load_examples(cfg.train_file, tok, cfg.max_length, cfg.max_examples)
    if not train:
        msg = f"no usable training rows in {cfg.train_file} (skipped {too_long} over max_length)"
        raise ValueError(msg)
    val: list[dict] = []
    if cfg.validation_file and Path(cfg.validation_file).exists():
        val = load_examples(cfg.validation_file, tok, cfg.max_length, cfg.eval_examples)[0]
    per_epoch = math.ceil(len(train) / cfg.batch_size)
    steps = cfg.max_steps or max(1, math.ceil(per_epoch * cfg.epochs / cfg.grad_accum))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * steps), steps)
    step, losses = 0, []
    ckpt = latest_checkpoint(out) if cfg.resume else None
    if ckpt is not None:
        step, losses = restore_checkpoint(model, optimizer, scheduler, ckpt)
    val_before = mean_loss(model, val, pad, device, cfg.batch_size) if step == 0 else None
    model.train()
    micro = [b for e in range(math.ceil(steps * cfg.grad_accum / per_epoch) + 1)
             for b in batch_order(train, cfg.batch_size, cfg.seed, e)]  # fmt: skip
    tokens, t0 = 0, time.perf_counter()
    bar = tqdm(total=steps, initial=step, desc="lora", disable=not cfg.progress)
    while step < steps:
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for k in range(cfg.grad_accum):
            batch = collate([train[i] for i in micro[step * cfg.grad_accum + k]], pad, device)
            with torch.autocast(device.type, torch.bfloat16, enabled=autocast):
                loss = target_loss(model, batch) / cfg.grad_accum
            loss.backward()
            step_loss += float(loss.detach())
            tokens += int(batch["attention_mask"].sum())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        step += 1
        losses.append(round(step_loss, 4))
        bar.update(1)
        bar.set_postfix(loss=f"{step_loss:.3f}", tok_s=f"{tokens / (time.perf_counter() - t0):.0f}")
        if cfg.save_every and step % cfg.save_every == 0:
            save_checkpoint(model, optimizer, scheduler, step, losses, cfg, base)
    bar.close()
    wall = time.perf_counter() - t0
    adapter = save_adapter(model, out / "adapter", cfg.save_dtype, base)
    write_adapter_card(adapter, base_model=base.name, train_file=str(cfg.train_file), steps=step,
                       examples=len(train), train_tokens=tokens)  # fmt: skip
    k = max(1, min(5, len(losses) // 4))
    summary = {
        "adapter_dir": str(adapter),
        "base_model": str(base),
        "device": device.type,
        "autocast_bf16": autocast,
        "steps": step,
        "examples": len(train),
        "skipped_too_long": too_long,
        "train_tokens": tokens,
        "wall_s": round(wall, 1),
        "tokens_per_s": round(tokens / wall, 1) if wall else None,
        "peak_memory_mb": round(_peak_memory_mb(device), 1),
        "loss_first": round(sum(losses[:k]) / k, 4) if losses else None,
        "loss_last": round(sum(losses[-k:]) / k, 4) if losses else None,
        "val_loss_before": val_before,
        "val_loss_after": mean_loss(model, val, pad, device, cfg.batch_size),
        "losses": losses,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
