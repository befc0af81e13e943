"""Customer-service facts that lead an answer: decided by code, so they stream at once.

- `stated_return_facts`: eligibility from the days the shopper states, with the opened-item
  exclusions and the warranty for faulty items;
- `policy_lead`: the policy sentence that answers the question, with its citation.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.facts import Fact, StatedReturn, Warranty
from retrieval import textre

_SENTENCES = textre.compile(r"[.!?](\s+)")  # split_at: re's (?<=[.!?])\s+


def stated_return_facts(
    days: int | None, top_category: str | None, rules, opened: bool | None = None
) -> list[Fact]:
    """Whether an item can be returned under `rules` (ServiceRules), from what the shopper states:
    the days since delivery (None: not said) and whether it was opened (None: not said)."""
    fact = StatedReturn("ok", rules.return_window_days, days, top_category, opened)
    warranty = _warranty(top_category, rules)
    if days is not None and days > rules.return_window_days:
        return [replace(fact, outcome="too_late"), warranty]
    sealed_only = bool(top_category and top_category.lower() in rules.non_returnable_if_opened)
    if sealed_only and opened:
        return [replace(fact, outcome="opened_excluded"), warranty]
    if sealed_only and opened is None:
        return [replace(fact, outcome="sealed_only")]
    return [replace(fact, unopened_only=tuple(rules.non_returnable_if_opened) if opened else ())]


_OPENED = textre.compile(r"\b(?:opened|unsealed|used|worn)\b", textre.I)
_SEALED = textre.compile(
    r"\b(?:unopened|un-opened|sealed|unused|unworn|never opened|not opened)\b", textre.I
)


def stated_opened(text: str) -> bool | None:
    """Whether the shopper says the item was opened (True), is still sealed (False), or neither."""
    if _SEALED.search(text):
        return False
    return True if _OPENED.search(text) else None


def _warranty(top_category: str | None, rules) -> Warranty:
    if top_category and top_category.lower() == "electronics":
        return Warranty(rules.warranty_years_electronics, electronics=True)
    return Warranty(rules.warranty_years_default)


def policy_lead(store, question: str, sections: list[dict]) -> str:
    """The sentence of the top policy sections closest to the question, cited as file › section."""
    candidates = []
    for sec in sections[:2]:
        for sent in textre.split_at(_SENTENCES, " ".join(sec["text"].split())):
            if len(sent.split()) >= 4:
                candidates.append((sent, sec))
    if not candidates:
        return ""
    vecs = store.embedder.encode([s for s, _ in candidates], dtype="float32")
    order = np.argsort(-(vecs @ store.embedder.encode_one(question)))
    sec = candidates[int(order[0])][1]
    # the closest sentence and the next closest of the same section, in the section's order
    same = [int(i) for i in order if candidates[int(i)][1] is sec][:2]
    text = " ".join(candidates[i][0] for i in sorted(same))
    return f"{text} [{sec['file']} › {sec['section'].split(' > ')[-1]}]"
