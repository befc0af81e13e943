"""ShopAssist's abilities as plain functions returning JSON: one product, a comparison, order
status, return eligibility, policy lookup. The HTTP routes (`assistant.server.ability_routes`)
return exactly these documents, and tool faces (MCP, LangChain) can wrap them. Every value is
decided by code from the store; `text` fields are the decided sentences the chat answers use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from assistant.desk.support import (
    missing_orders,
    order_facts,
    policy_sections,
    return_facts,
    user_orders,
)
from assistant.facts import ItemDetails, NoSuchOrder, render
from assistant.turn.decide import compare_answer, compared
from assistant.turn.service import stated_return_facts
from retrieval.search.hybrid import item_json


def product(store, product_id: str) -> dict | None:
    """A live product with its description and attributes; None when unknown."""
    p = store.get_product(product_id)
    if p is None:
        return None
    return {**item_json(p, 1.0, []), "description": p.description, "attributes": p.attributes}


def compare(store, product_ids: list[str]) -> dict:
    """How two to four products differ (price, rating, numeric attributes) and which to pick for
    what, decided by code; `unknown` lists ids that are not live products."""
    found = [(i, store.get_product(i)) for i in dict.fromkeys(product_ids)]
    items, tags, facts = compared([p for _, p in found if p is not None])
    decided = compare_answer(facts, list(tags.values())) if len(items) > 1 else []
    details = [f for f in facts if isinstance(f, ItemDetails)]
    return {"items": [{**i, "tag": tags[i["product_id"]]} for i in items],
            "facts": [f.as_json() for f in [*decided, *details]], "text": render(decided),
            "unknown": [i for i, p in found if p is None]}  # fmt: skip


def order_status(store, rules, user_id: str, order_ids: list[str] | None = None,
                 today: date | None = None) -> dict:  # fmt: skip
    """The user's orders (the most recent three, or those named): status and delivery window.
    An order id of someone else's reads exactly like one that does not exist."""
    today = today or datetime.now(UTC).date()
    lines = user_orders(store, user_id, order_ids or None)
    facts = [NoSuchOrder(o) for o in missing_orders(order_ids or [], lines)]
    facts += order_facts(lines, rules, today)
    return {"orders": lines, "facts": [f.as_json() for f in facts], "text": render(facts)}


def return_eligibility(store, rules, user_id: str | None = None, order_id: str | None = None,
                       product_id: str | None = None, days_since_delivery: int | None = None,
                       opened: bool | None = None, today: date | None = None) -> dict:  # fmt: skip
    """Whether an item can be returned: from the user's order (`order_id`), or from what the
    shopper states (the product, days since delivery, opened or not)."""
    today = today or datetime.now(UTC).date()
    if order_id is not None:
        lines = user_orders(store, user_id, [order_id]) if user_id else []
        facts = [NoSuchOrder(order_id)] if not lines else return_facts(lines, rules, today)
    else:
        p = store.get_product(product_id) if product_id else None
        top = p.category.split(">")[0].strip() if p and p.category else None
        facts = stated_return_facts(days_since_delivery, top, rules, opened)
    cited = policy_sections(store, "return window refund", k=1)
    return {"facts": [f.as_json() for f in facts], "text": render(facts),
            "policies": [_cited(s) for s in cited]}  # fmt: skip


def policy_lookup(store, question: str, k: int = 3) -> dict:
    """The store policy sections closest to a question, each with its citation."""
    return {"sections": [_cited(s) for s in policy_sections(store, question, k=k)]}


def _cited(section: dict) -> dict:
    return {**section, "citation": f"{section['file']} › {section['section']}"}
