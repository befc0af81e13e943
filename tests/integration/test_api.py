"""The HTTP API on a live uvicorn server over loopback: OpenAI clients, auth, limits, forgetting."""

from __future__ import annotations

import re
import threading
import time
import urllib.request

import pytest

from assistant.llm import LLMConfig, LLMRuntime

from .live import call, live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEYS = "admin-key=admin,agent-key=agent,u001-key=shopper:u001"


@pytest.fixture(scope="module")
def open_server(demo_store, vllm_server):
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=100, timeout_s=120)
    ).start()
    with live_server(store, runtime) as (url, service):
        yield url, service


@pytest.fixture(scope="module")
def keyed_server(demo_store):
    store, _ = demo_store
    with live_server(store, None, api_keys=KEYS) as (url, service):
        yield url, service


def _grounded(store, text: str, extras: dict) -> None:
    cards = {c["product_id"] for c in extras["cards"]}
    assert set(re.findall(r"\[(P\d{5})\]", text)) == cards
    for card in extras["cards"]:
        assert store.get_product(card["product_id"]).price == card["price"] < 20


def test_openai_client_gets_grounded_answers_plain_and_streamed(open_server, demo_store):
    from openai import OpenAI

    url, _ = open_server
    client = OpenAI(base_url=url + "/v1", api_key="unused")
    ask = [{"role": "user", "content": "board games under £20"}]
    plain = client.chat.completions.create(model="shopassist", messages=ask, user="u003")
    extras = plain.model_extra["shopassist"]
    assert extras["cards"] and extras["intent"] == "search"
    _grounded(demo_store[0], plain.choices[0].message.content, extras)
    pieces, last = [], None
    for chunk in client.chat.completions.create(
        model="shopassist", messages=ask, user="u003", stream=True
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if (chunk.model_extra or {}).get("shopassist"):
            last = chunk.model_extra["shopassist"]
    assert len(pieces) >= 1 and last is not None
    _grounded(demo_store[0], "".join(pieces), last)
    assert [m.id for m in client.models.list().data] == ["shopassist", "shopassist-agent"]


def test_langchain_chatopenai_plain_and_streamed(open_server):
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    url, _ = open_server
    llm = ChatOpenAI(base_url=url + "/v1", api_key=SecretStr("unused"), model="shopassist")
    reply = llm.invoke("what is your return policy?")
    assert "30 days" in reply.text and "›" in reply.text  # cites a policy section
    streamed = "".join(c.text for c in llm.stream("what is your return policy?"))
    assert "30 days" in streamed


def test_shopper_key_never_reads_another_users_data(keyed_server):
    url, _ = keyed_server
    for path in (
        "/v1/recommendations?user=u002",
        "/v1/users/u002/export",
        "/v1/search?q=mug&user=u002",
    ):
        status, body, _ = call(url + path, key="u001-key")
        assert status == 403 and set(body) == {"error"}, (path, body)
    chat = {
        "model": "shopassist",
        "user": "u002",
        "messages": [{"role": "user", "content": "where is my order?"}],
    }
    status, body, _ = call(url + "/v1/chat/completions", "POST", chat, key="u001-key")
    assert status == 403 and "own user" in body["error"]["message"]
    status, body, _ = call(url + "/v1/recommendations?k=3", key="u001-key")  # own data: fine
    assert status == 200 and len(body["results"]) == 3
    assert call(url + "/v1/users/u002/export", key="agent-key")[0] == 403  # admins only
    assert call(url + "/v1/users/u002/export", key="admin-key")[0] == 200
    assert call(url + "/v1/admin/products", "POST", {"delete": []}, key="agent-key")[0] == 403
    assert call(url + "/v1/models")[0] == 401 and call(url + "/v1/models", key="nope")[0] == 401


def test_bad_requests_get_4xx_that_say_why(keyed_server):
    url, _ = keyed_server
    chat = url + "/v1/chat/completions"
    msg = [{"role": "user", "content": "hi"}]
    cases = [
        (call(chat, "POST", raw=b'{"model": "shopassist", "messages": [', key="admin-key"), 400, "not valid JSON"),
        (call(chat, "POST", raw=b"x" * 300_000, key="admin-key"), 413, "limit"),
        (call(chat, "POST", {"model": "shopassist", "messages": msg, "max_tokens": 0}, key="admin-key"), 400, "max_tokens"),
        (call(chat, "POST", {"model": "gpt-9", "messages": msg}, key="admin-key"), 404, "does not exist"),
        (call(chat, "POST", {"model": "shopassist", "messages": msg * 51}, key="admin-key"), 400, "limit is 50"),
        (call(chat, "POST", {"model": "shopassist", "messages": [{"role": "user", "content": "x" * 5000}]}, key="admin-key"), 400, "characters"),
    ]  # fmt: skip
    for (status, body, _), want, words in cases:
        assert status == want and words in body["error"]["message"], body
        assert set(body["error"]) == {"message", "type", "code"}


class SlowLLM:
    """A model that takes `seconds` per answer (the queue tests hold slots with it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def stream(self, messages):
        time.sleep(self.seconds)
        yield "[P1] is nice."


def test_queue_full_gets_429_with_retry_after(demo_store):
    store, _ = demo_store
    with live_server(store, SlowLLM(3), model_concurrency=1, max_queue=0) as (url, _):
        body = {"model": "shopassist", "messages": [{"role": "user", "content": "mugs"}]}
        first = threading.Thread(target=call, args=(url + "/v1/chat/completions", "POST", body))
        first.start()
        time.sleep(0.8)
        status, err, headers = call(url + "/v1/chat/completions", "POST", body)
        first.join()
        assert status == 429 and int(headers.get("retry-after", 0)) >= 1, err
        assert call(url + "/v1/chat/completions", "POST", body)[0] == 200  # the slot came back


def test_one_users_burst_is_refused_past_its_share_while_others_get_in(demo_store):
    store, _ = demo_store
    settings = {"model_concurrency": 1, "max_queue": 4, "max_queue_per_user": 1}
    with live_server(store, SlowLLM(2), **settings) as (url, _):
        chat = url + "/v1/chat/completions"

        def ask(user: str, out: list) -> None:
            body = {"model": "shopassist", "user": user,
                    "messages": [{"role": "user", "content": "mugs"}]}  # fmt: skip
            out.append(call(chat, "POST", body))

        got: dict[str, list] = {"running": [], "waiting": [], "over": [], "other": []}
        threads = []
        for name, user in (("running", "u001"), ("waiting", "u001"), ("over", "u001"),
                           ("other", "u002")):  # fmt: skip
            threads.append(threading.Thread(target=ask, args=(user, got[name])))
            threads[-1].start()
            time.sleep(0.5)
        for t in threads:
            t.join()
    status, err, headers = got["over"][0]
    assert status == 429 and "retry after" in err["error"]["message"], err
    assert int(headers["retry-after"]) >= 2  # two turns ahead of it: the one running, one waiting
    assert [got[k][0][0] for k in ("running", "waiting", "other")] == [200, 200, 200]


def test_forgetting_a_user_removes_their_events_and_history(keyed_server):
    url, service = keyed_server
    pid = service.store.index.live_ids()[0]
    for event in ("view", "cart"):
        status, _, _ = call(
            url + "/v1/events",
            "POST",
            {"user_id": "u777", "product_id": pid, "event": event},
            key="admin-key",
        )
        assert status == 200
    status, before, _ = call(url + "/v1/users/u777/export", key="admin-key")
    assert len(before["events"]) == 2 and len(before["history_documents"]) == 2
    status, summary, _ = call(url + "/v1/users/u777", "DELETE", key="admin-key")
    assert status == 200 and summary["remaining"] == 0 and "orders are kept" in summary["kept"]
    _, after, _ = call(url + "/v1/users/u777/export", key="admin-key")
    assert after["events"] == [] and after["history_documents"] == []
    hist = service.store.collection("user_history").get(where={"user_id": "u777"}, include=[])
    assert hist["ids"] == []
    assert service.engine.searcher.search("anything", k=5).items  # the store still serves others


def test_admin_price_change_is_seen_at_once(keyed_server):
    url, service = keyed_server
    row = {
        "product_id": "T99999",
        "title": "Zebrawood Tea Tray",
        "price": 30,
        "category": "Home > Trays",
        "in_stock": "3",
    }
    admin = url + "/v1/admin/products"
    status, body, _ = call(admin, "POST", {"upsert": [row, {"title": "no id"}]}, key="admin-key")
    assert status == 200 and body["upserted"] == 1 and body["rejected"][0]["index"] == 1
    call(admin, "POST", {"upsert": [{**row, "price": 1.23}]}, key="admin-key")
    _, found, _ = call(url + "/v1/search?q=zebrawood+tea+tray&k=5", key="admin-key")
    assert found["results"][0]["product_id"] == "T99999" and found["results"][0]["price"] == 1.23
    assert call(admin, "POST", {"delete": ["T99999"]}, key="admin-key")[1]["deleted"] == 1
    assert service.store.get_product("T99999") is None


def test_healthz_and_metrics(open_server):
    url, _ = open_server
    status, health, _ = call(url + "/healthz")
    assert status == 200 and health["engine"]["llm"] == "ok" and health["products"] >= 500
    with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert "shopassist_request_seconds" in text and "shopassist_ttft_seconds" in text
