"""The basket on the real stack: a live server over loopback, real vLLM, real SQLite and Chroma.

Chat turns go through `/v1/chat/completions` exactly as an OpenAI client sends them (the API is
stateless: the client sends the conversation). Product lists an assistant "showed" are either a
real search turn's answer or a history the client sends; references resolve against either."""

from __future__ import annotations

import json
import urllib.request

import pytest

from assistant.llm import LLMConfig, LLMRuntime
from assistant.prompts import price_text
from assistant.turn.conversation_refs import shown_items

from .live import call, live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEYS = "admin-key=admin,bk1-key=shopper:bk1,bk2-key=shopper:bk2"


@pytest.fixture(scope="module")
def server(demo_store, vllm_server):
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=80, timeout_s=120)
    ).start()
    with live_server(store, runtime, api_keys=KEYS) as (url, service):
        yield url, service


def _say(url, user, messages, text, key="admin-key", stream=False):
    """One chat turn; returns (answer, shopassist extras) and appends both messages."""
    messages.append({"role": "user", "content": text})
    body = {"model": "shopassist", "user": user, "messages": messages, "stream": stream}
    status, got, _ = call(url + "/v1/chat/completions", "POST", body, key=key)
    assert status == 200, got
    answer = got["choices"][0]["message"]["content"]
    messages.append({"role": "assistant", "content": answer})
    return answer, got["shopassist"]


def _lines(extras) -> dict[str, int]:
    return {x["product_id"]: x["quantity"] for x in extras["basket"]["lines"]}


def _shown(store, *ids) -> list[dict]:
    """A conversation in which the assistant showed these products (as the UI would have)."""
    rows = [f"- {store.get_product(i).title} — {price_text(store.get_product(i).price)} [{i}]"
            for i in ids]  # fmt: skip
    return [{"role": "user", "content": "kettles and mugs please"},
            {"role": "assistant", "content": "Here are some options:\n" + "\n".join(rows)}]  # fmt: skip


def _catalog(store, category: str, n: int) -> list[str]:
    ids = [p.product_id for p in (store.get_product(i) for i in store.index.live_ids())
           if p and category in p.category.lower() and p.in_stock and p.price]  # fmt: skip
    return sorted(ids)[:n]


def test_every_phrase_family_changes_the_basket_as_said(server, demo_store):
    url, _ = server
    store, _ = demo_store
    msgs: list[dict] = []
    answer, _ = _say(url, "bk1", msgs, "show me kettles")  # a real model turn
    first = shown_items(answer)[0][0]
    answer, extras = _say(url, "bk1", msgs, "add the first one to my cart")
    assert _lines(extras) == {first: 1} and extras["intent"] == "basket"
    assert store.get_product(first).title in answer and f"[{first}]" in answer

    k1, k2 = _catalog(store, "kettle", 2)
    (m1,) = _catalog(store, "mug", 1)
    prices = {i: store.get_product(i).price for i in (k1, k2, m1)}
    cheapest = min(prices, key=prices.get)
    msgs = _shown(store, k1, k2, m1)
    _, extras = _say(url, "bk1", msgs, "put the cheaper one in my basket")
    assert _lines(extras)[cheapest] == 1
    answer, extras = _say(url, "bk1", msgs, "make that three")
    assert _lines(extras)[cheapest] == 3 and "from 1 to 3" in answer

    msgs = _shown(store, m1)
    _, extras = _say(url, "bk1", msgs, "add two of those")
    assert _lines(extras)[m1] == (2 if m1 != cheapest else 5)

    basket = extras["basket"]
    want = round(
        sum(prices.get(i, store.get_product(i).price) * q for i, q in _lines(extras).items()), 2
    )
    assert basket["total"] == want
    for ask in ("what's in my basket?", "how much is my basket?"):
        answer, extras = _say(url, "bk1", msgs, ask)
        assert price_text(want) in answer and extras["basket"]["total"] == want
        assert all(f"[{i}]" in answer for i in _lines(extras))

    msgs = [{"role": "user", "content": "hi"}]
    for pid in [p for p in _lines(extras) if p != first]:
        call(url + f"/v1/users/bk1/basket?product_id={pid}", "DELETE", key="admin-key")
    answer, extras = _say(url, "bk1", msgs, "remove the kettle")  # the one kettle left
    assert extras["basket"]["lines"] == [] and f"Removed {store.get_product(first).title}" in answer

    call(url + "/v1/users/bk1/basket", "POST", {"product_id": k1, "quantity": 2}, key="admin-key")
    answer, extras = _say(url, "bk1", msgs, "empty my basket")
    assert extras["basket"]["lines"] == [] and "emptied" in answer


def test_an_ambiguous_reference_gets_a_question_then_the_answer_adds(server, demo_store):
    url, _ = server
    store, _ = demo_store
    k1, k2 = _catalog(store, "kettle", 2)
    msgs = _shown(store, k1, k2)
    answer, extras = _say(url, "bk2", msgs, "add it", key="bk2-key")
    assert answer.startswith("Which one do you mean") and extras["basket"]["lines"] == []
    assert f"[{k1}]" in answer and f"[{k2}]" in answer
    answer, extras = _say(url, "bk2", msgs, "the second one", key="bk2-key")
    assert _lines(extras) == {k2: 1}
    call(url + "/v1/users/bk2/basket", "DELETE", key="bk2-key")


