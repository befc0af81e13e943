"""Is this message a basket change, and which: a learned head plus exact validators.

The head is a logistic regression over the MiniLM sentence vector the slot tagger already
computed for the message (no second encoder pass). It tells add · remove · set · clear · view
from every other message (`none`), trained on `basket_data`; rebuild it with
`python -m assistant.turn.basket_act --write` (~20 s), which prints held-out accuracy. What the
head decides is only the kind of act; the quantity ("two of those", "make that 3"), the items
referred to (positions, ids, prices, "the cheaper one", names) are read by exact validators, and
an act that needs a value the message does not state (a `set` without a number) is no act.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval import textre

HEAD_PATH = Path(__file__).with_name("basket_head.npz")
ACTS = ("none", "add", "remove", "set", "clear", "view")
MIN_CONFIDENCE = 0.6  # below this a message is not taken as a basket act

_NUM_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "a couple of": 2, "a couple": 2, "a pair of": 2,
              "a dozen": 12, "dozen": 12}  # fmt: skip
# Group 2 takes what may not follow a quantity's digits (see _stated_number).
_NUMBER = textre.compile(
    r"(\d{1,3})([\w.%£$€]|\s*(?:stars?|%|days?|weeks?|months?|years?|pounds?|quid))?"
    r"|\b(a couple(?: of)?|a pair of|a dozen|dozen|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|\b(one)\s+(?:of|more|x)\b|\b(?:to|make (?:it|that)|just|only)\s+(one)\b",
    textre.I,
)
_MORE = textre.compile(
    r"\b(?:another|extra|(?:one|two|three|four|five|six|a couple|\d{1,2}) more)\b", textre.I
)
_NOT_QUANTITY = textre.compile(  # numbers that are positions, ids or prices, not quantities
    r"\b(?:first|top)\s+(?:two|three|four|five|six|[2-6])\b|(?:#|\b(?:number|no\.|item|option)s?\s*)\d+"
    r"|[£$€]\s?\d[\d,]*(?:\.\d{1,2})?|\b[A-Za-z]{1,4}-?\d{3,}\b|\b\d+(?:st|nd|rd|th)\b"
    r"|\b(?:rated|rating|under|below|over|above|less than|more than|up to|max|around|about)\s+\d[\d.,]*"
    r"|\b\d+(?:\.\d)?\s*(?:\+|or (?:more|above|higher|better|less|under|below))",
    textre.I,
)
_COMPARATIVE = {
    "cheapest": textre.compile(r"\b(?:cheap(?:er|est)|less expensive|lowest[- ]priced|most affordable)\b", textre.I),
    "dearest": textre.compile(r"\b(?:more expensive|most expensive|pricier|priciest|dearer|dearest)\b", textre.I),
    "best_rated": textre.compile(r"\b(?:best|better|higher|highest|top)[- ]rated\b|\bbest reviewed\b", textre.I),
}  # fmt: skip
_MONEY = textre.compile(r"[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?)")


@dataclass
class BasketAsk:
    """What a basket message asks, as slots (references are resolved against the conversation
    by `assistant.turn.basket`)."""

    act: str  # add | remove | set | clear | view
    confidence: float
    quantity: int | None = None  # the number stated ("two of those" -> 2), None: not stated
    more: bool = False  # "another", "two more": the quantity adds to what is there
    comparative: str | None = None  # "the cheaper one" -> "cheapest"
    prices: list[float] = field(default_factory=list)  # "the £24.99 one"
    words: str = ""  # the words the tagger marked as naming an item ("the kettle")

    def to_dict(self) -> dict:
        return {"act": self.act, "confidence": round(self.confidence, 3),
                "quantity": self.quantity, "more": self.more, "comparative": self.comparative,
                "prices": self.prices, "words": self.words}  # fmt: skip


@dataclass
class ActHead:
    """Softmax regression over sentence vectors (scikit-learn's fit, numpy at run time)."""

    coef: np.ndarray  # (C, d)
    intercept: np.ndarray  # (C,)
    meta: dict

    def proba(self, vectors: np.ndarray) -> np.ndarray:
        z = np.asarray(vectors, dtype=np.float64) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, coef=self.coef.astype(np.float32),
                            intercept=self.intercept.astype(np.float32),
                            meta=np.array(json.dumps(self.meta)))  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> ActHead:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["coef"].astype(np.float64), z["intercept"].astype(np.float64),
                       json.loads(str(z["meta"])))  # fmt: skip


