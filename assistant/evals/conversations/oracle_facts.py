"""Per-fact violations for the conversation eval's oracle: every fact an answer states (card
prices and constraints, products named, amounts, ratings, dates, order ids, superlatives, "free"
delivery) checked against the raw store. Standard library only, like the rest of the oracle (a
unit test enforces it).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.evals.conversations.oracle_reading import (
    dates_in,
    named_products,
    numbers_in,
    sentences,
)
from assistant.evals.conversations.oracle_store import (
    breaks,
    constraints,
    line_dates,
    qualifying,
    ranked,
    user_orders,
    value,
)

_AMOUNT = re.compile(r"£\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d+\.\d\d)\b")
_RATING = re.compile(
    r"(\d(?:\.\d)?)\s*(?:/\s*5\b|out of 5|stars?|★)|rat(?:ed|ing)(?: of)?\s+(\d(?:\.\d)?)\b"
)
_VERSUS = re.compile(r"\b(?:against|than|vs\.?|versus|less|more)\b", re.I)
_ORDER = re.compile(r"\bORD-\d+\b", re.I)
_SUPER = {"cheapest": r"cheapest|lowest[- ]price[d]?|least expensive",
          "best_rated": r"best[- ]rated|highest[- ]rated|top[- ]rated"}  # fmt: skip


# --- per-fact violations -------------------------------------------------------------------------
def check_cards(turn: dict, store: dict, spec: dict | None) -> list[str]:
    out = []
    for card in turn["cards"]:
        p = store["products"].get(card["product_id"])
        if p is None:
            out.append(f"card {card['product_id']} is not a real product")
            continue
        if (
            card.get("price") is not None
            and p["price"] is not None
            and abs(card["price"] - p["price"]) > 0.005
        ):
            out.append(f"card {p['product_id']} shows {card['price']}, the store says {p['price']}")
        if spec is not None and (why := breaks(p, spec)):
            out.append(f"card {p['product_id']} breaks the request: {why}")
    return out


def check_named(turn: dict, store: dict, allowed: set[str]) -> list[str]:
    cards = {c["product_id"] for c in turn["cards"]}
    out = []
    for pid in named_products(turn["answer"], store):
        if pid not in store["products"]:
            out.append(f"{pid} named in the text is not a real product")
        elif pid not in cards | allowed:
            out.append(f"{pid} is named in the text but not among the cards")
    return out


def without_titles(sentence: str, named: list[dict]) -> str:
    """The sentence with the named products' titles cut out (their digits are names, not claims)."""
    for p in sorted(named, key=lambda p: -len(p["title"])):
        sentence = re.sub(re.escape(p["title"]), " ", sentence, flags=re.I)
    return sentence


def check_amounts(sentence: str, named: list[dict], free: set[float]) -> list[str]:
    prices = {p["price"] for p in named if p["price"] is not None}
    out = []
    for m in _AMOUNT.finditer(sentence):
        amount = float((m[1] or m[2]).replace(",", ""))
        if not any(abs(amount - x) < 0.005 for x in prices | free):
            out.append(f"price {amount:.2f} is no price of the product(s) named in: {sentence!r}")
    return out


def check_ratings(sentence: str, named: list[dict], free: set[float]) -> list[str]:
    ratings = {p["rating"] for p in named if p["rating"] is not None} | free
    out = []
    for m in _RATING.finditer(sentence):
        r = float(m[1] or m[2])
        if r not in ratings:
            out.append(f"rating {r} is no rating of the product(s) named in: {sentence!r}")
    return out


def allowed_dates(
    sentence: str, named: list[str], store: dict, case: dict, today: date
) -> set[date]:
    lines = user_orders(store, case.get("user"))
    about = [r for r in lines if r["order_id"].upper() in sentence.upper()]
    about = about or [r for r in lines if r["product_id"] in named] or lines
    out = {today}.union(*(line_dates(r, store["rules"]) for r in about))
    if "days_ago" in case["expect"]:
        start = today - timedelta(days=case["expect"]["days_ago"])
        out |= {start, start + timedelta(days=store["rules"].get("return_window_days", 30))}
    return out


def check_dates(sentence: str, named: list[str], store: dict, case: dict, today: date) -> list[str]:
    ok = allowed_dates(sentence, named, store, case, today)
    return [f"date {d} is not a date of the order or rule the sentence is about: {sentence!r}"
            for d in dates_in(sentence, today) if d not in ok]  # fmt: skip


