"""Baskets in SQL: one line per (user, product, chosen options), priced from the live catalog.

Every change is one transaction that also records a `cart` event (quantity = the signed change;
profiles and the recommender count only additions) and, when the change comes from a chat
message, the message's change key: the same message replayed finds its key and changes nothing
(`apply_once`). Prices and stock are never stored on a line: a basket is always read at today's
catalog price, and a line whose product left the catalog is listed as unavailable, outside the
total.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from retrieval.storage.schema import basket_changes, basket_lines, event_key, events

MAX_QUANTITY = 99  # per line: more is a typo or abuse, and no shop sells it through a chat


@dataclass
class BasketLine:
    """One line as the shopper sees it (price and stock read from the catalog now)."""

    product_id: str
    title: str
    quantity: int
    unit_price: float | None
    currency: str
    options: str = ""  # "size=M" when the product has variants
    available: bool = True  # False: the product is no longer in the catalog or out of stock

    @property
    def line_total(self) -> float | None:
        return None if self.unit_price is None else round(self.unit_price * self.quantity, 2)


@dataclass
class Basket:
    """A user's basket: lines in the order they were first added, and the total of what can be
    bought (unavailable lines are listed but not counted)."""

    user_id: str
    currency: str
    lines: list[BasketLine] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.line_total or 0.0 for line in self.lines if line.available), 2)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines if line.available)

    def line(self, product_id: str, options: str = "") -> BasketLine | None:
        return next(
            (x for x in self.lines if x.product_id == product_id and x.options == options), None
        )

    def to_json(self) -> dict:
        return {
            "user_id": self.user_id,
            "currency": self.currency,
            "lines": [{**asdict(x), "line_total": x.line_total} for x in self.lines],
            "item_count": self.count,
            "total": self.total,
        }


def change_key(user_id: str, conversation: str | None, messages: list[dict]) -> str:
    """The key of the last user message's basket change: the user, the client's conversation id
    and every message up to and including this one (role and content), so a replayed or retried
    conversation maps to the same key and a new message (or conversation) to a new one."""
    blob = json.dumps(
        [user_id, conversation or "", [(m.get("role"), m.get("content")) for m in messages]],
        ensure_ascii=False, default=str,
    )  # fmt: skip
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def get_basket(store, user_id: str) -> Basket:
    """The user's basket, priced from the live catalog."""
    query = (
        select(basket_lines)
        .where(basket_lines.c.user_id == user_id)
        .order_by(basket_lines.c.added_at, basket_lines.c.product_id)
    )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    basket = Basket(user_id, store.config.currency)
    for r in rows:
        p = store.get_product(r["product_id"])
        basket.lines.append(
            BasketLine(
                product_id=r["product_id"],
                title=p.title if p else r["product_id"],
                quantity=r["quantity"],
                unit_price=p.price if p else None,
                currency=(p.currency if p else None) or store.config.currency,
                options=r["options"] or "",
                available=p is not None and p.in_stock is not False and p.price is not None,
            )
        )
    return basket


def _line_key(user_id: str, product_id: str, options: str):
    return (
        (basket_lines.c.user_id == user_id)
        & (basket_lines.c.product_id == product_id)
        & (basket_lines.c.options == options)
    )


def line_quantity(conn, user_id: str, product_id: str, options: str = "") -> int:
    """The quantity of one line now (0: no such line), read inside the caller's transaction."""
    query = select(basket_lines.c.quantity).where(_line_key(user_id, product_id, options))
    return conn.execute(query).scalar_one_or_none() or 0


def set_quantity(conn, user_id: str, product_id: str, quantity: int, options: str = "") -> int:
    """Set one line's quantity inside the caller's transaction (0 removes it); returns the old
    quantity. Records the change as a `cart` event."""
    key = _line_key(user_id, product_id, options)
    old = line_quantity(conn, user_id, product_id, options)
    now = _now()
    if quantity <= 0:
        conn.execute(delete(basket_lines).where(key))
    elif old:
        conn.execute(basket_lines.update().where(key).values(quantity=quantity, updated_at=now))
    else:
        conn.execute(
            basket_lines.insert().values(
                user_id=user_id, product_id=product_id, options=options, quantity=quantity,
                added_at=now, updated_at=now,
            )
        )  # fmt: skip
    if quantity != old:
        rec = {"user_id": user_id, "product_id": product_id, "event": "cart", "ts": now,
               "quantity": quantity - old, "text": f"basket {old} -> {max(quantity, 0)}"}  # fmt: skip
        conn.execute(events.insert().values(event_key=event_key(rec), **rec))
    return old


def clear_basket(conn, user_id: str) -> list[tuple[str, str, int]]:
    """Remove every line (inside the caller's transaction); returns what was removed."""
    query = select(basket_lines.c.product_id, basket_lines.c.options, basket_lines.c.quantity)
    rows = list(conn.execute(query.where(basket_lines.c.user_id == user_id)))
    for pid, options, _ in rows:
        set_quantity(conn, user_id, pid, 0, options)
    return [(pid, options, qty) for pid, options, qty in rows]


def apply_once(store, change_key: str | None, user_id: str, apply) -> tuple[dict, bool]:
    """Run `apply(conn) -> fact` in one transaction unless `change_key` was applied before.

    Returns (fact, applied_now). A replay returns the fact recorded the first time; two
    concurrent requests with one key apply it once (the key is the table's primary key)."""
    done = _recorded(store, change_key)
    if done is not None:
        return done, False
    try:
        with store.write_lock, store.engine.begin() as conn:
            fact = apply(conn)
            if change_key:
                conn.execute(
                    basket_changes.insert().values(
                        change_key=change_key, user_id=user_id, ts=_now(),
                        fact=json.dumps(fact, ensure_ascii=False, default=str),
                    )
                )  # fmt: skip
    except IntegrityError:  # another request applied this key first: its change stands
        done = _recorded(store, change_key)
        if done is None:
            raise
        return done, False
    return fact, True


def _recorded(store, change_key: str | None) -> dict | None:
    if not change_key:
        return None
    with store.engine.connect() as conn:
        done = conn.execute(
            select(basket_changes.c.fact).where(basket_changes.c.change_key == change_key)
        ).scalar_one_or_none()
    return None if done is None else json.loads(done)
