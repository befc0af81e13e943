"""Reading a reply draft for the draft oracle: the sentences and which order each is about, and
the claims they make (statuses, dates and what they are, return and cancellation verdicts, rule
values, payment methods). Standard library only, like the oracle that uses it.
"""

from __future__ import annotations

import re
from datetime import date

from assistant.evals.conversations.oracle import MONTHS

STATUSES = ("placed", "processing", "shipped", "delivered", "cancelled", "returned")
OPEN = ("placed", "processing", "shipped")
LIFECYCLE = ("placed", "processing", "shipped", "delivered")

ORDER_ID = re.compile(r"\bORD-\d+\b", re.I)
TITLE = re.compile(r"\[\[(\w+)\]\]")  # a product title, as `clean` tags it
AMOUNT = re.compile(r"£\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d+\.\d\d)\b")
DENIAL = re.compile(r"\bno order\b|not (?:on|in|linked to|associated with) your account|"
                    r"(?:can't|cannot|could not|couldn't) find|no record", re.I)  # fmt: skip
LATE = re.compile(r"\b(?<!too )(?:late|overdue|delayed)\b", re.I)
ON_TIME = re.compile(r"\bon (?:time|track|schedule)\b", re.I)
REFERS = re.compile(
    r"\[\[\w+\]\]|\bORD-\d+|\b(?:it|this|these|them|your (?:order|item|purchase))\b", re.I
)
SPAN = re.compile(r"\b(\d+)\s*(?:-|–|to)\s*(\d+)\s+(?:business|working)\s+days?\b", re.I)
WINDOW = re.compile(r"\b(\d+)[- ]days? (?:return |returns )?(?:window|period)\b|"
                    r"\bwithin (\d+) days of (?:delivery|receiving|receipt)\b", re.I)  # fmt: skip
REFUND_WORDS = re.compile(r"refund|money back|reimburs", re.I)
SHIP_WORDS = re.compile(r"deliver|ship|arriv|dispatch", re.I)
PAY_SENTENCE = re.compile(r"\baccept|\btake\b|\bpay (?:with|by|using)\b|\bpayment (?:method|option)s?\b|"
                          r"\bwe support\b|\buse\b", re.I)  # fmt: skip
NEGATED = re.compile(r"\b(?:not|don't|do not|doesn't|does not|cannot|can't|no longer)\b", re.I)
LEAD = re.compile(r"^\W*(yes|no)\b", re.I)
TICKET = re.compile(r"\bticket\s*(?:#|no\.?|number)?\s*:?\s*#?(\d+)", re.I)
HUMAN = re.compile(r"\bmember of (?:our|the) (?:[\w-]+ )*team\b|\b(?:our|the) (?:[\w-]+ )*team (?:will|is|can|has)\b|"
                   r"\bcolleague|\bone of our (?:[\w-]+ )*(?:agents|advisors|advisers|team|specialists)\b|"
                   r"\bI(?:'m| am) (?:a|an|one of|from)\b[^.]*\b(?:agent|advisor|adviser|team|support|service)|"
                   r"\bticket\s*#?\d+|\byou(?:'re| are) (?:now )?(?:talking|speaking|chatting) (?:to|with)\b|"
                   r"\b(?:pass|hand|transferr?)\w* (?:\w+ ){0,3}(?:on|over|to) (?:a|an|our|the) (?:[\w-]+ )*"
                   r"(?:team|colleague|agent|specialist|person)", re.I)  # fmt: skip
CANT = re.compile(r"\b(?:can't|cannot|unable|not able|no (?:human|agent|person))\b", re.I)

_MON = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
        r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")  # fmt: skip
_DATES = (re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b"),  # (year, month, day) group order per pattern
          re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _MON + r"\b(?:,? (\d{4}))?", re.I),
          re.compile(r"\b" + _MON + r" (\d{1,2})(?:st|nd|rd|th)?\b(?:,? (\d{4}))?", re.I))  # fmt: skip
_YMD = ((0, 1, 2), (2, 1, 0), (2, 0, 1))
_ROLES = {"eta": r"expect\w*|estimated|due|arriv(?:e|es|ing)|eta|between|be delivered|reach you",
          "delivered": r"delivered|arrived",
          "ordered": r"ordered|placed|bought|purchased",
          "return": r"until|ended|expired|window|deadline|return\w*|send it back|last day"}  # fmt: skip