def test_a_replayed_conversation_never_adds_twice(server, demo_store):
    url, _ = server
    store, _ = demo_store
    (m1,) = _catalog(store, "mug", 1)
    msgs = [*_shown(store, m1), {"role": "user", "content": "add it to my basket"}]
    body = {"model": "shopassist", "user": "bk3", "messages": msgs}
    for stream in (False, False, True):  # the first send, a retry, a streamed retry
        req = urllib.request.Request(url + "/v1/chat/completions", method="POST",
                                     data=json.dumps({**body, "stream": stream}).encode())  # fmt: skip
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer admin-key")
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read().decode()
        assert "Added" in raw and "[DONE]" in raw if stream else "Added" in raw
    _, basket, _ = call(url + "/v1/users/bk3/basket", key="admin-key")
    assert [x["quantity"] for x in basket["lines"]] == [1] and basket["item_count"] == 1
    # the same words in another conversation are a new change
    other = {**body, "metadata": {"conversation_id": "another"}}
    call(url + "/v1/chat/completions", "POST", other, key="admin-key")
    _, basket, _ = call(url + "/v1/users/bk3/basket", key="admin-key")
    assert basket["item_count"] == 2
    _, export, _ = call(url + "/v1/users/bk3/export", key="admin-key")
    carts = [e for e in export["events"] if e["event"] == "cart"]
    assert len(carts) == 2 and len(export["basket"]) == 1
    _, summary, _ = call(url + "/v1/users/bk3", "DELETE", key="admin-key")
    assert summary["removed"]["basket"] == 1 and summary["remaining"] == 0
    assert call(url + "/v1/users/bk3/basket", key="admin-key")[1]["lines"] == []


def test_stock_and_price_are_checked_by_code(server):
    url, _ = server
    rows = [
        {"product_id": "T90001", "title": "Basalt Serving Board", "price": 10, "in_stock": "2",
         "category": "Home > Kitchen"},
        {"product_id": "T90002", "title": "Quartz Cheese Knife", "price": 5, "in_stock": "sold out",
         "category": "Home > Kitchen"},
    ]  # fmt: skip
    assert call(url + "/v1/admin/products", "POST", {"upsert": rows}, key="admin-key")[0] == 200
    try:
        shown = [{"role": "user", "content": "serving boards"},
                 {"role": "assistant", "content": "- Basalt Serving Board — £8.00 [T90001]"}]  # fmt: skip
        answer, extras = _say(url, "bk4", list(shown), "add it")
        assert "now £10.00 (it was £8.00 when I showed it)" in answer and _lines(extras) == {
            "T90001": 1
        }
        answer, extras = _say(url, "bk4", list(shown), "make that 5")
        assert answer.startswith("Only 2 of Basalt Serving Board") and _lines(extras) == {
            "T90001": 1
        }
        shown[1]["content"] = "- Quartz Cheese Knife — £5.00 [T90002]"
        answer, extras = _say(url, "bk4", list(shown), "add it")
        assert "out of stock" in answer and "T90002" not in _lines(extras)
        status, body, _ = call(url + "/v1/users/bk4/basket", "POST",
                               {"product_id": "T90001", "quantity": 3}, key="admin-key")  # fmt: skip
        assert status == 409 and "Only 2" in body["error"]["message"]
        status, body, _ = call(url + "/v1/users/bk4/basket", "PATCH",
                               {"product_id": "T90001", "quantity": 2}, key="admin-key")  # fmt: skip
        assert status == 200 and body["total"] == 20.0 and body["item_count"] == 2
    finally:
        call(url + "/v1/admin/products", "POST", {"delete": ["T90001", "T90002"]}, key="admin-key")
    _, body, _ = call(url + "/v1/users/bk4/basket", key="admin-key")
    assert body["lines"][0]["available"] is False and body["total"] == 0  # left the catalog


def test_a_shopper_key_cannot_read_or_change_another_basket(server, demo_store):
    url, _ = server
    store, _ = demo_store
    (m1,) = _catalog(store, "mug", 1)
    path = url + "/v1/users/bk2/basket"
    for method, body in (("GET", None), ("POST", {"product_id": m1}),
                         ("PATCH", {"product_id": m1, "quantity": 3}), ("DELETE", None)):  # fmt: skip
        status, got, _ = call(path, method, body, key="bk1-key")
        assert status == 403 and set(got) == {"error"}, (method, got)
    status, got, _ = call(url + "/v1/users/bk1/basket", "POST", {"product_id": m1}, key="bk1-key")
    assert status == 200 and got["lines"][0]["product_id"] == m1
    bad = [({"product_id": m1, "quantity": 0}, 400), ({"product_id": "NOPE"}, 404),
           ({"product_id": m1, "quantity": 500}, 400), ({"sku": m1}, 400)]  # fmt: skip
    for body, want in bad:
        status, got, _ = call(url + "/v1/users/bk1/basket", "POST", body, key="bk1-key")
        assert status == want and got["error"]["message"], (body, got)
    assert call(url + "/v1/users/bk1/basket", "DELETE", key="bk1-key")[1]["lines"] == []
