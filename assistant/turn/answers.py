"""Template answers: the words when the model's text can't be used (LLM down, nothing grounded).

They state only decided facts, so a degraded answer is still a correct one. Product lines carry
the real id in brackets, so the next turn can refer to them ("the second one").
"""

from __future__ import annotations

from assistant.facts import ItemDetails, render
from assistant.prompts import Evidence, price_text
from retrieval import textre

_NAMES_ITEM = textre.compile(r"^(?:often bought (?:after|with)|similar to)\b")
CANNOT = "I can only help with"  # an out-of-scope answer starts like this


def item_text(item: dict) -> str:
    """`Title — £13.49, rated 4.4 [P00069]`."""
    parts = [price_text(item.get("price"), item.get("currency") or "GBP")]
    if item.get("rating") is not None:
        parts.append(f"rated {item['rating']:.1f}")
    return f"{item['title']} — {', '.join(parts)} [{item['product_id']}]"


def items_answer(items: list[dict], described: str) -> str:
    lead = f"Here {'is one option' if len(items) == 1 else f'are {len(items)} options'}"
    lines = [lead + (f" {described}:" if described else ":")]
    for item in items:
        # a reason naming another product ("often bought after X") would put X in the text
        why = next((r for r in item.get("reasons", []) if r and not _NAMES_ITEM.match(r)), "")
        lines.append(f"- {item_text(item)}" + (f" — {why}" if why else ""))
    return "\n".join(lines)


def policy_answer(ev: Evidence) -> str:
    if not ev.policies:
        return "I don't have a store policy that answers that; I can pass you to a colleague."
    top = ev.policies[0]
    body = " ".join(top["text"].split())
    return f"{body} [{top['file']} › {top['section']}]"


def template_answer(ev: Evidence, described: str = "") -> str:
    """The fallback answer for any task, from the evidence alone."""
    if ev.task in ("recommend", "search") and ev.items:
        decided = [f for f in ev.facts if not isinstance(f, ItemDetails)]
        lead = render(decided) + "\n" if decided else ""
        return lead + items_answer(ev.items, described)
    if ev.task == "compare":
        decided = [f for f in ev.facts if not isinstance(f, ItemDetails)]
        return render(decided) + "\n" + "\n".join(f"- {item_text(i)}" for i in ev.items)
    if ev.task in ("policy", "account"):
        return policy_answer(ev)
    if ev.task in ("order_status", "return_refund", "handoff", "none"):
        text = render(ev.facts)
        if ev.task == "return_refund" and ev.policies:
            top = ev.policies[0]
            text += f" See our policy [{top['file']} › {top['section']}]."
        return text
    if ev.task == "out_of_scope":
        return f"{CANNOT} shopping, your orders and our store's policies."
    return "Hello! I can help you find products, check an order, or answer questions about returns and delivery."
