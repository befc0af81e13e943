"""Chinese messages read into the English the rest of the turn understands.

No multilingual encoder ships offline, so a Chinese message is read into English words and then
goes through the same learned parts (intent head, slot tagger) and exact validators as an
English one; the answer's facts, cards and citations are the English twin's.

1. Exact validators (`chinese_values`) rewrite the constructions that carry values into the
   English the validators of `retrieval.search.query` and `assistant.turn.understand` read: amounts
   with their bounds and currencies, ratings, stated time spans, counts and ordinals.
2. jieba (a dictionary + HMM segmenter with part-of-speech tags) splits the rest into words;
   particles, modal words and punctuation are dropped by their tags.
3. Each word is glossed by `Lexicon` (the store's glossary, else the CC-CEDICT sense the shipped
   MiniLM finds closest to shopping talk); a word the dictionary lacks is read piece by piece.
4. 最 with an adjective becomes the superlative the English reads: the adjective's and the
   neighbouring noun's senses say cheap/dear/well rated ("评分最高" -> "best rated").

Latin runs (English words, order and product ids) pass through unchanged, so mixed messages
keep their English.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from assistant.turn.chinese_values import CL, MARK, NUM, fmt, mark_values, number
from assistant.turn.lexicon import Lexicon
from retrieval import textre

MEMO_SIZE = 4096
GLOSSARY_FILE = "glossary_zh.json"  # beside the store: the generated glossary, for people to read
_HAN = textre.compile(r"\p{Han}")
_WORDS = textre.compile(r"[a-z]{3,}")
_HAN_RUN = textre.compile(r"\p{Han}+")
_CL_CHARS = frozenset("个款件双条台本种样只套盒把张瓶支位")
_ASPECT = frozenset({"了", "过"})  # after a verb: the action is done
# English pronoun forms (subject, possessive, object): 我 is "I", 我的 "my", 给我 "me"
_PRONOUNS = {"I": ("I", "my", "me"), "you": ("you", "your", "you"), "he": ("he", "his", "him"),
             "she": ("she", "her", "her"), "we": ("we", "our", "us"),
             "they": ("they", "their", "them"), "it": ("it", "its", "it")}  # fmt: skip
_ALREADY = frozenset({"已经", "已"})  # before a verb: the action is done
_COUNT = textre.compile(rf"^(?P<num>{NUM}){CL}?$")
# jieba's tags for words that carry no content: punctuation, particles, modal words, interjections
_DROP_TAGS = frozenset({"x", "uj", "ul", "uz", "ug", "uv", "ud", "u", "y", "e", "o"})
# jieba's tags of closed word classes: pronouns, prepositions, conjunctions, adverbs, place and
# time words, numerals and measure words
_FUNCTION_TAGS = frozenset({"r", "p", "c", "d", "f", "t", "m", "q", "rr", "rz", "ry"})
# English senses that say which way a superlative goes (closed sets, like the English
# validator's "cheapest|lowest priced|best rated ...")
_LOW = frozenset({"cheap", "inexpensive", "low", "lowest", "affordable", "cheapest"})
_DEAR = frozenset({"expensive", "costly", "dear", "pricey"})
_HIGH = frozenset({"high", "highest", "top", "tall", "tallest"})
_GOOD = frozenset({"good", "best", "popular", "well", "nice", "fine", "favorite", "favourite"})
_PRICE_NOUN = ("price", "cost")
_RATING_NOUN = ("rating", "score", "grade", "review", "evaluat", "apprais", "reputation", "praise")


def is_chinese(text: str) -> bool:
    """Does the message contain Chinese characters?"""
    return bool(_HAN.search(text or ""))


@dataclass(frozen=True)
class Reading:
    """A Chinese message read into English."""

    original: str
    english: str


class ChineseReader:
    """`read(text)`: the English reading of a Chinese (or mixed) message."""

    def __init__(self, lexicon: Lexicon) -> None:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(60)
        self.lexicon = lexicon
        self._tokenizer = jieba.Tokenizer()
        for word in lexicon.glossary.entries:
            self._tokenizer.add_word(word, freq=None, tag="n")
        self._pos = jieba.posseg.POSTokenizer(self._tokenizer)
        self._lock = threading.Lock()  # jieba's tokenizer initialises lazily, not thread-safely
        self._memo: OrderedDict[str, Reading] = OrderedDict()

    def read(self, text: str) -> Reading:
        """The English reading (memoised: a conversation is re-read every turn)."""
        with self._lock:
            if text in self._memo:
                self._memo.move_to_end(text)
                return self._memo[text]
        reading = self._read(text)
        with self._lock:
            self._memo[text] = reading
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return reading

    def _read(self, text: str) -> Reading:
        marked = mark_values(text)
        slots: list[tuple[str, ...]] = []
        for k, piece in enumerate(marked.split(MARK)):
            if k % 2:
                slots.append((piece,))
            elif piece.strip():
                slots.extend(self._gloss_run(piece))
        words = self.lexicon.in_context(slots)
        return Reading(text, " ".join(w for w in words if w).strip())

    # --- words -----------------------------------------------------------------------------
    def _gloss_run(self, text: str) -> list[tuple[str, ...]]:
        """Readings for a run without value constructions: Latin kept whole (ids, English
        words), Chinese segmented and glossed; one tuple of candidate readings per word."""
        out: list[tuple[str, ...]] = []
        last = 0
        for m in _HAN_RUN.finditer(text):
            out.extend((w,) for w in _latin(text[last : m.start()]))
            out.extend(self._gloss_han(m.group(0)))
            last = m.end()
        out.extend((w,) for w in _latin(text[last:]))
        return out

    def _gloss_han(self, text: str) -> list[tuple[str, ...]]:
        with self._lock:
            tokens = _joined([(w, tag) for w, tag in self._pos.cut(text)], self.lexicon.known)
        out: list[tuple[str, ...]] = []
        k = 0
        while k < len(tokens):
            word, tag = tokens[k]
            sup = self._superlative(tokens, k)
            if sup is not None:
                phrase, k, took = sup
                del out[len(out) - min(took, len(out)) :]  # its noun and count, read already
                out.append((phrase,))
                continue
            k += 1
            if tag in _DROP_TAGS or not _HAN.search(word):
                continue
            if len(word) == 1 and tag in ("m", "q") and number(word) is None:
                continue  # a measure word without its number says nothing: 来点水果
            glossed = self._gloss_word(word, tag in _FUNCTION_TAGS)
            if tag == "r" and glossed and glossed[0][0] in _PRONOUNS:  # 我的 -> my; 给我 -> me
                case = 1 if k < len(tokens) and tokens[k][0] == "的" else (2 if out else 0)
                glossed = [(_PRONOUNS[glossed[0][0]][case],)]
            done = k < len(tokens) and tokens[k][0] in _ASPECT and tag.startswith("v")
            if done or (k > 1 and tokens[k - 2][0] in _ALREADY):  # 拆封了 -> "opened"
                glossed = [_past_slot(slot) for slot in glossed]
            out.extend(glossed)
        return out

    def _gloss_word(self, word: str, function_word: bool = False) -> list[tuple[str, ...]]:
        m = _COUNT.match(word)
        if m and number(m.group("num")) is not None:
            value = number(m.group("num"))
            return [("a",)] if value == 1 else [(fmt(value),)]
        found = self.lexicon.candidates(word, function_word)
        if found:
            return [found]
        if len(word) == 1:
            return []
        parts = self._pieces(word)  # a classifier after the first piece says nothing: 哪款 -> 哪
        parts = [p for i, p in enumerate(parts) if not (i and len(p) == 1 and p in _CL_CHARS)]
        return [g for part in parts for g in self._gloss_word(part)]

    def _pieces(self, word: str) -> list[str]:
        """A word the dictionary lacks, as the longest known pieces from the left."""
        out, i = [], 0
        while i < len(word):
            for j in range(min(len(word), i + 6), i, -1):
                if j - i == 1 or self.lexicon.known(word[i:j]):
                    out.append(word[i:j])
                    i = j
                    break
        return out

    def _superlative(self, tokens, k: int) -> tuple[str, int, int] | None:
        """("the 2 cheapest", next index, how many words before it belong to it) for 最 with an
        adjective at `k` (the noun before it may say the dimension, a count may stand before or
        after it); None when it is not a superlative the English reads."""
        word = tokens[k][0]
        if word == "最" and k + 1 < len(tokens):
            adj, end = tokens[k + 1][0], k + 2
        elif word.startswith("最") and len(word) > 1:
            adj, end = word[1:], k + 1
        else:
            return None
        senses = {s.lower() for s in self.lexicon.senses(adj)} | {adj_gloss.lower()
                  for adj_gloss in [self.lexicon.gloss(adj) or ""]}  # fmt: skip
        before = self.lexicon.senses(tokens[k - 1][0]) if k else ()
        dim = _dimension(before)
        kind = _direction(senses, dim)
        if kind is None:
            return None
        count = None
        nxt = end + (1 if end < len(tokens) and tokens[end][1] in _DROP_TAGS else 0)
        if count is None and nxt < len(tokens) and _COUNT.match(tokens[nxt][0]):
            count, end = number(_COUNT.match(tokens[nxt][0]).group("num")), nxt + 1
        took = 1 if dim else 0  # the noun that said the dimension is part of it: 评分最高
        before_count = k - took - 1
        if before_count >= 0 and _COUNT.match(tokens[before_count][0]) and count is None:
            count, took = number(_COUNT.match(tokens[before_count][0]).group("num")), took + 1
        lead = f"the {fmt(count)} " if count and count > 1 else "the "
        return lead + kind, end, took


def _joined(tokens: list[tuple[str, str]], known) -> list[tuple[str, str]]:
    """Runs of single-character tokens that form a dictionary word joined into it (jieba splits
    words its own dictionary lacks: 包/邮 -> 包邮, "shipping included")."""
    out: list[tuple[str, str]] = []
    k = 0
    while k < len(tokens):
        for j in range(min(len(tokens), k + 4), k + 1, -1):
            run = [w for w, _ in tokens[k:j]]
            if all(len(w) == 1 and _HAN.search(w) for w in run) and known("".join(run)):
                out.append(("".join(run), "n"))
                k = j
                break
        else:
            out.append(tokens[k])
            k += 1
    return out


def _latin(text: str) -> list[str]:
    """A non-Chinese run's words as written (ids, English), without stray punctuation."""
    return [w.strip(",.;:!，。；：！、") for w in text.split() if w.strip(",.;:!，。；：！、")]


