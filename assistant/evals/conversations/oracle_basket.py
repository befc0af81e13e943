"""The oracle for basket cases: simulate the basket from the answers as shown and the raw catalog.

Like `oracle`, it imports nothing from the engine (only the oracle's own helpers; a unit test
enforces it). The search turn's answer fixes what "the first one" and "the cheaper one" mean
(the products it named, in order); every later turn is held to the simulated basket: the item
each change is about is named, a refused change (past the stock) changes nothing, and the last
turn states the exact total and names every line (or says the basket is empty). Any amount in
any answer must be a price of a product it names, a line total or a basket total.
"""

from __future__ import annotations

from datetime import date

from assistant.evals.conversations.oracle import (
    check_amounts,
    check_cards,
    check_named,
    named_products,
    sentences,
    without_titles,
)


def money(value: float) -> str:
    return f"£{value:,.2f}"


def pick(store: dict, ref, shown: list[str], last: str | None) -> list[str] | None:
    """The ids an op refers to; None when the answer shown makes the reference impossible."""
    products = [store["products"][i] for i in shown if i in store["products"]]
    if ref == "last_changed":
        return [last] if last else None
    if isinstance(ref, int):
        ref = [ref]
    if isinstance(ref, list):
        n = len(shown)
        if any(not (-n <= (r - 1 if r > 0 else r) < n) for r in ref):
            return None
        return [shown[r - 1 if r > 0 else r] for r in ref]
    key = {"cheapest": lambda p: p["price"], "dearest": lambda p: -p["price"],
           "best_rated": lambda p: -(p["rating"] or 0)}[ref]  # fmt: skip
    usable = [p for p in products if p["price"] is not None]
    return [min(usable, key=key)["product_id"]] if usable else None


def check_basket_case(case: dict, turns: list[dict], store: dict, today: date) -> dict:
    """Grade one played basket case (same verdict shape as `oracle.check_case`)."""
    shown = [i for i in named_products(turns[0]["answer"], store) if i in store["products"]]
    basket: dict[str, int] = {}
    last, misses, amounts = None, [], set()
    for n, op in enumerate(case["expect"]["ops"], start=1):
        answer = turns[n]["answer"]
        named = named_products(answer, store)
        act = op["act"]
        if act == "ask" or (act == "add" and op.get("ref") != "last_changed" and
                            (ids := pick(store, op["ref"], shown, last)) is None):  # fmt: skip
            if not answer.lstrip().startswith("Which"):
                misses.append(f"turn {n}: a question was expected, got {answer[:80]!r}")
            continue
        if act == "add":
            ids = pick(store, op["ref"], shown, last)
            if ids is None:
                misses.append(f"turn {n}: nothing to add 'another' of")
                continue
            for pid in ids:
                p, want = store["products"][pid], basket.get(pid, 0) + op["qty"]
                sellable = p["price"] is not None and p["in_stock"] is not False
                if sellable and (p.get("stock") is None or want <= p["stock"]):
                    basket[pid] = want
                last = pid
        held = last in basket  # a set or remove of an item not in the basket changes nothing
        if act == "set" and held:
            stock = store["products"][last].get("stock")
            if stock is None or op["qty"] <= stock:
                basket[last] = op["qty"]
        elif act == "remove" and held:
            basket.pop(last)
        elif act == "clear":
            basket.clear()
        if (act == "add" or (act in ("set", "remove") and held)) and last not in named:
            misses.append(f"turn {n}: the answer does not name the item changed ({last})")
        lines = {pid: round(q * store["products"][pid]["price"], 2) for pid, q in basket.items()}
        amounts |= set(lines.values()) | {round(sum(lines.values()), 2)}
        if act == "view":
            misses += _view_misses(n, answer, named, basket, lines)
    violations = []
    for turn in turns:
        violations += check_cards(turn, store, {}) + check_named(turn, store, set())
        for s in sentences(turn["answer"]):
            ids = [store["products"][p] for p in named_products(s, store) if p in store["products"]]
            violations += check_amounts(without_titles(s, ids), ids, amounts)
    violations = list(dict.fromkeys(violations))
    return {"passed": not violations and not misses, "violations": violations, "misses": misses}


def _view_misses(n: int, answer: str, named: list[str], basket: dict, lines: dict) -> list[str]:
    if not basket:
        return [] if "empty" in answer.lower() else [f"turn {n}: the basket should be empty"]
    out = []
    total = money(round(sum(lines.values()), 2))
    if total not in answer:
        out.append(f"turn {n}: the total {total} is not stated")
    if set(named) != set(basket):
        out.append(f"turn {n}: lines named {sorted(named)}, the basket holds {sorted(basket)}")
    return out
