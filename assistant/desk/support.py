"""Customer service facts decided by code: this user's orders, delivery estimates, return
eligibility, policy sections, and handoff tickets.

Isolation: every order query is scoped by the asking user's id. An order id that belongs to
someone else is answered exactly like one that does not exist ("no order … on your account"),
so the reply reveals nothing about other customers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from assistant.facts import OrderStatus, ReturnVerdict
from retrieval.storage.schema import feedback, orders, tickets


@dataclass
class ServiceRules:
    """Store rules code applies (the demo's policies state the same numbers)."""

    return_window_days: int = 30  # from the delivery date
    non_returnable_if_opened: tuple[str, ...] = ("beauty", "food & drink")  # top-level categories
    delivery_days_min: int = 3  # business days, standard delivery
    delivery_days_max: int = 5
    cancellable_statuses: tuple[str, ...] = ("placed", "processing")
    warranty_years_electronics: int = 2
    warranty_years_default: int = 1
    # from the store's rules file (store.json); None / empty: the store states no such rule
    free_shipping_threshold: float | None = None
    standard_shipping_fee: float | None = None
    express_shipping_fee: float | None = None
    payment_methods: tuple[str, ...] = ()
    return_label_fee: float | None = None
    refund_days_min: int | None = None
    refund_days_max: int | None = None

    @classmethod
    def from_store_file(cls, path, base: ServiceRules | None = None) -> ServiceRules:
        """The rules a store's `store.json` states, over `base` (the settings' rules)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        pick = {
            "return_window_days": data.get("return_window_days"),
            "non_returnable_if_opened": tuple(c.lower() for c in data.get("non_returnable_if_opened", ())) or None,
            "delivery_days_min": data.get("standard_delivery_business_days_min"),
            "delivery_days_max": data.get("standard_delivery_business_days_max"),
            "cancellable_statuses": tuple(data.get("cancellable_statuses", ())) or None,
            "warranty_years_electronics": data.get("warranty_years_electronics"),
            "warranty_years_default": data.get("warranty_years_default"),
            "free_shipping_threshold": data.get("free_shipping_threshold"),
            "standard_shipping_fee": data.get("standard_shipping_fee"),
            "express_shipping_fee": data.get("express_shipping_fee"),
            "payment_methods": tuple(data.get("payment_methods", ())) or None,
            "return_label_fee": data.get("return_label_fee"),
            "refund_days_min": data.get("refund_business_days_min"),
            "refund_days_max": data.get("refund_business_days_max"),
        }  # fmt: skip
        return replace(base or cls(), **{k: v for k, v in pick.items() if v is not None})


def _day(ts: datetime | None) -> str | None:
    return ts.date().isoformat() if ts else None


def add_business_days(start: date, days: int) -> date:
    """`start` plus `days` Monday-to-Friday days."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def user_orders(
    store, user_id: str, order_ids: list[str] | None = None, limit: int = 3
) -> list[dict]:
    """This user's order lines (newest first), with titles; `order_ids` narrows to those orders."""
    query = select(orders).where(orders.c.user_id == user_id)
    if order_ids:
        query = query.where(orders.c.order_id.in_(order_ids))
    query = query.order_by(orders.c.ordered_at.desc())
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    if not order_ids:
        keep = list(dict.fromkeys(r["order_id"] for r in rows))[:limit]
        rows = [r for r in rows if r["order_id"] in keep]
    for r in rows:
        product = store.get_product(r["product_id"])
        r["title"] = product.title if product else r["product_id"]
        r["category"] = product.category if product else ""
        r["ordered_at"] = _day(r["ordered_at"])
        r["delivered_at"] = _day(r["delivered_at"])
    return rows


def missing_orders(requested: list[str], found: list[dict]) -> list[str]:
    """Requested order ids not on this account (absent or someone else's: same answer)."""
    have = {r["order_id"].upper() for r in found}
    return [o for o in requested if o.upper() not in have]


def order_facts(lines: list[dict], rules: ServiceRules, today: date) -> list[OrderStatus]:
    """Status and delivery window of each order line."""
    facts = []
    for r in lines:
        fact = OrderStatus(r["order_id"], r["title"], r["status"], r["ordered_at"])
        if r["status"] == "returned":
            fact = replace(fact, refund_days=_refund_days(rules))
        elif r["status"] == "delivered" and r["delivered_at"]:
            fact = replace(fact, delivered_at=r["delivered_at"])
        elif r["status"] in ("placed", "processing", "shipped"):
            start = date.fromisoformat(r["ordered_at"])
            lo = add_business_days(start, rules.delivery_days_min)
            hi = add_business_days(start, rules.delivery_days_max)
            fact = replace(fact, expected_from=lo.isoformat(), expected_to=hi.isoformat(),
                           late=hi < today)  # fmt: skip
        facts.append(fact)
    return facts


def return_facts(lines: list[dict], rules: ServiceRules, today: date) -> list[ReturnVerdict]:
    """Return eligibility of each order line, computed from the rules and the dates; a single
    line's answer opens with its verdict ("Yes: …", "No: …")."""
    decided = [_return_verdict(r, rules, today) for r in lines]
    if len(decided) == 1:
        return [replace(decided[0], lead=True)]
    return decided


def _refund_days(rules: ServiceRules) -> str | None:
    if rules.refund_days_min is None or rules.refund_days_max is None:
        return None
    return f"{rules.refund_days_min}-{rules.refund_days_max}"


