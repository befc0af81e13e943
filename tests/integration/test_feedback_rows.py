"""Feedback into fine-tuning, on the real stack: every answer gets a message id over real HTTP
(the completion `id`, streamed or not), a thumb names it (only its own shopper's), and
`shopassist finetune --with-feedback` turns answers shoppers liked (the real SmolLM2 under vLLM)
and replies agents sent into training rows after the grounding check, counting what it drops.
A fresh demo store of its own."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from assistant.llm import LLMConfig, LLMRuntime
from tests.integration.live import call, live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN, AGENT, U1, U2 = "fb-adm-1", "fb-agt-1", "fb-u001-1", "fb-u002-1"
KEYS = f"{ADMIN}=admin,{AGENT}=agent,{U1}=shopper:u001,{U2}=shopper:u002"
POLICY = "what is your return policy?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, vllm_server):
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    store = open_store(StoreConfig(data_dir=tmp_path_factory.mktemp("feedback")), embedder)
    prepare_demo(store)
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=100, timeout_s=120)
    ).start()
    with live_server(store, runtime, api_keys=KEYS) as (url, service):
        yield url, service


def _ask(url: str, key: str, user: str, question: str) -> dict:
    body = {
        "model": "shopassist",
        "user": user,
        "messages": [{"role": "user", "content": question}],
    }
    status, got, _ = call(f"{url}/v1/chat/completions", "POST", body, key=key)
    assert status == 200, got
    return got


def _thumb(url: str, key: str, user: str, message_id: str, rating: int) -> tuple[int, dict]:
    body = {"user_id": user, "message_id": message_id, "rating": rating}
    status, got, _ = call(f"{url}/v1/feedback", "POST", body, key=key)
    return status, got


def _streamed_ids(url: str, key: str, user: str, question: str) -> set[str]:
    import urllib.request

    body = {"model": "shopassist", "user": user, "stream": True,
            "messages": [{"role": "user", "content": question}]}  # fmt: skip
    req = urllib.request.Request(
        f"{url}/v1/chat/completions", json.dumps(body).encode(), method="POST"
    )
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(req, timeout=120) as resp:
        events = [
            ln[5:].strip() for ln in resp.read().decode().splitlines() if ln.startswith("data:")
        ]
    return {json.loads(e)["id"] for e in events if e != "[DONE]"}


def test_every_answer_has_an_id_that_only_its_shopper_can_rate(server):
    url, service = server
    got = _ask(url, U1, "u001", POLICY)
    mid = got["id"]
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{32}", mid) and got["shopassist"]["message_id"] == mid
    assert _thumb(url, U1, "u001", mid, 1) == (
        200,
        {"feedback_id": 1, "message_id": mid, "rating": 1},
    )

    (streamed,) = _streamed_ids(url, U1, "u001", "how long does delivery take?")  # one id
    assert streamed != mid and _thumb(url, U1, "u001", streamed, -1)[0] == 200

    status, err = _thumb(url, U2, "u002", mid, -1)  # another shopper's answer: as if unknown
    assert status == 404 and err["error"]["code"] == "unknown_message"
    assert _thumb(url, U2, "u001", mid, -1)[0] == 403  # nor may they act for its shopper
    assert _thumb(url, U1, "u001", "chatcmpl-" + "0" * 32, 1)[0] == 404
    assert _thumb(url, U1, "u001", mid, 0)[0] in (400, 422)
    with service.store.engine.connect() as conn:
        rated = conn.execute(text("SELECT user_id, message_id, rating FROM feedback")).all()
        logged = conn.execute(text("SELECT message_id, user_id, answer FROM answer_log")).all()
    assert sorted(map(tuple, rated)) == sorted([("u001", mid, 1), ("u001", streamed, -1)])
    by_id = {r.message_id: r for r in logged}
    assert by_id[mid].user_id == "u001" and by_id[mid].answer.startswith(
        got["choices"][0]["message"]["content"][:40]
    )


def test_finetune_with_feedback_keeps_grounded_rows_and_counts_the_dropped(
    server, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from assistant.cli import app
    from finetune.feedback import tag_form
    from retrieval.storage.schema import basket_lines

    url, service = server
    store = service.store
    before = _report(store)  # what the module's other tests left
    liked = _ask(url, U2, "u002", POLICY)  # the real SmolLM2 writes the explanation
    logged = _logged(store, liked["id"])
    assert logged["model_text"], liked  # the model's grounded sentences were kept apart
    assert _thumb(url, U2, "u002", liked["id"], 1)[0] == 200
    basket = _ask(url, U2, "u002", "add P00491 to my basket")
    assert basket["shopassist"]["intent"] == "basket" and basket["shopassist"]["basket"]["lines"]
    assert _thumb(url, U2, "u002", basket["id"], 1)[0] == 200  # code wrote it: no target

    handoff = {"model": "shopassist", "user": "u002",
               "messages": [{"role": "user", "content": "where is my order?"},
                            {"role": "assistant", "content": "It is on its way."},
                            {"role": "user", "content": "I want to talk to a human"}]}  # fmt: skip
    status, got, _ = call(f"{url}/v1/chat/completions", "POST", handoff, key=U2)
    ticket = got["shopassist"]["ticket_id"]
    assert status == 200 and isinstance(ticket, int), got
    status, draft, _ = call(f"{url}/v1/drafts", "POST",
                            {"ticket_text": "where is my order?", "customer_id": "u002"}, key=AGENT)  # fmt: skip
    assert status == 200 and re.search(r"\d{4}-\d\d-\d\d", draft["draft"]), draft
    wrong = re.sub(
        r"(\d{4})-(\d\d)-(\d\d)", lambda m: f"{int(m[1]) - 1}-{m[2]}-{m[3]}", draft["draft"]
    )
    for sent in (draft["draft"], wrong):  # sent as drafted; then with every date a year off
        reply = {"text": sent, "draft": draft["draft"]}
        assert call(f"{url}/v1/tickets/{ticket}/reply", "POST", reply, key=AGENT)[0] == 200
    with store.engine.connect() as conn:
        tickets_before = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        basket_before = conn.execute(select(func.sum(basket_lines.c.quantity))).scalar_one()

    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(store.config.data_dir))
    out = tmp_path / "data"
    args = ["finetune", "--with-feedback", "--data-only", "--json", "--set", f"data.out_dir={out}",
            "--set", "data.max_users=1", "--set", "data.per_user=1", "--set", "data.bitext=null"]  # fmt: skip
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    stats = json.loads(run.stdout)["data"]
    assert {k: dict(Counter(v) - Counter(before[k])) for k, v in stats["feedback"].items()} == {
        "liked": {"kept": 1, "dropped: code wrote the answer": 1},
        "agent_sent": {"kept": 1, "dropped: target failed grounding": 1},
    }
    rows = [json.loads(x) for f in ("train.jsonl", "validation.jsonl")
            for x in (out / f).read_text().splitlines()]  # fmt: skip
    approved = {
        r["meta"]["source"]: r for r in rows if r["meta"]["source"] in ("liked", "agent_sent")
    }
    assert set(approved) == {"liked", "agent_sent"}
    # one row per distinct prompt and target: the same answer liked twice is one row
    target = tag_form(logged["model_text"], _plan(service, POLICY, "u002").ev)
    same = [
        r for r in rows if r["meta"]["source"] == "liked" and r["messages"][-1]["content"] == target
    ]
    assert len(same) == 1 and same[0]["messages"][0]["role"] == "system"
    assert "[S1]" in target and "›" not in target  # cited as the prompt tags it
    assert _logged(store, same[0]["meta"]["message_id"])["answer"].endswith(logged["model_text"])
    assert approved["agent_sent"]["messages"][-1]["content"] == draft["draft"]
    assert approved["agent_sent"]["meta"]["edited"] is False
    assert "where is my order?" in approved["agent_sent"]["messages"][1]["content"]
    with store.engine.connect() as conn:  # re-planning opened no ticket and changed no basket
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == tickets_before
        assert conn.execute(select(func.sum(basket_lines.c.quantity))).scalar_one() == basket_before


def test_a_liked_answer_naming_an_item_no_longer_sold_is_dropped(server):
    url, service = server
    got = _ask(url, U1, "u001", "a gift for a coffee lover under £40")
    said = _logged(service.store, got["id"])["model_text"]
    named = re.findall(r"\[(P\d{5})\]", said)
    assert named, said  # the model named the items it suggests
    assert _thumb(url, U1, "u001", got["id"], 1)[0] == 200
    assert _rows_for(service.store, got["id"]) == 1

    status, done, _ = call(f"{url}/v1/admin/products", "POST", {"delete": named[:1]}, key=ADMIN)
    assert status == 200 and done["deleted"] == 1, done
    assert _rows_for(service.store, got["id"]) == 0  # dropped: it names what is not sold now


def test_export_lists_the_answers_and_forget_removes_them(server):
    url, _ = server
    got = _ask(url, U1, "u001", "do you take PayPal?")
    status, data, _ = call(f"{url}/v1/users/u001/export", key=U1)
    assert status == 200 and got["id"] in {a["message_id"] for a in data["answers"]}
    assert all(a["messages"][-1]["role"] == "user" for a in data["answers"])
    status, summary, _ = call(f"{url}/v1/users/u001", "DELETE", key=U1)
    assert status == 200 and summary["removed"]["answers"] == len(data["answers"])
    assert summary["remaining"] == 0
    assert call(f"{url}/v1/users/u001/export", key=ADMIN)[1]["answers"] == []


def _logged(store, message_id: str) -> dict:
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM answer_log WHERE message_id = :m"), {"m": message_id}
        ).first()
    assert row is not None, message_id
    return dict(row._mapping)


def _report(store) -> dict:
    from assistant.config import Settings
    from assistant.runtime import build_engine
    from finetune.feedback import feedback_rows

    return feedback_rows(store, build_engine(store, Settings()))[1]


def _rows_for(store, message_id: str) -> int:
    from assistant.config import Settings
    from assistant.runtime import build_engine
    from finetune.feedback import feedback_rows

    rows, _ = feedback_rows(store, build_engine(store, Settings()))
    return sum(r["meta"].get("message_id") == message_id for r in rows)


def _plan(service, question: str, user: str):
    return service.engine.plan([{"role": "user", "content": question}], user, act=False)
