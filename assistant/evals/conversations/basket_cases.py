"""Basket cases for the conversation eval: a search, basket changes in words, then the basket read.

Each case's `expect` is `{"kind": "basket", "ops": [...]}`: one op per turn after the search, in
the terms the oracle simulates over the answer as shown ("the second item the search answer
named", "the cheapest of them"); the last turn reads the basket. Users are `basket-NN`, one
per case, so cases never share a basket.
"""

from __future__ import annotations

import random

SCRIPTS = [
    # (turns after the search, ops); {leaf} is the category searched
    (["add the first one to my basket", "what's in my basket?"],
     [{"act": "add", "ref": 1, "qty": 1}, {"act": "view"}]),
    (["add two of the second one", "how much is my basket?"],
     [{"act": "add", "ref": 2, "qty": 2}, {"act": "view"}]),
    (["put the cheaper one in my cart", "make that three", "what's my total?"],
     [{"act": "add", "ref": "cheapest", "qty": 1}, {"act": "set", "qty": 3}, {"act": "view"}]),
    (["add the first one", "add the last one", "what's in my basket?"],
     [{"act": "add", "ref": 1, "qty": 1}, {"act": "add", "ref": -1, "qty": 1}, {"act": "view"}]),
    (["i'll take the first one", "add another one", "what's in my cart?"],
     [{"act": "add", "ref": 1, "qty": 1}, {"act": "add", "ref": "last_changed", "qty": 1},
      {"act": "view"}]),
    (["add the best rated one", "empty my basket", "what's in my basket?"],
     [{"act": "add", "ref": "best_rated", "qty": 1}, {"act": "clear"}, {"act": "view"}]),
    (["please add the second one", "remove it", "how much is my basket"],
     [{"act": "add", "ref": 2, "qty": 1}, {"act": "remove"}, {"act": "view"}]),
    (["add it", "the second one", "what's in my basket?"],
     [{"act": "ask"}, {"act": "add", "ref": 2, "qty": 1}, {"act": "view"}]),
    (["add the first two to my cart", "what's my basket total"],
     [{"act": "add", "ref": [1, 2], "qty": 1}, {"act": "view"}]),
    (["add the most expensive one", "make it 2", "show me my basket"],
     [{"act": "add", "ref": "dearest", "qty": 1}, {"act": "set", "qty": 2}, {"act": "view"}]),
]  # fmt: skip
SEARCHES = ["show me {leaf}", "do you have {leaf}?", "{leaf} please", "i'm looking for {leaf}"]


def basket_cases(rng: random.Random, demo: dict, case, vary, n: int = 30) -> list[dict]:
    """`n` cases over the demo store's leaf categories with at least three items in stock
    (`case` and `vary` are the generator's case builder and typing noise)."""
    from assistant.evals.conversations.phrasings import FILLERS

    leaves = sorted(k for k, ids in demo["by_leaf"].items() if len(ids) >= 3)
    out = []
    for i in range(n):
        turns, ops = SCRIPTS[i % len(SCRIPTS)]
        leaf = rng.choice(leaves).lower()
        # typos in search words are the search categories' concern: here the search must work
        search = rng.choice(FILLERS) + rng.choice(SEARCHES).format(leaf=leaf)
        # the way people type the search and the reading of the basket; the references themselves
        # ("the sceond one") are typed without typos: ordinals are read by exact validators
        said = [*turns[:-1], vary(rng, turns[-1])]
        out.append(
            case(
                "basket", "demo", f"basket-{i:02d}", [search, *said], {"kind": "basket", "ops": ops}
            )
        )
    return out
