"""Slot tagger: which words of a request name what to search for (ITEM), refer to the shopper's
own past (PAST), or are filler (O).

A learned component: logistic regression over MiniLM's contextual word vectors (each word with
its neighbours), trained on labelled requests from `tagger_data`. It replaces "whatever words
the rules leave over" as the topic, so "a gift under 30, what do you suggest?" has no topic and
"something for a coffee lover" has the topic "coffee". Amounts, ratings and ids are read by
exact validators elsewhere; the tagger only says which words are the subject.

Rebuild the shipped head: `python -m assistant.turn.tagger --write` (about a minute on 2 cores).
"""

from __future__ import annotations

import json
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval import textre

HEAD_PATH = Path(__file__).with_name("slot_tagger.npz")
LABELS = ("O", "ITEM", "PAST", "INTEREST")
WORD = textre.compile(r"[£$€]|\w+(?:['.-]\w+)*")  # linear: the groups cannot overlap
MEMO_SIZE = 4096


@dataclass(frozen=True)
class Tagged:
    """A message's words with their labels, and its MiniLM sentence vector."""

    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    labels: tuple[str, ...]
    sentence: np.ndarray

    def runs(self, label: str) -> list[str]:
        """Each unbroken run of words with this label ("a puzzle or board game" -> 2 runs)."""
        out: list[list[str]] = []
        prev = None
        for w, lab in zip(self.words, self.labels, strict=True):
            if lab == label:
                if prev != label:
                    out.append([])
                out[-1].append(w)
            prev = lab
        return [" ".join(r) for r in out]

    def has(self, label: str) -> bool:
        """Any word with this label?"""
        return label in self.labels


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the words the tagger labels."""
    return [m.span() for m in WORD.finditer(text)]


def word_features(hidden: np.ndarray, offsets: list, spans: list[tuple[int, int]]) -> np.ndarray:
    """(n_words, 3*d): each word's mean wordpiece vector with its left and right neighbours'."""
    d = hidden.shape[1]
    vecs = np.zeros((len(spans), d), dtype=np.float32)
    for k, (s, e) in enumerate(spans):
        rows = [i for i, (a, b) in enumerate(offsets) if b > a and a >= s and b <= e]
        if rows:
            v = hidden[rows].mean(axis=0)
            vecs[k] = v / (np.linalg.norm(v) + 1e-9)
    zero = np.zeros((1, d), dtype=np.float32)
    left = np.vstack([zero, vecs[:-1]]) if len(spans) else vecs
    right = np.vstack([vecs[1:], zero]) if len(spans) else vecs
    return np.hstack([vecs, left, right])


@dataclass
class TaggerHead:
    """Multinomial logistic regression weights over word features."""

    coef: np.ndarray  # (len(LABELS), 3*d)
    intercept: np.ndarray
    meta: dict

    def predict(self, features: np.ndarray) -> list[str]:
        """A label per feature row."""
        if len(features) == 0:
            return []
        z = features @ self.coef.T + self.intercept
        return [LABELS[i] for i in z.argmax(axis=1)]

    def save(self, path: Path) -> None:
        """Write the head as a small .npz."""
        np.savez_compressed(
            path,
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            meta=np.array(json.dumps(self.meta)),
        )

    @classmethod
    def load(cls, path: Path) -> TaggerHead:
        """Read a head written by `save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(z["coef"], z["intercept"], json.loads(str(z["meta"])))


class SlotTagger:
    """Tags messages with the shipped head; one MiniLM pass per new message (memoised)."""

    def __init__(self, encoder=None, head: TaggerHead | None = None) -> None:
        self._encoder, self._head = encoder, head
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, Tagged] = OrderedDict()

    def _parts(self):
        with self._lock:
            if self._encoder is None:
                from retrieval.storage.embeddings import get_embedder

                self._encoder = get_embedder()
            if self._head is None:
                self._head = TaggerHead.load(HEAD_PATH)
        return self._encoder, self._head

    def tag_many(self, texts: list[str]) -> list[Tagged]:
        """Tagged messages, in order; new ones are encoded in one batch."""
        with self._lock:
            out = [self._memo.get(t) for t in texts]
        todo = list(dict.fromkeys(t for t, r in zip(texts, out, strict=True) if r is None))
        if todo:
            encoder, head = self._parts()
            done = {}
            for text, (sent, hidden, offsets) in zip(
                todo, encoder.encode_tokens(todo), strict=True
            ):
                spans = word_spans(text)
                labels = head.predict(word_features(hidden, offsets, spans))
                words = tuple(text[s:e] for s, e in spans)
                done[text] = Tagged(words, tuple(spans), tuple(labels), sent)
            with self._lock:
                self._memo.update(done)
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
            out = [r if r is not None else done[t] for t, r in zip(texts, out, strict=True)]
        return out  # type: ignore[return-value]

    def tag(self, text: str) -> Tagged:
        """One tagged message."""
        return self.tag_many([text])[0]

    def encode(self, texts: list[str]) -> np.ndarray:
        """MiniLM sentence vectors of the messages, from the same (memoised) pass that tagged them,
        so the intent head needs no second encoder pass."""
        return np.stack([t.sentence for t in self.tag_many(texts)]) if texts else np.zeros((0, 384))


@lru_cache(maxsize=1)
def default_tagger() -> SlotTagger:
    """One shared tagger per process."""
    return SlotTagger()


# --- training -----------------------------------------------------------------------------------


def training_set(n: int, seed: int, extra_products: list[str]) -> list[tuple[str, list[str]]]:
    """(text, label per word of `word_spans(text)`) pairs drawn from `tagger_data`."""
    from assistant.turn.tagger_data import product_phrases, sentence

    rng = random.Random(seed)
    products = product_phrases(extra_products)
    out = []
    for _ in range(n):
        pieces = sentence(rng, products)
        text, owners = "", []
        for word, label in pieces:
            if text:
                text += " "
            owners.append((len(text), len(text) + len(word), label))
            text += word
        labels = [
            next((lab for a, b, lab in owners if a <= s < b), "O") for s, _ in word_spans(text)
        ]
        out.append((text, labels))
    return out


def fit(encoder, rows: list[tuple[str, list[str]]], c: float = 2.0) -> TaggerHead:
    """Logistic regression on the word features of `rows` (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    feats, ys = [], []
    for start in range(0, len(rows), 256):
        batch = rows[start : start + 256]
        encoded = encoder.encode_tokens([t for t, _ in batch])
        for (text, labels), (_, hidden, offsets) in zip(batch, encoded, strict=True):
            feats.append(word_features(hidden, offsets, word_spans(text)))
            ys += [LABELS.index(lab) for lab in labels]
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(np.vstack(feats), np.array(ys))
    return TaggerHead(model.coef_, model.intercept_, {"trained_on": len(rows)})


def demo_product_phrases() -> list[str]:
    """Category names and product nouns of the generated demo catalog (training data only)."""
    from retrieval.demo import BRANDS, SUBCATS

    names = [n.lower() for n in SUBCATS]
    nouns = [spec["noun"] for spec in SUBCATS.values() if spec.get("noun")]
    brands = [b.lower() for b in BRANDS]
    rng = random.Random(3)
    branded = [f"{b} {rng.choice(nouns)}" for b in brands] + [
        f"{b} {w}"
        for b in ("lego", "playmobil", "barbie", "nike", "sony")
        for w in ("", "star wars", "set")
    ]
    return names + nouns + brands + [b.strip() for b in branded]


def main() -> None:
    """Train on 4,000 requests, report word accuracy on 800 held-out ones, write the head."""
    import argparse

    from retrieval.storage.embeddings import get_embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {HEAD_PATH.name}")
    args = parser.parse_args()
    encoder = get_embedder()
    extra = demo_product_phrases()
    head = fit(encoder, training_set(4000, 0, extra))
    held = training_set(800, 1, extra)
    tagger = SlotTagger(encoder, head)
    gold = [lab for _, labels in held for lab in labels]
    pred = [lab for t in tagger.tag_many([t for t, _ in held]) for lab in t.labels]
    acc = float(np.mean([g == p for g, p in zip(gold, pred, strict=True)]))
    head.meta.update({"held_out_word_accuracy": round(acc, 4), "labels": list(LABELS)})
    print(json.dumps(head.meta))
    if args.write:
        head.save(HEAD_PATH)


if __name__ == "__main__":
    main()
