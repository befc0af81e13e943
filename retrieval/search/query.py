"""Exact filters parsed from a shopper's words: price, rating, stock, brand, category.

Only unambiguous phrases become filters; everything else stays in the text that is ranked.
Semantics (documented in the README): "under/below/less than/cheaper than X" is price < X;
"up to/at most/no more than/max/within/budget X" is price <= X; "over/above/more than X" is
price > X; "from/at least X" is >= X; "between X and Y" and "X-Y" are inclusive; "rated X+",
"X stars and up", "at least X stars" is rating >= X; "in stock" keeps items known to be in stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval import textre
from retrieval.storage.mirror import Filters

_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "CNY"}
_WORDS = {
    "pounds": "GBP",
    "quid": "GBP",
    "gbp": "GBP",
    "dollars": "USD",
    "usd": "USD",
    "euros": "EUR",
    "eur": "EUR",
    "bucks": "USD",
    "yuan": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
}
# A space after the number is taken only with a currency word (re took it always; nothing read
# it), so a match never swallows the character _DASH checks before the next one.
_NUM = r"(?P<sym{n}>[£$€¥])?\s?(?P<num{n}>\d+(?:[.,]\d{{1,2}})?)(?:\s?(?P<word{n}>pounds|quid|gbp|dollars|usd|euros|eur|bucks|yuan|rmb|cny))?"  # noqa: E501
_UNIT_AFTER = textre.compile(
    r"^\s*(?:years?|yrs?|months?|kg|g|cm|mm|m|l|ml|players?|pieces?|pcs|inch|in\b|\+?\s*yo)",
    textre.I,
)


def _num(n: int) -> str:
    return _NUM.format(n=n)


# Group 1 is the range. _DASH: "(?:^|[^\w.])" stands for re's lookbehind "(?<![\w.])"; a range
# with "unit" after it (re's lookahead) is no price, and its second number is read whole: re's
# lookahead backtracked to "5-1" in "ages 5-10 years".
_RANGE = textre.compile(rf"(\b(?:between|from)\s+{_num(1)}\s*(?:and|to|-)\s*{_num(2)})", textre.I)
_DASH = textre.compile(
    rf"(?:^|[^\w.])({_num(1)}\s*-\s*{_num(2)})(?P<unit>\s*(?:years?|yrs?|stars?))?", textre.I
)
_MAX_EXCL = textre.compile(
    rf"\b(?:under|below|less than|cheaper than|beneath)\s+{_num(1)}", textre.I
)
_MAX_INCL = textre.compile(
    rf"\b(?:up to|at most|no more than|not more than|max(?:imum)?|within|budget(?: of| is)?)\s+{_num(1)}",
    textre.I,
)
_MIN_EXCL = textre.compile(rf"\b(?:over|above|more than|pricier than)\s+{_num(1)}", textre.I)
_MIN_INCL = textre.compile(rf"\b(?:at least|from|minimum|min)\s+{_num(1)}", textre.I)
_RATING = [
    textre.compile(
        r"\brated\s+(?:at least\s+)?(?P<r>[0-5](?:\.\d)?)\s*(?:\+|stars?|or (?:more|higher|above|better)|and (?:up|above))?",
        textre.I,
    ),  # noqa: E501
    textre.compile(r"\b(?:at least|minimum|min)\s+(?P<r>[0-5](?:\.\d)?)\s*stars?", textre.I),
    textre.compile(
        r"\b(?P<r>[0-5](?:\.\d)?)\s*(?:\+\s*stars?|stars?\s*(?:\+|and up|or more|or higher|or above|plus))",
        textre.I,
    ),  # noqa: E501
    textre.compile(
        r"\brating\s+(?:of\s+)?(?:at least\s+|above\s+|over\s+)?(?P<r>[0-5](?:\.\d)?)", textre.I
    ),
]
_IN_STOCK = textre.compile(
    r"\b(?:in[- ]stock|available now|ready to ship|available today)\b", textre.I
)
_NEGATION = textre.compile(
    r"\b(?:not|no|except|without|other than|but not|excluding)\s*$", textre.I
)
_TOKEN = textre.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STARS = textre.compile(r"\s*(?:\+\s*)?stars?\b", textre.I)
_WORD = textre.compile(r"[A-Za-z0-9][A-Za-z0-9'&.-]*")
_SPACES = textre.compile(r"\s+")
STOP_WORDS = frozenset(
    "a an the and or of for to in on at by with from my me i is are be it this that".split()
)

# Words that are also some manufacturer's name; alone they never mean a brand.
COMMON_WORDS = frozenset(
    """
    a an the and or of for to in on at by with from my me i you it is be kids kid child children
    baby boys girls boy girl men women adult adults gift gifts present set sets kit kits toy
    toys game games big small large mini little star stars magic ultra hot race racing fun new
    best top super great good happy smart classic original premium deluxe basic simple home
    house garden play character characters stickers sticker party christmas colour color red
    blue green black white pink yellow gold silver wooden wood metal plastic paper cards card
    book books dice club bee art arts craft crafts model models car cars train trains ball balls
    doll dolls team world unknown generic none na n/a other various brand
    """.split()
)


@dataclass
class ParsedQuery:
    """The filters found in a query, and the words left to rank by."""

    text: str
    filters: Filters
    matched: list[str] = field(default_factory=list)  # human-readable, e.g. "price < 20"
    currency_note: str | None = None


def _stem(token: str) -> str:
    if len(token) > 3 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def phrase_key(text: str) -> tuple[str, ...]:
    """Lower-cased, singularized word tuple used to match names in queries."""
    tokens = [t for t in _TOKEN.findall(text.lower().replace("&", " ")) if t != "and"]
    return tuple(_stem(t) for t in tokens)


class Vocabulary:
    """Brand and category names of a catalog, keyed for phrase matching."""

    def __init__(self, brands: set[str], categories: set[str]) -> None:
        self.entries: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
        for name in categories:
            key = phrase_key(name)
            if key:
                self.entries.setdefault(key, (set(), set()))[1].add(name.lower())
        for name in brands:
            key = phrase_key(name)
            if not key or not _usable_brand(name, key):
                continue
            self.entries.setdefault(key, (set(), set()))[0].add(name.lower())
        self.max_len = max((len(k) for k in self.entries), default=0)


def _usable_brand(name: str, key: tuple[str, ...]) -> bool:
    if len(key) == 1 and (key[0] in COMMON_WORDS or len(key[0]) < 3 or key[0].isdigit()):
        return False
    return not all(t in COMMON_WORDS for t in key)


def _amount(m: textre.Match, n: int, currency: str, notes: list[str]) -> float:
    raw = m.group(f"num{n}")
    if "," in raw and "." not in raw and len(raw.split(",")[1]) == 2:
        raw = raw.replace(",", ".")
    value = float(raw.replace(",", ""))
    sym = m.group(f"sym{n}")
    word = m.group(f"word{n}")
    typed = _SYMBOLS.get(sym) if sym else (_WORDS.get(word.lower()) if word else None)
    if typed and typed != currency:
        notes.append(f"read {sym or word}{m.group(f'num{n}')} as {value:g} {currency}")
    return value


def _is_price(m: textre.Match, n: int, text: str) -> bool:
    """A bare number is a price unless a unit follows (\"under 5 years\")."""
    if m.group(f"sym{n}") or m.group(f"word{n}"):
        return True
    return not _UNIT_AFTER.match(text[m.end() :])


def _parse_prices(text: str, f: Filters, matched: list[str], currency: str, notes: list[str]):
    spans: list[tuple[int, int]] = []
    for pattern in (_RANGE, _DASH):
        for m in pattern.finditer(text):
            if pattern is _DASH and m.group("unit") is not None:
                continue
            if _is_price(m, 2, text) or m.group("sym1"):
                lo, hi = sorted((_amount(m, 1, currency, notes), _amount(m, 2, currency, notes)))
                f.price_min, f.price_max = lo, hi
                f.price_min_inclusive = f.price_max_inclusive = True
                matched.append(f"price {lo:g}–{hi:g} {currency}")
                spans.append(m.span(1))
        if spans:
            return spans
    rules = (
        (_MAX_EXCL, "max", False),
        (_MAX_INCL, "max", True),
        (_MIN_EXCL, "min", False),
        (_MIN_INCL, "min", True),
    )
    for pattern, side, inclusive in rules:
        for m in pattern.finditer(text):
            if not _is_price(m, 1, text) or _looks_like_rating(text, m):
                continue
            value = _amount(m, 1, currency, notes)
            setattr(f, f"price_{side}", value)
            setattr(f, f"price_{side}_inclusive", inclusive)
            op = ("<=" if inclusive else "<") if side == "max" else (">=" if inclusive else ">")
            matched.append(f"price {op} {value:g} {currency}")
            spans.append(m.span())
    return spans


def _looks_like_rating(text: str, m: textre.Match) -> bool:
    return bool(_STARS.match(text[m.end() :]))


def _parse_rating(text: str, f: Filters, matched: list[str]) -> list[tuple[int, int]]:
    for pattern in _RATING:
        m = pattern.search(text)
        if m:
            f.rating_min = float(m.group("r"))
            matched.append(f"rating >= {f.rating_min:g}")
            return [m.span()]
    return []


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _parse_names(text: str, vocab: Vocabulary, f: Filters, matched: list[str]) -> str:
    """Brands/categories named in the text; returns the text without negated names."""
    words = list(_WORD.finditer(text))
    keys = [phrase_key(w.group()) for w in words]
    i = 0
    brands: list[str] = []
    cats: list[str] = []
    both: list[str] = []
    ex_b: list[str] = []
    ex_c: list[str] = []
    cut: list[tuple[int, int]] = []
    while i < len(words):
        hit = None
        for n in range(min(vocab.max_len + 2, len(words) - i), 0, -1):
            key = tuple(t for k in keys[i : i + n] for t in k)
            if key in vocab.entries:
                hit = (n, vocab.entries[key])
                break
        if hit is None:
            i += 1
            continue
        n, (b, c) = hit
        start, end = words[i].start(), words[i + n - 1].end()
        negation = _NEGATION.search(text[:start])
        if negation:
            ex_b.extend(b)
            ex_c.extend(c)
            cut.append((negation.start(), end))
        elif b and c:
            both.extend(b | c)
        else:
            brands.extend(b)
            cats.extend(c)
        i += n
    f.brands, f.categories = tuple(sorted(set(brands))), tuple(sorted(set(cats)))
    f.brands_or_categories = tuple(sorted(set(both)))
    f.exclude_brands, f.exclude_categories = tuple(sorted(set(ex_b))), tuple(sorted(set(ex_c)))
    for label, values in (
        ("brand", f.brands),
        ("category", f.categories),
        ("brand or category", f.brands_or_categories),
        ("not brand", f.exclude_brands),
        ("not category", f.exclude_categories),
    ):
        if values:
            matched.append(f"{label}: {', '.join(values)}")
    return _blank(text, cut)


def parse_query(text: str, vocab: Vocabulary | None, currency: str = "GBP") -> ParsedQuery:
    """Find exact filters in a query; the rest of the words are returned for ranking."""
    f = Filters()
    matched: list[str] = []
    notes: list[str] = []
    spans = _parse_rating(text, f, matched)
    rest = _blank(text, spans)
    spans = _parse_prices(rest, f, matched, currency, notes)
    rest = _blank(rest, spans)
    stock = list(_IN_STOCK.finditer(rest))
    if stock:
        f.in_stock = True
        matched.append("in stock")
        rest = _blank(rest, [m.span() for m in stock])
    if vocab is not None:
        rest = _parse_names(rest, vocab, f, matched)
    rest = _SPACES.sub(" ", rest).strip(" ,.;:-")
    return ParsedQuery(rest, f, matched, "; ".join(notes) or None)