def check_order_ids(text: str, store: dict, case: dict) -> list[str]:
    mine = {r["order_id"].upper() for r in user_orders(store, case.get("user"))}
    typed = {o.upper() for t in case["turns"] for o in _ORDER.findall(t)}
    return [
        f"order {o} is not this shopper's"
        for o in _ORDER.findall(text)
        if o.upper() not in mine | typed
    ]


def check_superlative(sentence: str, named: list[dict], universe: list[dict]) -> list[str]:
    out = []
    for which, pattern in _SUPER.items():
        if (
            not named
            or not re.search(pattern, sentence, re.I)
            or not (top := ranked(universe, which))
        ):
            continue
        claimed, best = named[0], value(top[0], which)
        if value(claimed, which) != best:
            out.append(f"{claimed['product_id']} is called {which.replace('_', ' ')} but "
                       f"{top[0]['product_id']} has {best}: {sentence!r}")  # fmt: skip
    return out


def check_free(sentence: str, named: list[dict], rules: dict) -> list[str]:
    limit = rules.get("free_shipping_threshold")
    if limit is None or not re.search(
        r"\bfree\b.*\b(deliver|shipping|postage)|\b(deliver|shipping|postage)\w*\b.*\bfree\b",
        sentence,
        re.I,
    ):
        return []
    if any(p["price"] is not None and p["price"] <= limit for p in named):
        return [
            f"free delivery claimed for an item at or under the £{limit:g} threshold: {sentence!r}"
        ]
    if named or any(abs(a - limit) < 0.005 for a in numbers_in([sentence])):
        return []
    return [f"free delivery claimed without the £{limit:g} threshold: {sentence!r}"]


def turn_violations(case: dict, turns: list[dict], i: int, store: dict, today: date) -> list[str]:
    """Every per-fact violation in turn `i` (the final turn is also held to the case's constraints)."""
    turn, final, expect = turns[i], i == len(turns) - 1, case["expect"]
    spec = (
        constraints(expect)
        if final and expect["kind"] in ("items", "superlative", "compare")
        else {}
    )
    if expect["kind"] == "compare" and ("ids" in expect or "previous" in expect):
        spec = {}
    owned = {r["product_id"] for r in user_orders(store, case.get("user"))}
    typed = numbers_in(case["turns"][: i + 1])
    rule_amounts = {float(v) for v in store["rules"].values() if isinstance(v, int | float)}
    out = (
        check_cards(turn, store, spec)
        + check_named(turn, store, owned)
        + check_order_ids(turn["answer"], store, case)
    )
    for s in sentences(turn["answer"]):
        ids = named_products(s, store)
        named = [store["products"][p] for p in ids if p in store["products"]]
        prices, ratings = typed | rule_amounts, set(typed)
        if _VERSUS.search(
            s
        ):  # "X is cheaper: £24.99 against £46.99, £22.00 less": the compared cards
            shown = [
                store["products"][c["product_id"]]
                for c in turn["cards"]
                if c["product_id"] in store["products"]
            ]
            named, cost = named + shown, [p["price"] for p in shown if p["price"] is not None]
            prices |= {round(abs(a - b), 2) for a in cost for b in cost}
        claims = without_titles(s, named)  # "3.75-Inch Figure" in a title is no price
        out += check_amounts(claims, named, prices) + check_ratings(claims, named, ratings)
        out += check_dates(s, ids, store, case, today) + check_free(s, named, store["rules"])
        if final or len(turns) == 1:
            out += check_superlative(s, named, superlative_universe(case, turn, named, store))
    return out


def superlative_universe(case: dict, turn: dict, named: list[dict], store: dict) -> list[dict]:
    """Compare turns: the compared items. Otherwise every product qualifying under the case's
    constraints (the named item's leaf category when the case names none)."""
    if case["expect"]["kind"] == "compare":
        return [
            store["products"][c["product_id"]]
            for c in turn["cards"]
            if c["product_id"] in store["products"]
        ]
    spec = constraints(case["expect"])
    if not spec.get("category") and named and named[0]["levels"]:
        spec["category"] = named[0]["levels"][-1]
    return qualifying(store, spec)