def _past(word: str) -> str:
    """A one-word English verb gloss in the past participle, for a verb with 了/过 after it
    (regular forms: "open" -> "opened"); longer glosses stay as they are."""
    if " " in word or not word.isalpha():
        return word
    return word + ("d" if word.endswith("e") else "ed")


def _past_slot(slot: tuple[str, ...]) -> tuple[str, ...]:
    """A verb's readings for a finished action: its one-word senses, which inflect, when it
    has any (发货 after 已经: "dispatched", not "send out goods")."""
    one = tuple(dict.fromkeys(_past(g) for g in slot if " " not in g and g.isalpha()))
    return one or slot


def _dimension(senses) -> str | None:
    text = " ".join(senses).lower()
    if any(n in text for n in _RATING_NOUN):
        return "rating"
    if any(n in text for n in _PRICE_NOUN):
        return "price"
    return None


def _direction(senses: set[str], dim: str | None) -> str | None:
    """The English superlative for an adjective's senses along a dimension, or None."""
    if dim == "price" and senses & _LOW:
        return "cheapest"
    if dim == "price":
        return "most expensive" if senses & (_HIGH | _DEAR) else None
    if dim == "rating":
        return "best rated" if senses & (_HIGH | _GOOD) else None
    if senses & _LOW:
        return "cheapest"
    if senses & _DEAR:
        return "most expensive"
    if senses & _GOOD:
        return "best rated"
    return None


