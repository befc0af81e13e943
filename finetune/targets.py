"""Target answers written by code from the decided evidence, for the SFT rows of `finetune.dataset`.

Each target cites the right tags, names only evidence items and keeps the superlatives code
decided; `target_is_clean` runs the runtime `Grounder` over it before a row is kept.
"""

from __future__ import annotations

import random
import re

from assistant.facts import (
    BestFor,
    ItemDetails,
    OrderStatus,
    PriceGap,
    RatingGap,
    ReturnVerdict,
    Superlative,
)
from assistant.prompts import Evidence, price_text
from assistant.turn.decide import satisfies, shopping_filters, superlatives
from assistant.turn.grounding import Grounder


def _price(item: dict) -> str:
    return price_text(item.get("price"), item.get("currency") or "GBP")


def _rated(item: dict) -> str:
    return f", rated {item['rating']:.1f}" if item.get("rating") is not None else ""


def item_target(ev: Evidence, question: str, rng: random.Random) -> str:
    """Recommend / search answer: one to three evidence items by tag, decided superlatives kept."""
    tags = {f"P{n}": it for n, it in enumerate(ev.items, 1)}
    order = list(tags)
    sentences = []
    for fact in ev.facts:  # superlatives code decided for this question
        if not isinstance(fact, Superlative) or fact.tag not in tags:
            continue
        t, it = fact.tag, tags[fact.tag]
        if fact.kind == "cheapest" and "cheap" in question.lower():
            sentences.append(rng.choice([f"[{t}] is the cheapest at {_price(it)}.",
                                         f"The cheapest is [{t}] at {_price(it)}."]))  # fmt: skip
            order.remove(t), order.insert(0, t)
        elif fact.kind == "best_rated" and "rated" in question.lower():
            sentences.append(rng.choice([f"[{t}] is the best rated, at {it['rating']:.1f}.",
                                         f"The best rated is [{t}] ({it['rating']:.1f})."]))  # fmt: skip
            order.remove(t), order.insert(0, t)
    if not sentences:
        t = order[0]
        it = tags[t]
        sentences.append(rng.choice([f"I'd suggest [{t}] at {_price(it)}{_rated(it)}.",
                                     f"[{t}] is a great fit at {_price(it)}{_rated(it)}.",
                                     f"Take a look at [{t}], {_price(it)}{_rated(it)}.",
                                     f"You might like [{t}] for {_price(it)}{_rated(it)}."]))  # fmt: skip
    line = " ".join(it.get("reasons", [])[:2])
    budget = re.search(r"within your (£[\d,.]+) budget", line)
    if budget:
        sentences[-1] = sentences[-1][:-1] + f", within your {budget.group(1)} budget."
    for t in order[1 : rng.choice([2, 3]) if ev.task == "search" else 2]:
        it = tags[t]
        sentences.append(rng.choice([f"[{t}] is another option at {_price(it)}{_rated(it)}.",
                                     f"There is also [{t}] for {_price(it)}.",
                                     f"[{t}] also matches, at {_price(it)}."]))  # fmt: skip
    return " ".join(sentences)


def compare_target(ev: Evidence, rng: random.Random) -> str:
    """Compare answer: the decided comparison facts, restated, then which to pick for what."""
    out = []
    for f in ev.facts:
        if isinstance(f, PriceGap):
            low, high, less = (price_text(v, f.currency) for v in (f.low, f.high, f.saving))
            out.append(rng.choice([f"[{f.cheaper}] is cheaper at {low} against {high}.",
                                   f"[{f.cheaper}] costs {low}, {less} less than the other."]))  # fmt: skip
        elif not isinstance(f, ItemDetails):
            out.append(str(f))
    cheap = next((f.cheaper for f in ev.facts if isinstance(f, PriceGap)), None)
    rated = next((f.higher for f in ev.facts if isinstance(f, RatingGap)), None)
    if cheap and rated:
        out.append(str(BestFor(cheap, rated)))
    if not out:
        out = [f"[P{n}] costs {_price(it)}{_rated(it)}." for n, it in enumerate(ev.items[:2], 1)]
    return " ".join(out)