@lru_cache(maxsize=1)
def default_head() -> ActHead:
    return ActHead.load(HEAD_PATH)


def quantity(text: str) -> tuple[int | None, bool]:
    """(the quantity the message states, whether it is "more"): "add two of those" -> (2, False),
    "another one" -> (1, True), "the first two" -> (None, False) (positions, not a quantity)."""
    rest = _NOT_QUANTITY.sub(" ", text)
    more = bool(_MORE.search(rest))
    word = _stated_number(rest)
    if word is None:
        return (1, True) if more else (None, False)
    value = int(word) if word.isdigit() else (1 if word == "one" else _NUM_WORDS[word])
    return value, more


def _stated_number(text: str) -> str | None:
    """The first number word, or digits that stand alone: not after a word character, currency
    sign or ".", not before a word character, ".", "%", a currency sign or a unit (what `re`
    lookarounds said)."""
    for m in _NUMBER.finditer(text):
        if m.group(1) is None:
            return next(g for g in m.groups()[2:] if g).lower()
        before = text[m.start() - 1] if m.start() else " "
        if m.group(2) is None and not (before.isalnum() or before in "_£$€."):
            return m.group(1)
    return None


def comparative(text: str) -> str | None:
    """Which shown item a comparison names: "the cheaper one" -> "cheapest"."""
    return next((k for k, rx in _COMPARATIVE.items() if rx.search(text)), None)


def read_acts(texts: list[str], vectors: np.ndarray, head: ActHead | None = None) -> list[BasketAsk | None]:  # fmt: skip
    """Per message: its BasketAsk, or None when it is no basket act."""
    if not texts:
        return []
    head = head or default_head()
    probs = head.proba(vectors)
    labels = head.meta.get("labels", list(ACTS))
    out: list[BasketAsk | None] = []
    for text, p in zip(texts, probs, strict=True):
        k = int(p.argmax())
        act = labels[k]
        if act == "none" or p[k] < MIN_CONFIDENCE:
            out.append(None)
            continue
        qty, more = quantity(text)
        if act == "set" and qty is None:  # "make it cheaper": no number, so no quantity change
            out.append(None)
            continue
        prices = [float(m.group(1).replace(",", "")) for m in _MONEY.finditer(text)]
        out.append(BasketAsk(act, float(p[k]), qty, more, comparative(text), prices))
    return out


# --- training -----------------------------------------------------------------------------------


def fit(encoder, rows: list[tuple[str, str]], c: float = 4.0) -> ActHead:
    from sklearn.linear_model import LogisticRegression

    x = encoder.encode([t for t, _ in rows])
    y = np.array([ACTS.index(a) for _, a in rows])
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, y)
    return ActHead(model.coef_, model.intercept_, {"labels": list(ACTS), "trained_on": len(rows)})


def _others(seed: int) -> list[str]:
    """Non-basket messages: the intent examples and shopper requests from the tagger's data."""
    from assistant.turn.intent_examples import EXAMPLES
    from assistant.turn.tagger import demo_product_phrases, training_set

    texts = [t for name, ts in EXAMPLES.items() for t in ts if name != "change_order"]
    texts += [t for name, ts in EXAMPLES.items() for t in ts if name == "change_order"] * 3
    return texts + [t for t, _ in training_set(1500, seed, demo_product_phrases())]


def main() -> None:
    """Train on 300 messages per act, report accuracy on held-out ones, write the head."""
    import argparse

    from assistant.turn.basket_data import basket_examples
    from assistant.turn.tagger import SlotTagger
    from retrieval.storage.embeddings import get_embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {HEAD_PATH.name}")
    args = parser.parse_args()
    encoder = SlotTagger(get_embedder())  # the sentence vectors the head reads at run time
    head = fit(encoder, basket_examples(300, 0, _others(0)))
    held = basket_examples(100, 1, _others(1), near_misses=False)
    pred = [a.act if a else "none" for a in
            read_acts([t for t, _ in held], encoder.encode([t for t, _ in held]), head)]  # fmt: skip
    gold = [a for _, a in held]
    acc = float(np.mean([g == p for g, p in zip(gold, pred, strict=True)]))
    head.meta["held_out_accuracy"] = round(acc, 4)
    print(json.dumps(head.meta))
    if args.write:
        head.save(HEAD_PATH)


if __name__ == "__main__":
    main()
