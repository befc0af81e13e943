"""Everything held about one user: export it, or forget it.

Forgetting removes the user's events and basket (SQL), their history documents (Chroma `user_history`,
matched by `user_id` metadata), feedback, and handoff tickets with their chat transcripts; the
profile and any recommender statistics are derived from events on demand, so they go with them
(callers drop their caches). Kept, for accounting: order lines (order id, product, dates) — the
export lists them and the summary says so.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, func, select

from assistant.support import _ensure_tickets, feedback, tickets
from retrieval.sql import basket_changes, basket_lines, events, orders

KEPT = "orders are kept for accounting (order id, product, quantity, status, dates)"


def _rows(conn, table, user_id: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(select(table).where(table.c.user_id == user_id))]


def export_user(store, user_id: str) -> dict:
    """All data held about `user_id`, as JSON-ready dicts."""
    from retrieval.profile import user_profile

    _ensure_tickets(store)
    with store.engine.connect() as conn:
        data = {name: _rows(conn, t, user_id) for name, t in
                (("events", events), ("orders", orders), ("feedback", feedback), ("tickets", tickets),
                 ("basket", basket_lines), ("basket_changes", basket_changes))}  # fmt: skip
    for t in data["tickets"]:
        t["transcript"] = json.loads(t["transcript"])
    hist = store.collection("user_history").get(where={"user_id": user_id}, include=["documents"])
    data["history_documents"] = [
        {"id": i, "text": d} for i, d in zip(hist["ids"], hist["documents"], strict=True)
    ]
    data["profile"] = user_profile(store, user_id).to_dict()
    return json.loads(json.dumps({"user_id": user_id, **data}, default=str))


def forget_user(store, user_id: str) -> dict:
    """Delete the user's data; returns what was removed and verifies nothing is left."""
    _ensure_tickets(store)
    removed: dict[str, int] = {}
    with store.write_lock, store.engine.begin() as conn:
        for name, table in (("events", events), ("feedback", feedback), ("tickets", tickets),
                            ("basket", basket_lines), ("basket_changes", basket_changes)):  # fmt: skip
            removed[name] = conn.execute(delete(table).where(table.c.user_id == user_id)).rowcount
    col = store.collection("user_history")
    ids = col.get(where={"user_id": user_id}, include=[])["ids"]
    if ids:
        col.delete(ids=ids)
    removed["history_documents"] = len(ids)
    with store.engine.connect() as conn:
        left = sum(conn.execute(select(func.count()).select_from(t).where(t.c.user_id == user_id)).scalar_one()
                   for t in (events, feedback, tickets, basket_lines, basket_changes))  # fmt: skip
    left += len(col.get(where={"user_id": user_id}, include=[])["ids"])
    return {"user_id": user_id, "removed": removed, "remaining": left, "kept": KEPT}
