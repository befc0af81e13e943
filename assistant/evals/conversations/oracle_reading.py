"""Reading for the conversation eval's oracle: the raw store's values (prices, ratings, stock)
and the answer as shown (its sentences, the products it names, its dates, the numbers a shopper
typed in digits or Chinese numerals, its yes/no stance). Standard library only, like the rest of
the oracle (a unit test enforces it).
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = ("january february march april may june july august september october november "
          "december").split()  # fmt: skip
_ISO = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_LONG = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? (" + "|".join(MONTHS) + r")(?:,? (\d{4}))?", re.I)
_IDTAG = re.compile(r"\b(P\d{5}|[0-9a-f]{32})\b")
_NO = re.compile(r"\b(?:no|not|cannot|can't|can no longer|don't|do not|isn't|aren't|won't|only if|unfortunately|"
                 r"passed|ended|expired|already been returned)\b", re.I)  # fmt: skip
_OPEN_YES, _OPEN_NO = re.compile(r"^\W*yes\b", re.I), re.compile(r"^\W*no\b", re.I)
_YES = re.compile(
    r"\b(?:yes|you can|we accept|we take|we do|is free|ships free|can be returned|eligible|still)\b",
    re.I,
)


# --- raw store values ----------------------------------------------------------------------------
def parse_price(text: str) -> float | None:
    text = re.sub(r"[£$€\s]|GBP", "", text or "")
    if re.fullmatch(r"\d+,\d\d", text):
        text = text.replace(",", ".")
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def parse_rating(text: str) -> float | None:
    m = re.match(r"\s*(\d+(?:\.\d+)?)", text or "")
    return float(m[1]) if m else None


def parse_stock(text: str) -> bool | None:
    text = (text or "").strip().lower()
    if not text:
        return None
    m = re.match(r"(\d[\d,]*)", text)
    return int(m[1].replace(",", "")) > 0 if m else text in ("yes", "true", "in stock")


def stock_count(text: str) -> int | None:
    m = re.match(r"\s*(\d[\d,]*)", text or "")
    return int(m[1].replace(",", "")) if m else None


# --- reading the shown answer --------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    """The text's sentences, policy citations ([file.md › Section]) removed."""
    text = re.sub(r"\[[^\]]*(?:›|\.md)[^\]]*\]", "", text or "")
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def named_products(text: str, store: dict) -> list[str]:
    """Product ids named in the text (by id or by a title of 12+ characters), in order of mention;
    a title inside a longer named title does not count."""
    low, hits = text.lower(), []
    for m in _IDTAG.finditer(text):
        hits.append((m.start(), m.end(), m[1]))
    for pid, p in store["products"].items():
        title = p["title"].lower()
        if len(title) >= 12 and (at := low.find(title)) >= 0:
            hits.append((at, at + len(title), pid))
    keep = [
        h
        for h in hits
        if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
    ]
    # a title two products share names the one the text tags by id, if it tags one of them
    tagged = {m[1] for m in _IDTAG.finditer(text)}
    spans: dict[tuple[int, int], set[str]] = {}
    for a, b, pid in keep:
        spans.setdefault((a, b), set()).add(pid)
    keep = [
        h for h in keep if len(same := spans[h[:2]]) == 1 or h[2] in tagged or not same & tagged
    ]
    return list(dict.fromkeys(pid for _, _, pid in sorted(keep)))


def dates_in(text: str, today: date) -> list[date]:
    out = [date(int(y), int(m), int(d)) for y, m, d in _ISO.findall(text)]
    for d, month, year in _LONG.findall(text):
        out.append(date(int(year or today.year), MONTHS.index(month.lower()) + 1, int(d)))
    return out


def numbers_in(texts: list[str]) -> set[float]:
    """The numbers the shopper typed, in digits or in Chinese numerals ("四星" -> 4)."""
    digits = {
        float(x.replace(",", "")) for t in texts for x in re.findall(r"\d[\d,]*(?:\.\d+)?", t)
    }
    return digits | {_zh_number(x) for t in texts for x in re.findall(f"[{_ZH_DIGITS}十百千]+", t)}


_ZH_DIGITS = "零〇一二两三四五六七八九"
_ZH_VALUE = dict(zip(_ZH_DIGITS, (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _zh_number(text: str) -> float:
    """A Chinese numeral up to the thousands ("二十五" -> 25, "两百" -> 200)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_VALUE[ch]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = 0
    return float(total + digit)


def stance(text: str) -> str | None:
    """'no' when the first sentence with a yes/no signal is negative, 'yes' when affirmative."""
    for s in sentences(text):
        if _OPEN_YES.search(s) or _OPEN_NO.search(s):
            return "yes" if _OPEN_YES.search(s) else "no"
        if _NO.search(s):
            return "no"
        if _YES.search(s):
            return "yes"
    return None