class StoreReader:
    """The `ChineseReader` of a live store, built on the first Chinese message and rebuilt (with
    its glossary) when the catalog's categories change. `categories()` -> the category names;
    `encode(texts)` -> MiniLM vectors; `glossary_path`: where the generated glossary is saved;
    `store_texts()` -> the store's own texts (its policies), whose words senses are read in."""

    def __init__(self, categories, encode, glossary_path=None, store_texts=lambda: []) -> None:
        self._categories = categories
        self._store_texts = store_texts
        self._encode = encode
        self._path = glossary_path
        self._reader: ChineseReader | None = None
        self._key: frozenset[str] | None = None
        self._lock = threading.Lock()

    def read(self, text: str) -> Reading:
        return self.reader().read(text)

    def warm(self) -> None:
        """Build what the first Chinese message would wait for (the dictionary, the segmenter,
        the anchors' vectors: 6–7 s on 2 cores with the first message); `serve` runs it in the
        background."""
        self.reader().read("你好，推荐一个礼物")

    def reader(self) -> ChineseReader:
        from assistant.turn.intent_examples import EXAMPLES
        from assistant.turn.lexicon import Glossary

        names = frozenset(self._categories())
        with self._lock:
            if self._reader is None or names != self._key:
                glossary = Glossary.for_categories(sorted(names))
                if self._path is not None:
                    glossary.save(self._path)
                anchors = [t for texts in EXAMPLES.values() for t in texts] + sorted(names)
                words = frozenset(
                    w for t in [*self._store_texts(), *names] for w in _WORDS.findall(t.lower())
                )
                self._reader = ChineseReader(Lexicon(self._encode, anchors, glossary, words))
                self._key = names
            return self._reader
