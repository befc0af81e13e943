"""The chat route's wire format as an OpenAI client reads it: OpenAI's field order, a stream's
deltas without unset fields, usage and ShopAssist's extras only where they are sent."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from assistant.server.openai_format import Cut, chunk, completion, extras, usage
from assistant.turn.engine_result import TurnResult

RESULT = TurnResult(answer="Mugs: [P00001] at £5.00.", intent="search", constraints={},
                    cards=[{"product_id": "P00001"}], citations=[], degraded=False,
                    llm_text_used=True, timings={"total": 0.5}, message_id="chatcmpl-x")  # fmt: skip


def test_a_completion_has_openai_fields_in_openai_order():
    doc = completion("chatcmpl-x", 1, "shopassist", RESULT, Cut([], None), 3)
    assert list(doc) == ["id", "object", "created", "model", "choices", "usage", "shopassist"]
    assert doc["object"] == "chat.completion"
    assert doc["choices"] == [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": RESULT.answer}}]  # fmt: skip
    assert list(doc["choices"][0]) == ["index", "message", "finish_reason"]
    assert doc["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert doc["shopassist"]["message_id"] == "chatcmpl-x" and "answer" not in doc["shopassist"]


def test_stream_chunks_send_only_what_is_set():
    first = json.loads(chunk("c", 1, "m", {"role": "assistant", "content": ""}))
    assert list(first) == ["id", "object", "created", "model", "choices"]
    assert first["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                 "finish_reason": None}]  # fmt: skip
    text = json.loads(chunk("c", 1, "m", {"content": "Mugs"}))
    assert text["choices"][0]["delta"] == {"content": "Mugs"}
    last = json.loads(chunk("c", 1, "m", {}, "stop", shopassist=extras(RESULT)))
    assert last["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert last["shopassist"]["cards"] == [{"product_id": "P00001"}] and "usage" not in last
    tail = json.loads(chunk("c", 1, "m", None, usage=usage(2, "a b")))
    assert tail["choices"] == [] and tail["usage"]["total_tokens"] == 4
    assert "shopassist" not in tail


def test_a_finish_reason_outside_openai_is_refused():
    with pytest.raises(ValidationError):
        chunk("c", 1, "m", {}, "because")
