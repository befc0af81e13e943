"""Values in Chinese messages, read by exact validators into the English the rest of the turn reads.

An amount with its bound and currency ("五十英镑以下" -> "under £50"; 元 -> "¥", read in the
store's currency with a note), a rating ("4分以上" -> "rated 4 or more"), a stated time span
("十天前" -> "10 days ago"), an age, a count or an ordinal ("前两个" -> "the first 2"). Numerals,
Chinese or not, are read by cn2an. The word lists here are closed grammatical sets (bounds,
currencies, time units, measure words), the Chinese counterparts of `retrieval.search.query`'s
English patterns; which words name a product or an intent is left to the learned parts.
"""

from __future__ import annotations

import unicodedata

from retrieval import textre

NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万点]+)"
CL = r"(?:个|款|件|双|条|台|本|种|样|只|套|盒|把|张|瓶|支|位)"
_PRICE = textre.compile(
    r"(?P<pre>不超过|不高于|不多于|不大于|最多|至多|低于|少于|小于|不到|至少|最少|不低于|不少于|"
    r"高于|超过|多于|大于|预算(?:是|为|在|有)?)?\s*(?P<sym>[£$€¥￥])?\s*"
    rf"(?P<num>{NUM})\s*(?P<cur>英镑|镑|美元|美金|欧元|元|块钱|块|人民币|RMB|rmb|GBP|gbp)?\s*"
    r"(?P<post>以下|之下|以内|之内|以上|之上|内|左右)?"
)
_RATING = textre.compile(
    r"(?P<pre>至少|最少|不低于|评分|评价|评级|星级|好评)?\s*(?:在|是|为)?\s*"
    rf"(?P<num>{NUM})\s*(?P<unit>分|星|颗星)?\s*(?P<post>及以上|或以上|以上|或更高)?"
)
_SPAN = textre.compile(
    rf"(?P<num>{NUM})\s*(?:个)?\s*(?P<unit>天|日|周|星期|礼拜|月)\s*(?P<tail>以前|之前|前|了)"
)
_FIXED_SPAN = textre.compile(r"(昨天|前天|上周|上星期|上个星期|上礼拜|上个月|上月)")
_FIXED = {"昨天": "yesterday", "前天": "2 days ago", "上周": "last week", "上星期": "last week",
          "上个星期": "last week", "上礼拜": "last week", "上个月": "last month",
          "上月": "last month"}  # fmt: skip
_AGE = textre.compile(rf"(?P<num>{NUM})\s*(?:周岁|岁)(?P<post>以下|以上)?")
_ORDINAL = textre.compile(rf"(?P<kind>前|第)\s*(?P<num>{NUM})\s*{CL}?")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")  # fmt: skip
_UNIT = {"天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month"}
_BOUND = {"低于": "under", "少于": "under", "小于": "under", "不到": "under", "以下": "under",
          "之下": "under", "不超过": "up to", "不高于": "up to", "不多于": "up to",
          "不大于": "up to", "最多": "up to", "至多": "up to", "以内": "up to", "之内": "up to",
          "内": "up to", "至少": "at least", "最少": "at least", "不低于": "at least",
          "不少于": "at least", "高于": "over", "超过": "over", "多于": "over", "大于": "over",
          "以上": "over", "之上": "over", "左右": "around"}  # fmt: skip
_SYMBOL = {"£": "£", "$": "$", "€": "€", "¥": "yuan", "￥": "yuan", "英镑": "£", "镑": "£",
           "GBP": "£", "gbp": "£", "美元": "$", "美金": "$", "欧元": "€", "元": "yuan",
           "块钱": "yuan", "块": "yuan", "人民币": "yuan", "RMB": "yuan", "rmb": "yuan"}  # fmt: skip
MARK = "\x00"  # wraps English already written, so later steps leave it alone


def number(text: str) -> float | None:
    """A numeral, Arabic or Chinese ("两百" -> 200.0, "4.5" -> 4.5); None when it is none."""
    import cn2an

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def fmt(value: float) -> str:
    return f"{value:g}"


def value_phrases(text: str) -> list[str]:
    """The English of each value construction in `text`, in order ("两百元以下的耳机，4分以上"
    -> ["under ¥200", "rated 4 or more"])."""
    return mark_values(text).split(MARK)[1::2]


def mark_values(text: str) -> str:
    """`text` (NFKC-normalised) with each value construction replaced by its marked English."""
    marked = unicodedata.normalize("NFKC", text)
    for pattern, render in (
        (_SPAN, _span), (_FIXED_SPAN, lambda m: _FIXED[m.group(1)]), (_AGE, _age),
        (_RATING, _rating), (_PRICE, _price), (_ORDINAL, _ordinal),
    ):  # fmt: skip
        marked = _rewrite(marked, pattern, render)
    return marked


def _rewrite(text: str, pattern, render) -> str:
    """`pattern`'s matches in the Chinese parts of `text` replaced by their marked English
    (`render(match)` -> English, or None to leave the match as it was)."""
    parts = text.split(MARK)
    for k in range(0, len(parts), 2):
        out, last = [], 0
        for m in pattern.finditer(parts[k]):
            if m.end() == m.start():
                continue
            english = render(m)
            if english is None:
                continue
            out.append(parts[k][last : m.start()])
            out.append(f" {MARK}{english}{MARK} ")
            last = m.end()
        parts[k] = "".join(out) + parts[k][last:]
    return MARK.join(parts)


def _span(m) -> str | None:
    n = number(m.group("num"))
    if n is None:
        return None
    unit = _UNIT[m.group("unit")]
    return f"{fmt(n)} {unit}{'s' if n != 1 else ''} ago"


def _age(m) -> str | None:
    n = number(m.group("num"))
    if n is None:
        return None
    bound = {"以下": "under ", "以上": "over "}.get(m.group("post") or "", "")
    return f"{bound}{fmt(n)} years old"


def _rating(m) -> str | None:
    """A rating needs a unit (分/星) or a rating word, a bound, and a value of 5 or less."""
    n = number(m.group("num"))
    pre, unit, post = m.group("pre"), m.group("unit"), m.group("post")
    if n is None or n > 5 or not (unit or pre in ("评分", "评价", "评级", "星级", "好评")):
        return None
    if not (post or pre in ("至少", "最少", "不低于")):
        return None
    return f"rated {fmt(n)} or more"


def _price(m) -> str | None:
    """An amount needs a currency or a bound; 块 (also "a piece") only with a bound."""
    pre, sym, cur, post = m.group("pre"), m.group("sym"), m.group("cur"), m.group("post")
    n = number(m.group("num"))
    if n is None or not (pre or sym or cur or post):
        return None
    if cur == "块" and not (pre or post):
        return None
    money = _SYMBOL.get(cur or sym or "", "")
    amount = f"¥{fmt(n)}" if money == "yuan" else f"{money}{fmt(n)}"
    bound = _BOUND.get(pre or "") or _BOUND.get(post or "")
    if pre and pre.startswith("预算"):
        bound = "up to"
    return f"{bound} {amount}" if bound else amount


def _ordinal(m) -> str | None:
    n = number(m.group("num"))
    if n is None or n != int(n) or not 1 <= n <= len(_ORDINALS):
        return None
    if m.group("kind") == "前":
        return f"the first {fmt(n)}" if n > 1 else "the first one"
    return f"the {_ORDINALS[int(n) - 1]} one"
