"""Everything held about one user: export it, or forget it.

Forgetting removes the user's events and basket (SQL), their history documents (Chroma `user_history`,
matched by `user_id` metadata), feedback, handoff tickets with their chat transcripts, and the
replies support agents sent them (`agent_replies`, drafts included), the answers ShopAssist gave
them (`answer_log`, with the conversations they replied to); the profile and any
recommender statistics are derived from events on demand, so they go with them (callers drop
their caches). Kept, for accounting: order lines (order id, product, dates) — the
export lists them and the summary says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from retrieval.recs.recommend import drop_recommender_cache
from retrieval.storage.schema import (
    agent_replies,
    answer_log,
    basket_changes,
    basket_lines,
    events,
    feedback,
    forgotten_users,
    orders,
    tickets,
)

KEPT = "orders are kept for accounting (order id, product, quantity, status, dates)"


def _rows(conn, table, user_id: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(select(table).where(table.c.user_id == user_id))]


def export_user(store, user_id: str) -> dict:
    """All data held about `user_id`, as JSON-ready dicts."""
    from retrieval.search.profile import user_profile

    with store.engine.connect() as conn:
        data = {name: _rows(conn, t, user_id) for name, t in
                (("events", events), ("orders", orders), ("feedback", feedback), ("tickets", tickets),
                 ("basket", basket_lines), ("basket_changes", basket_changes))}  # fmt: skip
        sent = conn.execute(select(agent_replies).where(agent_replies.c.user_id == user_id)
                            .order_by(agent_replies.c.reply_id)).all()  # fmt: skip
        answered = _rows(conn, answer_log, user_id)
    for t in data["tickets"]:
        t["transcript"] = json.loads(t["transcript"])
    data["answers"] = [{**a, "messages": json.loads(a["messages"])} for a in answered]
    data["messages"] = [  # the replies support agents sent them, oldest first
        {"reply_id": r.reply_id, "ticket_id": r.ticket_id, "text": r.sent, "draft": r.draft,
         "sent_at": r.sent_at} for r in sent
    ]  # fmt: skip
    hist = store.collection("user_history").get(where={"user_id": user_id}, include=["documents"])
    data["history_documents"] = [
        {"id": i, "text": d} for i, d in zip(hist["ids"], hist["documents"], strict=True)
    ]
    data["profile"] = user_profile(store, user_id).to_dict()
    return json.loads(json.dumps({"user_id": user_id, **data}, default=str))


def forget_user(store, user_id: str) -> dict:
    """Delete the user's data and leave a tombstone, so re-ingesting an old file can't bring them
    back; scrub their rows from rejects reports; drop cached recommender sequences; checkpoint
    SQLite (deleted rows are zeroed: secure_delete). Returns what was removed and verifies
    nothing is left."""
    removed: dict[str, int] = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.write_lock, store.engine.begin() as conn:
        for name, table in (("events", events), ("feedback", feedback), ("tickets", tickets),
                            ("messages", agent_replies), ("answers", answer_log),
                            ("basket", basket_lines), ("basket_changes", basket_changes)):  # fmt: skip
            removed[name] = conn.execute(delete(table).where(table.c.user_id == user_id)).rowcount
        conn.execute(delete(forgotten_users).where(forgotten_users.c.user_id == user_id))
        conn.execute(forgotten_users.insert(), [{"user_id": user_id, "forgotten_at": now}])
    removed["rejects_rows"] = scrub_rejects(store.config.data_dir / "rejects", user_id)
    drop_recommender_cache(store)
    col = store.collection("user_history")
    ids = col.get(where={"user_id": user_id}, include=[])["ids"]
    if ids:
        col.delete(ids=ids)
    removed["history_documents"] = len(ids)
    with store.engine.connect() as conn:
        left = sum(conn.execute(select(func.count()).select_from(t).where(t.c.user_id == user_id)).scalar_one()
                   for t in (events, feedback, tickets, agent_replies, answer_log, basket_lines,
                             basket_changes))  # fmt: skip
    left += len(col.get(where={"user_id": user_id}, include=[])["ids"])
    if store.engine.url.get_backend_name() == "sqlite":
        with store.engine.connect() as conn:  # the WAL's copies of deleted pages go too
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    # the embedded Chroma database's free pages still hold the deleted documents' text
    removed["chroma_compacted"] = store.scrub_deleted()
    return {"user_id": user_id, "removed": removed, "remaining": left, "kept": KEPT}


def scrub_rejects(folder: Path, user_id: str) -> int:
    """Remove the user's rows from rejects reports (JSONL: line, reason, row); rows removed."""
    removed = 0
    for path in sorted(folder.glob("*.jsonl")) if folder.exists() else ():
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [x for x in lines if not _names_user(x, user_id)]
        if len(kept) != len(lines):
            removed += len(lines) - len(kept)
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(x + "\n" for x in kept), encoding="utf-8")
            tmp.replace(path)
    return removed


def _names_user(line: str, user_id: str) -> bool:
    try:
        row = json.loads(line).get("row") or {}
    except (json.JSONDecodeError, AttributeError):
        return user_id in line
    return any(str(v).strip() == user_id for v in row.values())
