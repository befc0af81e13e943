"""Scripted shopper conversations for the SFT rows of `finetune.dataset`: question templates
(recommend, search with budgets / categories / ratings, cheapest / best rated, follow-ups, compare,
order status, returns, policy, small talk) filled from the store's catalog and the shopper's orders.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Catalog:
    """Leaf categories with their in-stock prices, and product ids per leaf."""

    leaves: dict[str, list[float]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)


SEARCH = ("{cat} under £{b}", "show me {cat} under £{b}", "any {cat} below £{b}?",
          "I'm looking for {cat} under £{b}", "do you have {cat} under £{b}?",
          "{cat} for less than £{b} please", "find me {cat} under £{b}")  # fmt: skip
PLAIN = ("{cat}", "show me some {cat}", "do you sell {cat}?", "I need {cat}", "any good {cat}?")
RATED = ("{cat} rated {r} or more", "{cat} with a rating of {r} or more")
SUPER = ("what are the cheapest {cat}?", "cheapest {cat} please", "which {cat} are best rated?",
         "show me the best rated {cat}")  # fmt: skip
RECOMMEND = ("recommend something for me", "what would you recommend for me?",
             "any suggestions for me?", "recommend some {cat}", "can you suggest {cat} for me?")  # fmt: skip
FOLLOW = ("cheaper please", "something cheaper", "under £{b} please", "only ones rated 4 or more")
COMPARE = ("compare the first two", "compare them", "which of the first two is better?",
           "compare {a} and {b}", "what's the difference between {a} and {b}?")  # fmt: skip
ORDER = ("where is my order?", "what's the status of my order?", "has order {o} shipped?",
         "when will order {o} arrive?", "track order {o} please", "where is {o}?")  # fmt: skip
RETURN = ("can I return my order {o}?", "I want a refund for order {o}",
          "can I still send back order {o}?", "how do I return {o}?", "can I return my last order?")  # fmt: skip
POLICY = ("what is your return policy?", "how long does delivery take?", "do you ship abroad?",
          "how much is express delivery?", "what payment methods do you accept?",
          "when will I get my refund?", "is there free delivery?", "what does the warranty cover?",
          "can I pay with PayPal?", "how do returns work?", "do you deliver to Northern Ireland?",
          "how long is the warranty?")  # fmt: skip
SMALL = ("hi", "hello!", "good morning", "hey there", "thanks!")
TEMPLATES = {"search": SEARCH, "plain": PLAIN, "rated": RATED, "super": SUPER,
             "recommend": RECOMMEND, "policy": POLICY, "order": ORDER, "return": RETURN,
             "small": SMALL, "follow": PLAIN, "compare": PLAIN}  # fmt: skip


def load_catalog(store) -> Catalog:
    """The store's leaf categories (3+ in-stock prices) and their product ids."""
    cat = Catalog()
    index = store.index
    for pid in index.live_ids():
        p = index.get(pid)
        if p is None or not p.category:
            continue
        leaf = p.category.split(">")[-1].strip().lower()
        cat.ids.setdefault(leaf, []).append(pid)
        if p.price is not None and p.in_stock is not False:
            cat.leaves.setdefault(leaf, []).append(p.price)
    cat.leaves = {k: sorted(v) for k, v in cat.leaves.items() if len(v) >= 3}
    return cat


def _budget(rng: random.Random, prices: list[float]) -> int:
    """A round budget between the category's cheaper third and its top."""
    p = prices[int(rng.uniform(0.3, 0.95) * (len(prices) - 1))]
    step = 5 if p < 60 else 10 if p < 200 else 50
    return max(step, int(round(p / step + 0.5)) * step)


def user_conversations(
    rng: random.Random, cat: Catalog, taste: list[str], order_ids: list[str], n: int
) -> Iterator[list[dict]]:
    """`n` scripted conversations (message lists ending with a user turn) for one shopper."""
    leaves = list(cat.leaves)
    liked = [c.split(">")[-1].strip().lower() for c in taste if c]
    liked = [c for c in liked if c in cat.leaves] or leaves
    kinds = ["search", "plain", "rated", "super", "recommend", "follow", "compare", "policy",
             "order", "return", "search", "super", "small"]  # fmt: skip
    for i in range(n):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        c = rng.choice(liked if rng.random() < 0.6 else leaves)
        b = _budget(rng, cat.leaves[c])
        o = rng.choice(order_ids) if order_ids else None
        if kind in ("order", "return") and o is None:
            kind = "policy"
        r = rng.choice(["4", "4.5"])
        text = rng.choice(TEMPLATES[kind]).format(cat=c, b=b, o=o, r=r)
        convo = [{"role": "user", "content": text}]
        if kind == "follow":
            convo.append({"role": "user", "content": rng.choice(FOLLOW).format(b=b)})
        elif kind == "compare":
            pair = rng.sample(cat.ids[c], 2) if len(cat.ids.get(c, [])) >= 2 else None
            q = rng.choice(COMPARE)
            if "{a}" in q and pair:
                convo = [{"role": "user", "content": q.format(a=pair[0], b=pair[1])}]
            else:
                convo.append({"role": "user", "content": q.format(a="", b="")})
        yield convo
