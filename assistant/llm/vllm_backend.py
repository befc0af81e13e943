"""The `vllm` backend: LangChain's ChatOpenAI on a vLLM OpenAI-compatible server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.llm.config import normalize_url

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI


def vllm_chat_model(
    server_url: str,
    model: str,
    *,
    max_tokens: int = 256,
    timeout_s: float = 60.0,
    max_retries: int = 2,
    temperature: float = 0.0,
    **kwargs: Any,
) -> ChatOpenAI:
    """A chat model on `server_url`; `model` is a served name: the base (`smollm2`) or an adapter (`shop`)."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        base_url=normalize_url(server_url) + "/v1",
        api_key=SecretStr("EMPTY"),  # vLLM started without --api-key accepts any key
        model=model,
        temperature=temperature,  # greedy by default: grounded answers, reproducible tests
        max_completion_tokens=max_tokens,
        timeout=timeout_s,
        max_retries=max_retries,  # the OpenAI client's own backoff: connection errors, 408/429/5xx
        **kwargs,
    )
