"""Customer-service facts that lead an answer: decided by code, so they stream at once.

- `stated_return_facts`: eligibility from the days the shopper states, with the opened-item
  exclusions and the warranty for faulty items;
- `policy_lead`: the policy sentence that answers the question, with its citation.
"""

from __future__ import annotations

import re

import numpy as np

_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def stated_return_facts(
    days: int | None, top_category: str | None, rules, opened: bool | None = None
) -> list[str]:
    """Whether an item can be returned under `rules` (ServiceRules), from what the shopper states:
    the days since delivery (None: not said) and whether it was opened (None: not said)."""
    window = rules.return_window_days
    warranty = _warranty(top_category, rules)
    if days is not None and days > window:
        return [
            f"No: returns are accepted within {window} days of delivery, and you said it was "
            f"{days} days ago.",
            f"If it is faulty, {warranty}.",
        ]
    left = "" if days is None else f", and you have {window - days} days left"
    sealed_only = bool(top_category and top_category.lower() in rules.non_returnable_if_opened)
    if sealed_only and opened:
        return [
            f"No: opened {top_category} items can't be returned, for hygiene and food-safety "
            f"reasons; unopened ones can, within {window} days of delivery.",
            f"If it is faulty, {warranty}.",
        ]
    if sealed_only and opened is None:
        return [
            f"Yes, if it is unopened: {top_category} items can be returned within {window} days "
            f"of delivery only unopened{left}."
        ]
    kind = "opened items" if opened else "returns"
    verb = "can be returned" if opened else "are accepted"
    only = ""
    if opened and rules.non_returnable_if_opened:
        names = " and ".join(c.title() for c in rules.non_returnable_if_opened)
        only = f"; only {names} items must be unopened"
    return [f"Yes: {kind} {verb} within {window} days of delivery{left}{only}."]


_OPENED = re.compile(r"\b(?:opened|unsealed|used|worn)\b", re.I)
_SEALED = re.compile(
    r"\b(?:unopened|un-opened|sealed|unused|unworn|never opened|not opened)\b", re.I
)


def stated_opened(text: str) -> bool | None:
    """Whether the shopper says the item was opened (True), is still sealed (False), or neither."""
    if _SEALED.search(text):
        return False
    return True if _OPENED.search(text) else None


def _warranty(top_category: str | None, rules) -> str:
    years = rules.warranty_years_default
    if top_category and top_category.lower() == "electronics":
        years = rules.warranty_years_electronics
        return f"our {years}-year warranty for electronics covers it"
    return f"our {years}-year warranty covers it"


def policy_lead(store, question: str, sections: list[dict]) -> str:
    """The sentence of the top policy sections closest to the question, cited as file › section."""
    candidates = []
    for sec in sections[:2]:
        for sent in _SENTENCES.split(" ".join(sec["text"].split())):
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