_ROLE = re.compile("|".join(f"(?P<{k}>\\b(?:{v})\\b)" for k, v in _ROLES.items()), re.I)
_AND = re.compile(r"^\s*(?:and|to|-|–|or)\s*$", re.I)
_STATE = {"delivered": r"delivered|arrived",
          "shipped": r"shipped|dispatched|on (?:its|the) way|in transit|out for delivery",
          "processing": r"processing|being (?:packed|prepared|picked)", "placed": r"placed",
          "cancelled": r"cancell?ed", "returned": r"returned"}  # fmt: skip
_STATE_WORD = {k: re.compile(rf"^(?:{v})$", re.I) for k, v in _STATE.items()}
_CLAIM = re.compile(r"\b(is|are|was|were|has|have|had)(n't| not)?((?: (?:yet|already|now|still|just|been|currently))*) ("
                    + "|".join(_STATE.values()) + r")\b|\bstatus(?: is|:) (\w+)", re.I)  # fmt: skip
_CONDITION = re.compile(
    r"\b(?:once|if|when|after|until|before|while|as long as|unless)\b[^,;:]*$", re.I
)
_DEFINITION = re.compile(r"^\W*(?:" + "|".join(STATUSES) + r")\s*:", re.I)
_RETURN = re.compile(r"\breturn(?:s|ed|able|ing)?\b|\bsend (?:it|them|this) back\b", re.I)
_ONLY_RETURNED = re.compile(r"\b(?:been|was|were) returned\b", re.I)
_ELIGIBLE = (("conditional", re.compile(r"unopened|sealed|only if (?:it|they) (?:is|are) not opened", re.I)),
             ("no", re.compile(r"\b(?:cannot|can't|can not|can no longer|no longer|not eligible|isn't eligible|too late|"
                               r"not (?:yet )?be returned|(?:window|period) (?:has )?(?:ended|expired|closed|passed))\b|"
                               r"^\W*no\b", re.I)),
             ("yes", re.compile(r"\b(?:can be returned|can (?:still )?return|can still be returned|is eligible|"
                                r"are eligible|returnable|you can send|accept (?:the|your|a) return)\b|^\W*yes\b", re.I)))  # fmt: skip
_CANCEL_RULE = re.compile(
    r"\bcancel\w*\b[^.;]*?\b(while|as long as|if|when|until|before)\b([^.;]*)", re.I
)
_CANCEL_NO = re.compile(r"\b(?:can no longer|cannot|can't|can not|no longer|unable to|too late to)\b[^.;]*\bcancel|"
                        r"\bnot (?:be )?cancell?able\b", re.I)  # fmt: skip
_CANCEL_YES = re.compile(r"\bcan (?:still )?(?:be )?cancel|\bis cancell?able\b|\byou can cancel\b|"
                         r"\bable to cancel\b", re.I)  # fmt: skip


def clean(text: str, products: dict) -> str:
    """The draft without policy citations, each product title replaced by [[its product id]]
    (so a title's words and digits are not read as claims)."""
    text = re.sub(r"\[[^\]]*(?:›|\.md)[^\]]*\]|\(Source:[^)]*\)", "", text or "")
    low = text.lower()
    for pid, p in sorted(products.items(), key=lambda kv: -len(kv[1]["title"])):
        title = p["title"].lower()
        while len(title) >= 8 and (at := low.find(title)) >= 0:
            tag, end = f"[[{pid}]]", at + len(title)
            text, low = text[:at] + tag + text[end:], low[:at] + tag.lower() + low[end:]
    return text


def segments(text: str, first: str | None) -> list[tuple[str | None, str]]:
    """(the order id the words are about, the words) per sentence, split where a sentence names
    several orders; a sentence naming none is about the order named last (at first: `first`)."""
    out, current = [], first
    for s in (x.strip() for x in re.split(r"(?<=[.!?])\s+|\n+", text)):
        if not s:
            continue
        ids = list(ORDER_ID.finditer(s))
        if len({m[0].upper() for m in ids}) <= 1:
            current = ids[0][0].upper() if ids else current
            out.append((current, s))
            continue
        cuts = [0] + [m.start() for m in ids[1:]] + [len(s)]
        out += [(m[0].upper(), s[a:b]) for m, a, b in zip(ids, cuts, cuts[1:], strict=False)]
        current = ids[-1][0].upper()
    return out