def _return_verdict(r: dict, rules: ServiceRules, today: date) -> ReturnVerdict:
    fact = ReturnVerdict(r["order_id"], r["title"], "ok", window_days=rules.return_window_days)
    top = (r.get("category") or "").split(">")[0].strip().lower()
    if r["status"] == "returned":
        return replace(fact, outcome="returned", refund_days=_refund_days(rules))
    if r["status"] != "delivered" or not r["delivered_at"]:
        return replace(fact, outcome="not_delivered")
    last = (
        date.fromisoformat(r["delivered_at"]) + timedelta(days=rules.return_window_days)
    ).isoformat()
    if today.isoformat() > last:
        return replace(fact, outcome="window_ended", until=last)
    if top in rules.non_returnable_if_opened:
        return replace(fact, outcome="unopened_only", until=last)
    return replace(fact, until=last)


def policy_sections(store, question: str, k: int = 2) -> list[dict]:
    """The policy chunks closest to the question: {"id","section","file","text"}."""
    col = store.collection("policies")
    if col.count() == 0:
        return []
    vec = store.embedder.encode_one(question)
    got = col.query(query_embeddings=[vec], n_results=min(k, col.count()))
    out = []
    for cid, doc, meta in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], strict=True):
        body = doc.split("\n\n", 1)[-1]
        out.append(
            {
                "id": cid,
                "section": meta.get("section", ""),
                "file": meta.get("file", ""),
                "text": body,
            }
        )
    return out


# --- handoff tickets ---------------------------------------------------------------------------


def add_feedback(store, user_id: str, message_id: str, rating: int, comment: str | None) -> int:
    """Thumbs up/down on an answer."""
    row = {"user_id": user_id, "message_id": message_id, "rating": rating, "comment": comment,
           "created_at": datetime.now(UTC).replace(tzinfo=None)}  # fmt: skip
    with store.engine.begin() as conn:
        return int(conn.execute(feedback.insert(), [row]).inserted_primary_key[0])


MAX_TRANSCRIPT_CHARS = 32_000  # the newest turns that fit; a ticket never holds more
TICKET_STATES = ("open", "resolved", "closed")


def bounded_transcript(messages: list[dict]) -> list[dict]:
    """The newest turns within MAX_TRANSCRIPT_CHARS, each turn's text cut to 4,000 characters.
    Assistant turns come from the client (the API is stateless), so they are marked
    `unverified`: an agent must not take "your refund is approved" in them as ShopAssist's."""
    out: list[dict] = []
    size = 0
    for m in reversed(messages):
        turn = {"role": str(m.get("role", "")), "content": str(m.get("content") or "")[:4000]}
        if turn["role"] == "assistant":
            turn["unverified"] = True
        size += len(json.dumps(turn, ensure_ascii=False))
        if size > MAX_TRANSCRIPT_CHARS and out:
            break
        out.append(turn)
    return out[::-1]


def open_ticket(store, user_id: str | None, reason: str, transcript: list[dict]) -> int:
    """The user's open ticket, holding the newest transcript: a new one only when the user has
    none open (asking again updates it; it can't be flooded). Returns its id."""
    text = json.dumps(bounded_transcript(transcript), ensure_ascii=False)
    for _ in range(3):  # another process may open the same user's ticket at the same moment
        try:
            return _open_or_update(store, user_id, reason, text)
        except IntegrityError:
            continue
    return _open_or_update(store, user_id, reason, text)


def _open_or_update(store, user_id: str | None, reason: str, text: str) -> int:
    mine = tickets.c.user_id.is_(None) if user_id is None else tickets.c.user_id == user_id
    with store.write_lock, store.engine.begin() as conn:
        found = conn.execute(
            select(tickets.c.ticket_id).where(mine, tickets.c.status == "open").limit(1)
        ).scalar()
        if found is not None:
            conn.execute(
                update(tickets).where(tickets.c.ticket_id == found).values(transcript=text)
            )
            return int(found)
        row = {"user_id": user_id, "reason": reason, "status": "open",
               "created_at": datetime.now(UTC).replace(tzinfo=None), "transcript": text}  # fmt: skip
        return int(conn.execute(tickets.insert(), [row]).inserted_primary_key[0])


def list_tickets(store, status: str | None = "open", limit: int = 50,
                 after: int | None = None) -> dict:  # fmt: skip
    """One page of tickets, newest first: {"data": [...], "next_after": id or None}; pass
    `next_after` back as `after` for the next page."""
    query = select(tickets).order_by(tickets.c.ticket_id.desc()).limit(limit + 1)
    if status:
        query = query.where(tickets.c.status == status)
    if after is not None:
        query = query.where(tickets.c.ticket_id < after)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        r["transcript"] = json.loads(r["transcript"])
        r["created_at"] = r["created_at"].isoformat()
    return {"data": rows, "next_after": rows[-1]["ticket_id"] if more else None}


class TicketConflict(ValueError):
    """Reopening a ticket of a user who has another one open."""


def set_ticket_status(store, ticket_id: int, status: str) -> dict | None:
    """Resolve or close a ticket (or reopen it); the ticket as stored, or None if unknown.
    TicketConflict when reopening would give its user two open tickets."""
    try:
        with store.write_lock, store.engine.begin() as conn:
            done = conn.execute(
                update(tickets).where(tickets.c.ticket_id == ticket_id).values(status=status)
            ).rowcount
            row = conn.execute(select(tickets).where(tickets.c.ticket_id == ticket_id)).first()
    except IntegrityError:
        msg = f"ticket {ticket_id}'s user has another ticket open; resolve that one first"
        raise TicketConflict(msg) from None
    if not done or row is None:
        return None
    out = dict(row._mapping)
    out["transcript"] = json.loads(out["transcript"])
    out["created_at"] = out["created_at"].isoformat()
    return out
