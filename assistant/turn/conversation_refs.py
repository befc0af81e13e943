"""What a message refers to: the items an assistant message showed (ids and prices), and the
product ids, ordinals and order ids a user message names.

References: product ids typed by the user, ordinals ("the first two", "the second one", "the last
one", "both") resolved against the product ids in the last assistant message, written as
`[P00012]`, `(P00012)` or a bare letters-then-digits id. Order ids: `ORD-10001`, numbers of 6+
digits, or "order 12345".
"""

from __future__ import annotations

from retrieval import textre

_MONEY = textre.compile(r"[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?)")
_PRODUCT_ID = textre.compile(
    r"\[([A-Za-z0-9][\w-]{1,40})\]|\(([A-Za-z]{1,4}-?\d{3,})\)|\b([A-Z]{1,4}\d{3,})\b"
)
_USER_PRODUCT_ID = textre.compile(r"\b([A-Za-z]{1,4}\d{3,})\b")
_ORDER_ID = textre.compile(  # "(?:^|[^\w£$€.,])" stands for re's lookbehind "(?<![£$€\d.,])\b"
    r"\b(ORD-?\d+)\b|(?:^|[^\w£$€.,])(\d{6,})\b|\b(?:order|purchase)\s*(?:number|no\.?|#)?\s*#?(\d{4,})\b",
    textre.I,
)
_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2}
_ORDINAL = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "last": -1,
}  # fmt: skip
_ORD = "|".join(_ORDINAL)
_FIRST_N = textre.compile(r"\b(?:first|top)\s+(two|three|four|five|six|[2-6])\b", textre.I)
_ORDINAL_REF = textre.compile(
    rf"\b(?:the\s+)?({_ORD})\b(?:\s+(?:one|ones|item|option|product))?", textre.I
)
_STRICT_REF = textre.compile(
    rf"\bthe\s+(?:{_ORD})\b|\b(?:{_ORD})\s+(?:one|item|option|product)\b", textre.I
)
_NUMBERED = textre.compile(
    r"(?:#|\b(?:number|no\.|item|option)s?\s*)(\d)\b((?:\s*(?:,|and|&)\s*#?\d\b)*)", textre.I
)
_DIGIT = textre.compile(r"\d")
_BOTH = textre.compile(r"\b(?:both|(?:these|those|the) two|the pair)\b", textre.I)


def message_text(message: dict) -> str:
    """The text of a message whose content is a string or a list of OpenAI content parts."""
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def shown_items(text: str) -> tuple[list[str], list[float]]:
    """Product ids (in order) and prices cited in an assistant message."""
    ids: list[str] = []
    priced_lines: list[float] = []
    for line in text.splitlines():
        found = [next(g for g in m.groups() if g) for m in _PRODUCT_ID.finditer(line)]
        found = [i for i in found if not i.upper().startswith("ORD")]
        ids.extend(i for i in found if i not in ids)
        if found:
            priced_lines.extend(_money(line))
    return ids, priced_lines or _money(text)


def _money(text: str) -> list[float]:
    return [float(m.group(1).replace(",", "")) for m in _MONEY.finditer(text)]


def order_ids(text: str) -> list[str]:
    """Order ids in a message: ORD-10001, 6+ digit numbers, "order 12345"."""
    out = []
    for m in _ORDER_ID.finditer(text):
        value = next(g for g in m.groups() if g).upper()
        if value.startswith("ORD") and "-" not in value:
            value = "ORD-" + value[3:]
        if value not in out:
            out.append(value)
    return out


def ordinals(text: str, loose: bool) -> list[int]:
    """1-based positions the text refers to ("the first two" -> [1, 2]; "last" -> -1)."""
    m = _FIRST_N.search(text)
    if m:
        n = m.group(1)
        return list(range(1, (int(n) if n.isdigit() else _NUMBER[n.lower()]) + 1))
    out: list[int] = []
    for m in _NUMBERED.finditer(text):
        out.extend(int(d) for d in _DIGIT.findall(m.group(0)))
    if loose or _STRICT_REF.search(text):
        out.extend(_ORDINAL[m.group(1).lower()] for m in _ORDINAL_REF.finditer(text))
    if not out and _BOTH.search(text):
        out = [1, 2]
    return list(dict.fromkeys(out))


def referenced_products(text: str, nums: list[int], shown: list[str]) -> list[str]:
    """Typed product ids (matched to shown ids case-blind) plus the shown ids the ordinals name."""
    by_upper = {s.upper(): s for s in shown}
    ids = [by_upper.get(m.group(1).upper(), m.group(1)) for m in _USER_PRODUCT_ID.finditer(text)]
    ids = [i for i in ids if not i.upper().startswith("ORD")]
    for n in nums:
        if shown and -len(shown) <= (n - 1 if n > 0 else n) < len(shown):
            ids.append(shown[n - 1 if n > 0 else n])
    return list(dict.fromkeys(ids))
