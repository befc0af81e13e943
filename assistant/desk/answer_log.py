"""The answers ShopAssist gave, by message id, and the shoppers' thumbs on them.

Every turn through the service gets a message id (the OpenAI completion `id`, which the Shop tab
also keeps on the message). The answer is logged under it with the conversation it replied to,
so a thumb can name it (`POST /v1/feedback`) and `shopassist finetune --with-feedback` can turn a
liked answer into a training row. Unrated answers are kept for `KEEP_UNRATED_DAYS`; rated ones
until their user is forgotten (`assistant.desk.privacy`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select

from assistant.desk.support import bounded_transcript
from retrieval.storage.schema import answer_log, feedback

KEEP_UNRATED_DAYS = 30
_PRUNE_EVERY_S = 3600.0
_pruned: dict[int, float] = {}  # id(engine) → when this process last pruned it
_prune_lock = threading.Lock()


def new_message_id() -> str:
    """An id no client can guess (it is what lets a thumb name an anonymous answer)."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def record_answer(store, message_id: str, messages: list[dict], user: str | None, agent: bool,
                  result) -> None:  # fmt: skip
    """Log one finished turn (a `TurnResult`) under `message_id`."""
    turns = [{"role": m["role"], "content": m["content"]} for m in bounded_transcript(messages)]
    row = {"message_id": message_id, "user_id": user, "agent": agent, "intent": result.intent,
           "messages": json.dumps(turns, ensure_ascii=False), "answer": result.answer,
           "model_text": result.model_text, "created_at": _now()}  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(answer_log.insert(), [row])
    _prune_now_and_then(store)


def answer_for(store, message_id: str, user: str | None) -> dict | None:
    """The logged answer `message_id`, if `user` may rate it: their own answer, or an anonymous
    one (holding its unguessable id is the right). None otherwise, alike for missing and others'."""
    with store.engine.connect() as conn:
        row = conn.execute(select(answer_log).where(answer_log.c.message_id == message_id)).first()
    if row is None or (row.user_id is not None and row.user_id != user):
        return None
    return _as_dict(row)


def rated_answers(store) -> list[dict]:
    """Logged answers with their latest thumb (`rating` 1 or -1), oldest first."""
    latest: dict[str, int] = {}
    with store.engine.connect() as conn:
        for mid, rating in conn.execute(
            select(feedback.c.message_id, feedback.c.rating).order_by(feedback.c.feedback_id)
        ):
            latest[mid] = rating
        rows = conn.execute(
            select(answer_log)
            .where(answer_log.c.message_id.in_(list(latest)))
            .order_by(answer_log.c.created_at)
        ).all() if latest else []  # fmt: skip
    return [{**_as_dict(r), "rating": latest[r.message_id]} for r in rows]


def _as_dict(row) -> dict:
    d = dict(row._mapping)
    d["messages"] = json.loads(d["messages"])
    return d


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def prune_unrated(store, days: int = KEEP_UNRATED_DAYS) -> int:
    """Delete logged answers older than `days` that nobody rated; how many went."""
    rated = exists().where(feedback.c.message_id == answer_log.c.message_id)
    cutoff = _now() - timedelta(days=days)
    with store.write_lock, store.engine.begin() as conn:
        gone = conn.execute(delete(answer_log).where(answer_log.c.created_at < cutoff, ~rated))
    return gone.rowcount


def _prune_now_and_then(store) -> None:
    key, now = id(store.engine), time.monotonic()
    with _prune_lock:
        if now - _pruned.get(key, -_PRUNE_EVERY_S) < _PRUNE_EVERY_S:
            return
        _pruned[key] = now
    prune_unrated(store)
