"""The agent desk over real HTTP: a shopper's handoff becomes a ticket, an agent reads it with the
customer's orders and replies, the shopper reads the reply; per-user rules, body limits, export
and forget. A fresh demo store of its own (the session `demo_store` is not touched), no LLM."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.live import call, live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN, AGENT, U1, U2 = "desk-adm-1", "desk-agt-1", "desk-u001-1", "desk-u002-1"
KEYS = f"{ADMIN}=admin,{AGENT}=agent,{U1}=shopper:u001,{U2}=shopper:u002"


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    store = open_store(StoreConfig(data_dir=tmp_path_factory.mktemp("desk-api")), embedder)
    prepare_demo(store)
    with live_server(store, None, api_keys=KEYS) as (url, service):
        yield url, service


def _handoff(url: str, key: str, user: str) -> int:
    body = {"model": "shopassist", "user": user,
            "messages": [{"role": "user", "content": "where is my order?"},
                         {"role": "assistant", "content": "Your order is on its way."},
                         {"role": "user", "content": "I want to talk to a human"}]}  # fmt: skip
    status, got, _ = call(f"{url}/v1/chat/completions", "POST", body, key=key)
    assert status == 200, got
    ticket = got["shopassist"]["ticket_id"]
    assert isinstance(ticket, int), got["shopassist"]
    return ticket


def test_a_handoff_is_answered_by_an_agent_and_read_by_the_shopper(server):
    url, service = server
    ticket = _handoff(url, U1, "u001")

    status, view, _ = call(f"{url}/v1/tickets/{ticket}", key=AGENT)
    assert status == 200, view
    assert view["ticket"]["ticket_id"] == ticket and view["ticket"]["user_id"] == "u001"
    assert view["ticket"]["status"] == "open" and view["ticket"]["reason"] == "handoff"
    said = [(t["role"], t["content"]) for t in view["ticket"]["transcript"]]
    assert said[-1] == ("user", "I want to talk to a human")
    assert all(
        t.get("unverified") for t in view["ticket"]["transcript"] if t["role"] == "assistant"
    )
    assert view["orders"] and {o["user_id"] for o in view["orders"]} == {"u001"}
    assert {"order_id", "title", "status", "ordered_at", "delivered_at"} <= set(view["orders"][0])
    assert view["basket"]["user_id"] == "u001" and view["replies"] == []

    reply = {"text": "Hello! Your order ORD-10207 ships tomorrow.", "draft": "Drafted text.",
             "resolve": True}  # fmt: skip
    status, done, _ = call(f"{url}/v1/tickets/{ticket}/reply", "POST", reply, key=AGENT)
    assert status == 200, done
    assert done["status"] == "resolved" and isinstance(done["reply_id"], int)
    assert done["transcript"][-1] == {"role": "agent", "content": reply["text"]}

    status, view, _ = call(f"{url}/v1/tickets/{ticket}", key=ADMIN)
    assert status == 200 and [r["text"] for r in view["replies"]] == [reply["text"]]
    assert view["replies"][0]["draft"] == "Drafted text." and view["replies"][0]["agent"]

    status, inbox, _ = call(f"{url}/v1/users/u001/messages", key=U1)
    assert status == 200, inbox
    assert [(m["ticket_id"], m["text"]) for m in inbox] == [(ticket, reply["text"])]
    assert set(inbox[0]) == {"reply_id", "ticket_id", "text", "sent_at"}  # no draft, no agent
    assert call(f"{url}/v1/users/u001/messages", key=AGENT)[1] == inbox  # staff read it too

    with service.store.engine.connect() as conn:  # what `eval drafts` reads with plain SQL
        rows = conn.execute(text("SELECT ticket_id, user_id, draft, sent, agent, sent_at "
                                 "FROM agent_replies")).all()  # fmt: skip
    assert [(r.ticket_id, r.user_id, r.draft, r.sent) for r in rows] == [
        (ticket, "u001", "Drafted text.", reply["text"])
    ]
    assert rows[0].agent and rows[0].sent_at


def test_shoppers_read_only_their_own_messages_and_never_answer_tickets(server):
    url, _ = server
    ticket = _handoff(url, U2, "u002")
    assert call(f"{url}/v1/users/u002/messages", key=U1)[0] == 403
    assert call(f"{url}/v1/users/u001/messages", key=U2)[0] == 403
    assert call(f"{url}/v1/users/u002/messages")[0] == 401
    assert call(f"{url}/v1/tickets/{ticket}", key=U2)[0] == 403
    status, got, _ = call(f"{url}/v1/tickets/{ticket}/reply", "POST", {"text": "hi"}, key=U2)
    assert status == 403 and got["error"]["code"] == "forbidden"
    assert call(f"{url}/v1/tickets/{ticket}", key=AGENT)[1]["replies"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "x" * 4001},
        {"text": "ok", "draft": "d" * 8001},
        {"text": "ok", "resolve": "maybe"},
        {"text": "ok", "to": "u002"},
        {},
    ],
    ids=["empty", "blank", "text-too-long", "draft-too-long", "bad-resolve", "extra", "no-text"],
)
def test_reply_bodies_outside_the_limits_are_refused(server, body):
    url, _ = server
    ticket = _handoff(url, U2, "u002")
    before = call(f"{url}/v1/tickets/{ticket}", key=AGENT)[1]
    status, got, _ = call(f"{url}/v1/tickets/{ticket}/reply", "POST", body, key=AGENT)
    assert status in (400, 422), got
    assert got["error"]["message"]
    after = call(f"{url}/v1/tickets/{ticket}", key=AGENT)[1]
    assert after["replies"] == before["replies"] and after["ticket"] == before["ticket"]


def test_limits_at_the_edge_are_accepted_and_unknown_or_closed_tickets_refused(server):
    url, _ = server
    ticket = _handoff(url, U2, "u002")
    edge = {"text": "y" * 4000, "draft": "d" * 8000}
    status, got, _ = call(f"{url}/v1/tickets/{ticket}/reply", "POST", edge, key=AGENT)
    assert status == 200 and got["status"] == "open", got
    status, got, _ = call(f"{url}/v1/tickets/999999/reply", "POST", {"text": "hi"}, key=AGENT)
    assert status == 404 and got["error"]["code"] == "unknown_ticket"
    assert call(f"{url}/v1/tickets/999999", key=AGENT)[0] == 404
    assert call(f"{url}/v1/tickets/{2**40}", key=AGENT)[0] == 400  # beyond any ticket id
    assert call(f"{url}/v1/tickets/{ticket}/close", "POST", key=AGENT)[0] == 200
    status, got, _ = call(f"{url}/v1/tickets/{ticket}/reply", "POST", {"text": "hi"}, key=AGENT)
    assert status == 409 and got["error"]["code"] == "ticket_closed"
    assert "closed" in got["error"]["message"]
    assert call(f"{url}/v1/tickets/{ticket}/reopen", "POST", key=AGENT)[0] == 200
    assert call(f"{url}/v1/tickets/{ticket}/reply", "POST", {"text": "hi"}, key=AGENT)[0] == 200


def test_export_lists_the_messages_and_forget_removes_them(server):
    url, _ = server
    ticket = _handoff(url, U1, "u001")
    reply = {"text": "We have refunded you.", "draft": "A draft."}
    assert call(f"{url}/v1/tickets/{ticket}/reply", "POST", reply, key=AGENT)[0] == 200

    status, data, _ = call(f"{url}/v1/users/u001/export", key=U1)
    assert status == 200, data
    assert "We have refunded you." in [m["text"] for m in data["messages"]]
    assert all(m["ticket_id"] and m["sent_at"] for m in data["messages"])
    held = len(data["messages"])

    status, summary, _ = call(f"{url}/v1/users/u001", "DELETE", key=U1)
    assert status == 200, summary
    assert summary["removed"]["messages"] == held and summary["remaining"] == 0
    assert call(f"{url}/v1/users/u001/messages", key=ADMIN)[1] == []
    assert call(f"{url}/v1/users/u001/export", key=ADMIN)[1]["messages"] == []
