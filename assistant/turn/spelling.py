"""Typos corrected before a message is understood: "chaepest ketltes" → "cheapest kettles".

symspellpy (symmetric-delete spelling correction) over its shipped English word frequencies plus
the catalog's own words (titles, brands, categories; from `Searcher.catalog_words`), so brand
and product names are never "corrected" into English and a misspelt product name is corrected
to the catalog's spelling. Only alphabetic words of four or more letters that neither list
knows are changed, to the most frequent word one edit away (two for words of seven or more
letters); numbers, ids, amounts and known words are left exactly as typed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

from retrieval import textre

# Whole words with 4+ ASCII letters in a row; fix() corrects those made of ASCII letters only
# (re said `(?<![\w'])[A-Za-z]{4,}(?![\w'])`).
_TOKEN = textre.compile(r"[\w']*[A-Za-z]{4,}[\w']*")
CATALOG_COUNT = 10**9  # a catalog word outranks an English word at the same edit distance
MEMO_SIZE = 4096


@lru_cache(maxsize=1)
def english():
    """symspellpy loaded with its English frequency dictionary (~2 s, once per process)."""
    from importlib.resources import files

    from symspellpy import SymSpell

    speller = SymSpell(max_dictionary_edit_distance=2)
    path = files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    speller.load_dictionary(str(path), term_index=0, count_index=1)
    return speller


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}


def _neighbours(a: str, b: str) -> bool:
    """Keys next to each other on a QWERTY keyboard (same row, or the rows above and below)."""
    if a not in _KEY or b not in _KEY:
        return False
    (ra, ia), (rb, ib) = _KEY[a], _KEY[b]
    return abs(ra - rb) <= 1 and abs(ia - ib) <= 1 and (ra, ia) != (rb, ib)


def is_typo(typed: str, word: str) -> bool:
    """`typed` is `word` with one typing slip: an adjacent swap, one letter dropped or added, or
    one letter replaced by a neighbouring key."""
    if len(typed) == len(word):
        diff = [i for i, (x, y) in enumerate(zip(typed, word, strict=True)) if x != y]
        if len(diff) == 1:
            return _neighbours(typed[diff[0]], word[diff[0]])
        i = diff[0] if len(diff) == 2 else -1
        return (
            len(diff) == 2
            and diff[1] == i + 1
            and typed[i] == word[i + 1]
            and typed[i + 1] == word[i]
        )
    short, long_ = sorted((typed, word), key=len)
    if len(long_) - len(short) != 1:
        return False
    # a letter dropped or added after the first (people rarely slip on the first letter)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(1, len(long_)))


class Speller:
    """Corrects messages; `catalog_words()` returns the live catalog's words (a Counter)."""

    def __init__(self, catalog_words) -> None:
        self._catalog_words = catalog_words
        self._known: set[str] = set()
        self._words = None  # the catalog words last added
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, str] = OrderedDict()

    def _speller(self):
        speller = english()
        words = self._catalog_words()  # one Counter per catalog version
        with self._lock:
            if words is not self._words:  # the catalog changed: add its new words, once
                for w in words.keys() - self._known:
                    speller.create_dictionary_entry(w, CATALOG_COUNT)
                self._known.update(words)
                self._words = words
        return speller

    def correct(self, text: str) -> str:
        """The text with unknown words replaced by their correction (case kept)."""
        with self._lock:
            if text in self._memo:
                return self._memo[text]
        from symspellpy import Verbosity

        speller = self._speller()

        def fix(m: textre.Match) -> str:
            word = m.group(0)
            low = word.lower()
            if not (word.isascii() and word.isalpha()) or low in speller.words:
                return word
            found = speller.lookup(low, Verbosity.CLOSEST, 1)
            typos = [f.term for f in found if f.distance == 1 and is_typo(low, f.term)]
            if not typos:
                return word
            term = typos[0]
            return term.capitalize() if word[0].isupper() else term

        out = _TOKEN.sub(fix, text)
        with self._lock:
            self._memo[text] = out
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return out