def dates_at(text: str, today: date) -> list[tuple[date, int, int]]:
    """(date, start, end) of every date written ISO, "4 November" or "November 4th, 2026"."""
    found: list[tuple[date, int, int]] = []
    for pattern, order in zip(_DATES, _YMD, strict=True):
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for _, a, b in found):
                continue
            y, mo, d = (m.groups()[i] for i in order)
            month = (
                int(mo)
                if mo.isdigit()
                else next(i for i, x in enumerate(MONTHS, 1) if x[:3] == mo.lower()[:3])
            )
            try:
                found.append((date(int(y or today.year), month, int(d)), m.start(), m.end()))
            except ValueError:
                continue
    return sorted(found, key=lambda x: x[1])


def dated(s: str, today: date) -> list[tuple[date, str]]:
    """Each date in the sentence with what it is: 'ordered', 'delivered', 'eta', 'return' (the
    last role word before it; "between X and Y" shares X's), else 'any'."""
    out, previous, last_end = [], "", 0
    for d, a, b in dates_at(s, today):
        before = s[last_end:a]
        if previous and _AND.match(before):
            role = previous
        else:
            hits = sorted(_ROLE.finditer(before), key=lambda m: (m.end(), -m.start()))
            role = hits[-1].lastgroup if hits else "any"
        out.append((d, role))
        previous, last_end = role, b
    return out


def status_claims(s: str) -> list[tuple[str, set[str]]]:
    """(what is said, the statuses that make it true) per status claim ("is processing", "was
    delivered", "is not delivered yet"), skipping conditions ("once it has shipped") and
    definitions ("Shipped: it is on its way")."""
    if _DEFINITION.match(s):
        return []
    out = []
    for m in _CLAIM.finditer(s):
        if _CONDITION.search(s[: m.start()]):
            continue
        verb, neg, fill, word = m[1] or "is", m[2], m[3] or "", m[4] or m[5]
        said = next((k for k, rx in _STATE_WORD.items() if rx.match(word)), None)
        if said is None:
            continue
        present = verb.lower() in ("is", "are") and "been" not in fill
        true = {"delivered": {"delivered", "returned"}, "processing": {"processing"},
                "cancelled": {"cancelled"}, "returned": {"returned"},
                "shipped": {"shipped"} if present else {"shipped", "delivered", "returned"},
                "placed": {"placed"} if present else set(STATUSES)}[said]  # fmt: skip
        out.append((f"not {said}", set(STATUSES) - true) if neg else (said, true))
    return out


def eligibility(s: str) -> str | None:
    """The return verdict a sentence gives: 'yes', 'no', 'conditional' (only unopened) or None."""
    if not _RETURN.search(_ONLY_RETURNED.sub("", s)):
        return None
    return next((k for k, rx in _ELIGIBLE if rx.search(s)), None)


def cancel_said(s: str) -> str | None:
    """'yes' / 'no' for "can (no longer) be cancelled" about one order."""
    return "no" if _CANCEL_NO.search(s) else "yes" if _CANCEL_YES.search(s) else None


def cancel_rule(s: str, allowed: list[str]) -> tuple[bool, bool] | None:
    """For a sentence stating when orders can be cancelled ("while it is placed or processing",
    "until it ships"): (true, the whole rule); None for any other sentence."""
    m = _CANCEL_RULE.search(s)
    if not m:
        return None
    clause = re.sub(r"\bships?\b|\bdispatched\b", "shipped", m[2], flags=re.I).lower()
    named = [x for x in LIFECYCLE if re.search(rf"\b{x}\b", clause)]
    if not named:
        return None
    if m[1].lower() in ("until", "before"):
        ok = named[0] not in allowed and all(
            x in allowed for x in LIFECYCLE[: LIFECYCLE.index(named[0])]
        )
        return ok, ok
    ok = set(named) <= set(allowed)
    return ok, ok and set(named) == set(allowed)


def named_methods(text: str, accepted: dict[str, bool]) -> list[tuple[str, bool]]:
    """Payment methods named in `text` (longest names first): (name, whether the store takes it)."""
    found, low = [], text.lower()
    for name, ok in sorted(accepted.items(), key=lambda x: -len(x[0])):
        if m := re.search(rf"\b{name}\b", low):
            found.append((name, ok))
            low = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end() :]
    return found
