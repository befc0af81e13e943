"""The checks one model sentence must pass against a turn's evidence (`SentenceChecks.check`).

- every tag must be in the evidence; an unknown id or a half-written tag fails the sentence;
- a product title written without its tag counts as citing it when it is in the evidence and
  fails the sentence when it is not (an item shown earlier that no longer qualifies);
- every money amount must be the price of an item the sentence cites or a number code decided
  (budget, difference); ratings must be the cited item's rating; other numbers (days, sizes,
  dates) must appear in the evidence;
- superlatives ("cheapest", "best rated", "most expensive") must name the item code found;
- order ids must be this user's; template placeholders ({{Order Number}}), prompt headers and
  pieces of the system prompt never pass.
"""

from __future__ import annotations

from assistant.prompts import Evidence, evidence_block, item_line, system_prompts
from retrieval import textre

TAG = textre.compile(r"\[([^\[\]\n]{1,60})\]")
ORDER = textre.compile(r"\bORD-?\d+\b", textre.I)
_OPEN_TAG = textre.compile(r"\[[^\]]*$")
_MONEY = textre.compile(
    r"(?:[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?))|(?:(\d[\d,]*(?:\.\d{1,2})?)\s?(?:GBP|USD|EUR|pounds?)\b)"
)
_RATING = textre.compile(
    r"(?:rated|rating(?: of)?)\s+(\d(?:\.\d)?)|(\d(?:\.\d)?)\s*(?:/\s*5|stars?|out of 5)", textre.I
)
_NUMBER = textre.compile(r"\d+(?:[.,:/-]\d+)*")
_HEADER = textre.compile(
    r"^\s*(?:ITEMS|FACTS|POLICY|ORDERS|QUESTION|TICKET|PERSONALITY)\b\s*:?", textre.I
)
_SUPERLATIVE = {
    "cheapest": textre.compile(r"\b(?:cheapest|least expensive|lowest[- ]priced|lowest price|most affordable)\b", textre.I),
    "dearest": textre.compile(r"\b(?:most expensive|priciest|dearest|highest price)\b", textre.I),
    "best_rated": textre.compile(r"\b(?:best[- ]rated|highest[- ]rated|top[- ]rated|best reviewed)\b", textre.I),
}  # fmt: skip
_LETTERS = textre.compile(r"[a-z]+")
_CONTENT = textre.compile(r"[a-z]{3,}")
_DIGIT = textre.compile(r"\d")


def _num(text: str) -> str:
    """A number in canonical form: '1,299.00' → '1299', '4.50' → '4.5'."""
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return text
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _shingles(text: str, n: int = 6) -> set[str]:
    words = _LETTERS.findall(text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


_STOP = frozenset(
    "the and for with that this your you are our from have has was were will can not but "
    "its it's they them their there here what which when where who how all any also into "
    "than then just very more most some such only".split()
)


def _content_words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _CONTENT.findall(text.lower()) if w not in _STOP}


_LEAK = set().union(*(_shingles(p.format(shop="")) for p in system_prompts()))