def order_sentence(f: OrderStatus, rng: random.Random) -> str:
    """One order's status in words a person would use (the values are the fact's)."""
    o, t = f.order_id, f.title
    if f.status == "delivered" and f.delivered_at:
        return rng.choice([f"Your order {o} ({t}) was delivered on {f.delivered_at}.",
                           f"Order {o} with {t} arrived on {f.delivered_at}."])  # fmt: skip
    if f.expected_to and f.late:
        return f"Order {o} ({t}) is running late: it was expected by {f.expected_to}. Sorry about that."
    if f.expected_to:
        a, b = f.expected_from, f.expected_to
        return rng.choice([f"Order {o} ({t}) is {f.status} and should arrive between {a} and {b}.",
                           f"Your order {o} ({t}) is {f.status}; expect it between {a} and {b}."])  # fmt: skip
    return rng.choice(
        [f"Order {o} ({t}) is {f.status}.", f"Your order {o} ({t}) has been {f.status}."]
    )


def return_sentence(f: ReturnVerdict, rng: random.Random) -> str:
    """One order line's return verdict in words a person would use."""
    head = f"{f.title} from order {f.order_id}"
    if f.outcome == "ok":
        return rng.choice(
            [f"You can return {head} until {f.until}.", f"{head} can be returned until {f.until}."]
        )
    if f.outcome == "window_ended":
        return f"Sorry, {head} can no longer be returned: the {f.window_days}-day window ended on {f.until}."
    if f.outcome == "not_delivered":
        return f"{head} has not been delivered yet, so it can't be returned yet."
    return str(f)


def facts_target(ev: Evidence, rng: random.Random) -> str:
    """Order / return answer: every decided fact restated (all orders named), plus the policy tag."""
    out = []
    for fact in ev.facts:
        if isinstance(fact, OrderStatus):
            out.append(order_sentence(fact, rng))
        elif isinstance(fact, ReturnVerdict):
            out.append(return_sentence(fact, rng))
        else:
            out.append(str(fact))
    if ev.task == "return_refund" and ev.policies:
        out.append(f"{_first_sentence(ev.policies[0]['text'])[:-1]} [S1].")
    return " ".join(out)


def _first_sentence(text: str) -> str:
    text = " ".join(text.replace("- ", " ").split())
    first = re.split(r"(?<=[.!?])\s+", text)[0].strip()
    return first if first.endswith((".", "!", "?")) else first + "."


def policy_target(ev: Evidence, rng: random.Random) -> str:
    """Policy answer from the top section, cited by its tag."""
    text = " ".join(ev.policies[0]["text"].replace("- ", " ").split())
    parts = [s for s in re.split(r"(?<=[.!?])\s+", text) if s][:2]
    body = " ".join(parts).rstrip(".")
    if not body[:1].isupper():  # "5-7 business days after …": the section title says what
        body = f"{ev.policies[0]['section'].split('>')[-1].strip().rstrip('?:')}: {body}"
    lead = rng.choice(["", "Our policy says: ", "Good question. ", "Here is how it works: "])
    return f"{lead}{body} [S1]."


SMALL_REPLIES = (
    "Hello! I can help you find products, check an order or answer questions about returns.",
    "Hi! Ask me for product ideas, the status of an order, or our delivery and returns rules.",
    "Happy to help! I can suggest products, track your orders and explain our store policies.",
)


def write_target(ev: Evidence, question: str, rng: random.Random) -> str | None:
    """The answer a good assistant gives for this evidence (None: no code-made answer)."""
    if ev.task in ("recommend", "search") and ev.items:
        return item_target(ev, question, rng)
    if ev.task == "compare" and len(ev.items) >= 2:
        return compare_target(ev, rng)
    if ev.task in ("order_status", "return_refund") and ev.facts:
        return facts_target(ev, rng)
    if ev.task in ("policy", "account") and ev.policies:
        return policy_target(ev, rng)
    if ev.task == "small_talk":
        return rng.choice(SMALL_REPLIES)
    return None


def target_is_clean(plan, target: str) -> bool:
    """The runtime grounder keeps every sentence, and cited items satisfy the constraints."""
    grounder = Grounder(plan.ev, plan.known_titles, superlatives(plan.ev.items))
    out = grounder.ground(target)
    if out.dropped or "{{" in target:
        return False
    f = shopping_filters(plan.state.filters)
    by_id = {i["product_id"]: i for i in plan.ev.items}
    return all(satisfies(by_id[p], f) for p in out.item_ids)
