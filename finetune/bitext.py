"""Bitext customer-service tickets for the agent-draft SFT rows of `finetune.dataset`: tickets
with their order numbers replaced by real demo orders, and reply openers with {{Slots}} filled
only where a true value exists.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_ORDER_SLOTS = {"Order Number", "Order Number Anonymized", "Purchase ID Anonymized", "Order ID"}

BITEXT_INTENTS = frozenset(
    "track_order cancel_order change_order get_refund track_refund check_refund_policy "
    "delivery_period delivery_options check_payment_methods payment_issue".split()
)


def fill_placeholders(text: str, order_id: str | None, shop: str) -> str | None:
    """Bitext {{Slots}} filled from demo data; None when a slot has no true value here."""

    def fill(m: re.Match) -> str:
        slot = m.group(1)
        if slot in _ORDER_SLOTS and order_id:
            return order_id
        if slot == "Website Name":
            return shop
        raise KeyError(slot)

    try:
        return _PLACEHOLDER.sub(fill, text)
    except KeyError:
        return None


def bitext_opener(response: str, order_id: str | None, shop: str) -> str:
    """The reply's first sentence with slots filled, or "" when it can't be made true."""
    first = re.split(r"(?<=[.!?])\s+", " ".join(response.split()))[0]
    filled = fill_placeholders(first, order_id, shop)
    if not filled or len(filled.split()) > 35 or not filled.endswith((".", "!")):
        return ""
    rest = filled.replace(order_id, " ") if order_id else filled
    return "" if re.search(r"\d|\{|\}", rest) else filled


def bitext_tickets(path: Path, users: dict[str, list[str]], n: int, rng) -> Iterator[tuple]:
    """(user, ticket text, opener) for `n` tickets, order numbers replaced by the user's real ones."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("intent") in BITEXT_INTENTS]
    rng.shuffle(rows)
    with_orders = [u for u, o in users.items() if o]
    for r in rows[:n]:
        user = rng.choice(with_orders)
        order_id = rng.choice(users[user])
        ticket = r["instruction"]
        if r.get("entity_type") == "order_id" and r.get("entity_value"):
            ticket = ticket.replace(r["entity_value"], order_id)
        ticket = re.sub(r"\b\d{6,}\b", order_id, ticket)
        mentioned = order_id if order_id in ticket else None
        yield user, ticket, bitext_opener(r.get("response", ""), mentioned, "")