class SentenceChecks:
    """The evidence of one turn, indexed for checking sentences: items by tag and id, policies,
    titles the model could have seen, the superlatives code decided and the numbers anyone may
    state."""

    def __init__(
        self,
        ev: Evidence,
        known_titles: dict[str, str] | None = None,
        superlatives: dict[str, str] | None = None,
        numbers: bool = True,
    ) -> None:
        self.ev = ev
        self.allow_numbers = numbers  # False: the code-written lead states every number
        self.items = {f"P{i + 1}": item for i, item in enumerate(ev.items)}
        self.by_id = {item["product_id"].upper(): tag for tag, item in self.items.items()}
        self.policies = {f"S{i + 1}": p for i, p in enumerate(ev.policies)}
        self.policy_by_id = {p["id"].lower(): tag for tag, p in self.policies.items()}
        # title (lower) -> product id, for items the model could have seen (evidence, shown before)
        self.titles = {t.lower(): pid for t, pid in (known_titles or {}).items() if len(t) >= 12}
        self.titles.update({i["title"].lower(): i["product_id"] for i in ev.items})
        self.superlatives = superlatives or {}  # kind -> product id code decided
        self.orders = {o["order_id"].upper() for o in ev.orders}
        self.numbers, self.item_numbers = self._evidence_numbers()
        self._prices = self._item_money()
        self.words = _content_words(evidence_block(ev))

    def _evidence_numbers(self) -> tuple[set[str], dict[str, set[str]]]:
        """Numbers anyone may state (facts about no item, orders, policies) and those per item.

        A sentence citing items may only state those items' numbers (and the general ones), so
        "[P2] costs £13.49" fails when £13.49 is [P1]'s price.
        """
        general: set[str] = set()
        per_item: dict[str, set[str]] = {}
        for tag, item in self.items.items():
            line = TAG.sub(" ", item_line(tag, item))  # the tag's own digit is no claim
            per_item[item["product_id"]] = {_num(n) for n in _NUMBER.findall(line)}
        for fact in self.ev.facts:
            nums = {_num(n) for n in _NUMBER.findall(TAG.sub(" ", str(fact)))}
            tags = [t for t in fact.tags if t in self.items]
            for t in tags:
                per_item[self.items[t]["product_id"]] |= nums
            if not tags:
                general |= nums
        rest = Evidence("", orders=self.ev.orders, policies=self.ev.policies)
        general |= {_num(n) for n in _NUMBER.findall(TAG.sub(" ", evidence_block(rest)))}
        return general, per_item

    def _item_money(self) -> dict[str, set[str]]:
        """Amounts of money a sentence may state about each item: the amounts its evidence line
        states as money (its price, its reasons); a number in its title or rating is no price."""
        out = {}
        for tag, i in self.items.items():  # the evidence line: price, "within your £20 budget"
            line = TAG.sub(" ", item_line(tag, i))
            out[i["product_id"]] = {_num(m.group(1) or m.group(2)) for m in _MONEY.finditer(line)}
        return out

    def _fact_money(self, cited: list[str]) -> set[str]:
        """Amounts of the decided facts about items, for a sentence that cites every item the
        fact is about ("[P1] is £5.00 cheaper than [P2]" needs both [P1] and [P2])."""
        out: set[str] = set()
        for fact in self.ev.facts:
            tags = set(fact.tags) & set(self.items)
            if tags and {self.items[t]["product_id"] for t in tags} <= set(cited):
                out |= {_num(m.group(1) or m.group(2)) for m in _MONEY.finditer(str(fact))}
        return out

    def check(self, s: str) -> tuple[str | None, list[str], list[str]]:
        """(why the sentence cannot be shown, None when it can; the product ids and policy ids
        it cites)."""
        if "{{" in s or "}}" in s:
            return "template placeholder", [], []
        if _HEADER.match(s) or s.endswith(":"):
            return "prompt structure", [], []
        if _shingles(s) & _LEAK:
            return "system prompt", [], []
        if _OPEN_TAG.search(s):
            return "unfinished tag", [], []
        items, policies, reason = self.tags(s)
        if reason is None:
            reason = self._claims(s, items, policies)
        return reason, items, policies

    def _claims(self, s: str, items: list[str], policies: list[str]) -> str | None:
        """Why the names, orders, numbers and superlatives of a sentence with well-formed tags
        fail (None: they pass); adds the items it names by title to `items`."""
        if not self.allow_numbers and _DIGIT.search(ORDER.sub(" ", TAG.sub(" ", s))):
            return "numbers here come only from the decided facts"
        low = s.lower()
        for title, pid in self.titles.items():
            if title in low and pid not in items:
                if pid.upper() not in self.by_id:
                    return f"names {pid}, which is not in the evidence"
                items.append(pid)
        orders_named = ORDER.findall(s)
        for order in orders_named:
            if order.upper().replace("ORD", "ORD-").replace("--", "-") not in self.orders:
                return f"order {order} is not this customer's"
        if not (items or policies or orders_named) and self.ev.task != "small_talk":
            if self.ev.task in ("recommend", "search", "compare"):
                return "cites no item"
            if not self._supported(s):
                return "not supported by the evidence"
        return self._numbers(s, items) or self._superlative(s, items)

    def tags(self, s: str) -> tuple[list[str], list[str], str | None]:
        items: list[str] = []
        policies: list[str] = []
        for m in TAG.finditer(s):
            tag = m.group(1).strip()
            key = tag.upper()
            if key in self.items:
                items.append(self.items[key]["product_id"])
            elif key in self.by_id:
                items.append(self.items[self.by_id[key]]["product_id"])
            elif key in self.policies:
                policies.append(self.policies[key]["id"])
            elif tag.lower() in self.policy_by_id:
                policies.append(tag.lower())
            elif ORDER.fullmatch(tag) and tag.upper() in self.orders:
                continue
            else:
                return items, policies, f"unknown id [{tag}]"
        return items, policies, None

    def _numbers(self, s: str, items: list[str]) -> str | None:
        """Numbers after an item's tag must be that item's; before any tag, any cited item's."""
        for segment, owner in self._segments(s, items):
            pool = (items or list(self.item_numbers)) if owner is None else [owner]
            allowed = set(self.numbers).union(*(self.item_numbers[p] for p in pool))
            # an amount of money must be a price (a number in a title or a rating is no price)
            money = set(self.numbers).union(*(self._prices.get(p, set()) for p in pool))
            money |= self._fact_money(items)
            if owner is not None:
                for title, pid in self.titles.items():
                    if pid != owner and title in segment.lower() and pid.upper() in self.by_id:
                        return f"the text after [{owner}] names another item"
            reason = self._segment_numbers(segment, allowed, money)
            if reason:
                return reason
        return self._other_items_price(s, items)

    def _other_items_price(self, s: str, cited: list[str]) -> str | None:
        """A price of an item the sentence does not cite (and no cited item shares) is a claim
        about that item: "[P1] is cheaper against £288.99" must name what costs £288.99."""
        own = set().union(*(self._prices.get(p, set()) for p in cited)) if cited else set()
        others = {a for pid, prices in self._prices.items() if pid not in cited for a in prices}
        for m in _MONEY.finditer(TAG.sub(" ", s)):
            amount = _num(m.group(1) or m.group(2))
            if amount in others - own:
                return f"price {m.group(0).strip()} belongs to an item the sentence does not name"
        return None

    def _segments(self, s: str, items: list[str]) -> list[tuple[str, str | None]]:
        """(text, item it follows) pieces of a sentence, split at item tags."""
        out: list[tuple[str, str | None]] = []
        last, owner = 0, None
        for m in TAG.finditer(s):
            key = m.group(1).strip().upper()
            tag = key if key in self.items else self.by_id.get(key)
            if tag is None:
                continue
            out.append((s[last : m.start()], owner))
            last, owner = m.end(), self.items[tag]["product_id"]
        out.append((s[last:], owner))
        return out

    @staticmethod
    def _segment_numbers(text: str, allowed: set[str], money: set[str]) -> str | None:
        text = TAG.sub(" ", text)
        for m in _MONEY.finditer(text):
            if _num(m.group(1) or m.group(2)) not in money:
                return f"price {m.group(0).strip()} is not in the evidence for what it cites"
        for m in _RATING.finditer(text):
            if _num(m.group(1) or m.group(2)) not in allowed:
                return f"rating {m.group(0).strip()} is not in the evidence for what it cites"
        for n in _NUMBER.findall(ORDER.sub(" ", text)):
            if _num(n) not in allowed:
                return f"number {n} is not in the evidence for what it cites"
        return None

    def _supported(self, s: str) -> bool:
        """An uncited sentence must mostly use the evidence's own words."""
        words = _content_words(s)
        return len(words) <= 2 or len(words & self.words) >= 0.6 * len(words)

    def _superlative(self, s: str, items: list[str]) -> str | None:
        for kind, pattern in _SUPERLATIVE.items():
            if pattern.search(s) and items:
                truth = self.superlatives.get(kind)
                if truth is None or truth not in items:
                    return f"'{pattern.search(s).group(0)}' does not match the evidence"  # type: ignore[union-attr]
        return None
