"""How the generated cases are worded: the way people type, price limits said several ways, Bitext
instructions with this store's order numbers."""

from __future__ import annotations

import random
import re

from assistant.evals.conversations.phrasings import FILLERS, TAILS


def vary(rng: random.Random, text: str) -> str:
    """The way people type: filler, lower case, a typo, a tail."""
    if rng.random() < 0.5:
        text = rng.choice(FILLERS) + text
    if rng.random() < 0.4:
        text = text.lower()
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if long and rng.random() < 0.35:
        i = rng.choice(long)
        j = rng.randrange(1, len(words[i]) - 2)
        w = words[i]
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words) + (rng.choice(TAILS) if rng.random() < 0.4 else "")


def price_phrase(rng: random.Random, amount: int) -> str:
    return rng.choice((f"under £{amount}", f"under {amount}", f"below £{amount}",
                       f"less than {amount} pounds", f"for under {amount} quid"))  # fmt: skip


def with_order(text: str, row: dict, oid: str) -> str:
    """A Bitext instruction with its order number replaced by this store's order id."""
    text = re.sub(r"\{\{[^}]*\}\}", oid, text)
    text = re.sub(r"\b\d{5,}\b", oid, text)
    return text if oid in text else f"{text.rstrip('?. ')} (order {oid})"
