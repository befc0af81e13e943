"""The LLM layer's settings: `LLMConfig` and the helpers every backend shares (no backend imported
here, so the backends and the vLLM supervisor can use it without an import cycle)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Messages = Sequence[Any]  # LangChain messages, ("role", "text") tuples or {"role", "content"} dicts


def default_model_cache() -> Path:
    """Where converted and merged models live unless configured (the user's cache folder)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("shopassist")) / "models"


class LLMUnavailable(RuntimeError):
    """The LLM could not answer (unreachable, timed out, failed): the engine answers degraded."""


@dataclass
class LLMConfig:
    """What the LLM layer needs from the settings (see `Settings.llm_config`)."""

    backend: Literal["vllm", "transformers"] = "vllm"
    model_cache: Path = field(default_factory=lambda: default_model_cache())
    model_path: Path | None = None
    finetuned: bool = True  # default model: the embedded one with the shipped LoRA merged in
    model_name: str = "smollm2"
    adapter: Path | None = None
    adapter_name: str = "shop"
    vllm_url: str | None = None
    vllm_port: int = 8011
    vllm_kvcache_gib: int = 2
    vllm_startup_timeout_s: float = 300.0
    log_dir: Path | None = None
    max_tokens: int = 256
    timeout_s: float = 60.0
    max_retries: int = 2

    @property
    def request_model(self) -> str:
        """The model name a request asks for: the adapter's when one is configured, else the base."""
        return self.adapter_name if self.adapter is not None else self.model_name

    @property
    def server_url(self) -> str:
        """Root URL of the vLLM server: the remote one, or the managed one on loopback."""
        if self.vllm_url:
            return normalize_url(self.vllm_url)
        return f"http://127.0.0.1:{self.vllm_port}"

    def resolved_model_path(self) -> Path:
        """The local model folder: model_path, else the embedded model (converted on first use)
        with the shipped ShopAssist LoRA merged in (merged on first use) unless finetuned=False."""
        if self.model_path is not None:
            return Path(self.model_path).expanduser()
        from assistant.llm.weights import ensure_base_model, ensure_finetuned_model, shipped_adapter

        if self.finetuned and shipped_adapter() is not None:
            return ensure_finetuned_model(self.model_cache)
        return ensure_base_model(self.model_cache)


def normalize_url(url: str) -> str:
    """`http://h:8000/v1/` → `http://h:8000` (the server root; `/v1` and `/health` hang off it)."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def as_config(config: Any) -> LLMConfig:
    """An LLMConfig from an LLMConfig or a Settings object."""
    return config if isinstance(config, LLMConfig) else config.llm_config()
