"""Grounding: keep only what the evidence supports, render names and prices from the store.

The model cites items by short tags ([P1], [P2] … in the prompt) and policy sections by [S1] ….
Code checks each sentence as it completes (so a streamed sentence is never taken back):
- every tag must be in the evidence; an unknown id or a half-written tag drops the sentence;
- a product title written without its tag counts as citing it when it is in the evidence and
  drops the sentence when it is not (an item shown earlier that no longer qualifies);
- every money amount must be the price of an item the sentence cites or a number code decided
  (budget, difference); ratings must be the cited item's rating; other numbers (days, sizes,
  dates) must appear in the evidence;
- superlatives ("cheapest", "best rated", "most expensive") must name the item code found;
- order ids must be this user's; template placeholders ({{Order Number}}), prompt headers and
  pieces of the system prompt never pass; repeated sentences are dropped.
Kept sentences are rendered: tags become real ids ([P00012]) with the store's title and price.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.prompts import Evidence, evidence_block, item_line, price_text, system_prompts
from retrieval import textre

_TAG = textre.compile(r"\[([^\[\]\n]{1,60})\]")
_OPEN_TAG = textre.compile(r"\[[^\]]*$")
# A sentence that opens with an item's tag, after at most five harmless lead-in words ("Take a
# look at [P1]", "There is also [P2]"): the item is named at once (see Grounder.feed).
_LEADING_TAG = textre.compile(
    r"^\s*[-*•]?\s*(?P<lead>(?:[A-Za-z']+,?\s+){0,5})\[(?P<tag>P\d+)\]", textre.I
)
_LEAD_WORDS = frozenset(
    "a also and another at check consider could for great here here's how i i'd i'm is like "
    "look love maybe might nice option or out perhaps pick recommend suggest take the there "
    "there's try we we've what would you you'd you'll you're".split()
)
_MONEY = textre.compile(
    r"(?:[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?))|(?:(\d[\d,]*(?:\.\d{1,2})?)\s?(?:GBP|USD|EUR|pounds?)\b)"
)
_RATING = textre.compile(
    r"(?:rated|rating(?: of)?)\s+(\d(?:\.\d)?)|(\d(?:\.\d)?)\s*(?:/\s*5|stars?|out of 5)", textre.I
)
_NUMBER = textre.compile(r"\d+(?:[.,:/-]\d+)*")
_ORDER = textre.compile(r"\bORD-?\d+\b", textre.I)
_HEADER = textre.compile(
    r"^\s*(?:ITEMS|FACTS|POLICY|ORDERS|QUESTION|TICKET|PERSONALITY)\b\s*:?", textre.I
)
# Sentences end at spaces after .!? before a capital, tag, quote or bracket, and at newlines: what
# `(?<=[.!?])\s+(?=[A-Z\["'(])|\n+` split in `re` (see textre.split_at).
_SENTENCE_END = textre.compile(r"[.!?](\s+)[A-Z\[\"'(]|\n+")
_SUPERLATIVE = {
    "cheapest": textre.compile(r"\b(?:cheapest|least expensive|lowest[- ]priced|lowest price|most affordable)\b", textre.I),
    "dearest": textre.compile(r"\b(?:most expensive|priciest|dearest|highest price)\b", textre.I),
    "best_rated": textre.compile(r"\b(?:best[- ]rated|highest[- ]rated|top[- ]rated|best reviewed)\b", textre.I),
}  # fmt: skip
_LETTERS = textre.compile(r"[a-z]+")
_CONTENT = textre.compile(r"[a-z]{3,}")
_NON_WORD = textre.compile(r"\W+")
_CLOSED = textre.compile(r"[.!?)\]]$")
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


@dataclass
class GroundedText:
    """What survived grounding, in order, and why the rest did not."""

    sentences: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)  # real product ids, first mention first
    policy_ids: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)
    passed: int = 0  # model sentences that passed every check (not counting early name lines)

    @property
    def text(self) -> str:
        return "\n".join(self.sentences)


class Grounder:
    """Checks and renders model text against one turn's evidence; feed it streamed pieces."""

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
        self.out = GroundedText()
        self._rendered: set[str] = set()
        self._seen: set[str] = set()
        self._buffer = ""
        self._prefix: tuple[dict, str] | None = None  # an item named early in the open sentence

    def _evidence_numbers(self) -> tuple[set[str], dict[str, set[str]]]:
        """Numbers anyone may state (facts about no item, orders, policies) and those per item.

        A sentence citing items may only state those items' numbers (and the general ones), so
        "[P2] costs £13.49" fails when £13.49 is [P1]'s price.
        """
        general: set[str] = set()
        per_item: dict[str, set[str]] = {}
        for tag, item in self.items.items():
            line = _TAG.sub(" ", item_line(tag, item))  # the tag's own digit is no claim
            per_item[item["product_id"]] = {_num(n) for n in _NUMBER.findall(line)}
        for fact in self.ev.facts:
            nums = {_num(n) for n in _NUMBER.findall(_TAG.sub(" ", str(fact)))}
            tags = [t for t in fact.tags if t in self.items]
            for t in tags:
                per_item[self.items[t]["product_id"]] |= nums
            if not tags:
                general |= nums
        rest = Evidence("", orders=self.ev.orders, policies=self.ev.policies)
        general |= {_num(n) for n in _NUMBER.findall(_TAG.sub(" ", evidence_block(rest)))}
        return general, per_item

    def _item_money(self) -> dict[str, set[str]]:
        """Amounts of money a sentence may state about each item: the amounts its evidence line
        states as money (its price, its reasons); a number in its title or rating is no price."""
        out = {}
        for tag, i in self.items.items():  # the evidence line: price, "within your £20 budget"
            line = _TAG.sub(" ", item_line(tag, i))
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

    def lead(self, text: str) -> str:
        """Render the code-written lead (decided facts: true by construction) and remember what
        it names, so the model's words after it neither repeat it nor need to name it again."""
        for sentence in textre.split_at(_SENTENCE_END, text):
            self._seen.add(_NON_WORD.sub(" ", sentence.lower()).strip())
        items, policies, _ = self._tags(text)
        for pid in items:
            if pid not in self.out.item_ids:
                self.out.item_ids.append(pid)
        for p in self.ev.policies:  # a lead cites sections as "[file › section]"
            if f"[{p['file']} › {p['section'].split(' > ')[-1]}]" in text:
                policies.append(p["id"])
        self.out.policy_ids += [p for p in policies if p not in self.out.policy_ids]
        self.out.order_ids += [o.upper() for o in _ORDER.findall(text)]
        rendered = self._render(text)
        self.out.sentences.append(rendered)
        return rendered

    # --- streaming -------------------------------------------------------------------------
    def feed(self, piece: str) -> list[str]:
        """Add streamed text; returns display pieces: each completed sentence ends with a newline.

        Early start: when a sentence opens with the tag of an item not yet named, the item's name
        and price (rendered by code, true whatever follows) are shown at once; the rest of the
        sentence follows when it completes and passes the checks, else the line just ends.
        """
        self._buffer += piece
        parts = textre.split_at(_SENTENCE_END, self._buffer)
        self._buffer = parts.pop()
        out = [p for part in parts for p in self._complete(part)]
        early = self._early_prefix()
        return [*out, early] if early else out

    def finish(self) -> list[str]:
        """Flush the last piece: kept only if it is a whole sentence (not cut by max_tokens)."""
        rest, self._buffer = self._buffer.strip(), ""
        if rest and not _CLOSED.search(rest) and len(rest.split()) < 5:
            self.out.dropped.append((rest, "unfinished"))
            rest = ""
        if not rest:
            return self._complete("") if self._prefix else []
        return self._complete(rest)

    def discard(self) -> None:
        """Forget the unfinished sentence (the stream broke off)."""
        self._buffer = ""

    def ground(self, text: str) -> GroundedText:
        """Ground a whole answer at once."""
        self.feed(text + "\n")
        self.finish()
        return self.out

    # --- one sentence ----------------------------------------------------------------------
    def _early_prefix(self) -> str | None:
        if self._prefix is not None:
            return None
        m = _LEADING_TAG.match(self._buffer)
        if not m or m.group("tag").upper() not in self.items:
            return None
        lead = m.group("lead").split()
        if any(w.strip(",").lower() not in _LEAD_WORDS for w in lead):
            return None
        item = self.items[m.group("tag").upper()]
        if item["product_id"] in self._rendered:
            return None
        self._rendered.add(item["product_id"])
        if item["product_id"] not in self.out.item_ids:
            self.out.item_ids.append(item["product_id"])
        price = price_text(item.get("price"), item.get("currency") or "GBP")
        lead_in = " ".join(lead) + " " if lead else ""
        self._prefix = (item, f"{lead_in}{item['title']} ({price}) [{item['product_id']}]")
        return self._prefix[1]

    def _complete(self, sentence: str) -> list[str]:
        prefix, self._prefix = self._prefix, None
        kept = self._accept(sentence, prefix) if sentence.strip() else None
        if prefix is None:
            return [kept + "\n"] if kept else []
        if kept is None:
            self.out.sentences.append(prefix[1])  # the name alone stays: it is true
        return [(kept or "") + "\n"]

    def _accept(self, sentence: str, prefix: tuple[dict, str] | None = None) -> str | None:
        """The rendered sentence (or, after an early prefix, the rendered rest) if it passes."""
        sentence = sentence.strip().strip("-*• ").strip()
        if not sentence:
            return None
        reason = self._check(sentence)
        key = _NON_WORD.sub(" ", sentence.lower()).strip()
        if reason is None and key in self._seen:
            reason = "repeated"
        if reason:
            self.out.dropped.append((sentence, reason))
            return None
        self._seen.add(key)
        self.out.passed += 1
        if prefix is None:
            rendered = self._render(sentence)
            self.out.sentences.append(rendered)
            return rendered
        item, shown = prefix
        rest = _LEADING_TAG.sub("", sentence, count=1)
        if rest.strip().lower().startswith(item["title"].lower()):
            rest = rest.strip()[len(item["title"]) :]
        rest = _said_price(rest, item)  # the name line already states the price
        rendered = self._render(rest)
        rendered = rendered if rendered[:1] in ",.;:!?" else " " + rendered.lstrip()
        self.out.sentences.append(shown + rendered)
        return rendered

    def _check(self, s: str) -> str | None:
        """Why the sentence cannot be shown (None: it can); records what it cites."""
        if "{{" in s or "}}" in s:
            return "template placeholder"
        if _HEADER.match(s) or s.endswith(":"):
            return "prompt structure"
        if _shingles(s) & _LEAK:
            return "system prompt"
        if _OPEN_TAG.search(s):
            return "unfinished tag"
        items, policies, reason = self._tags(s)
        if reason:
            return reason
        if not self.allow_numbers and _DIGIT.search(_ORDER.sub(" ", _TAG.sub(" ", s))):
            return "numbers here come only from the decided facts"
        low = s.lower()
        for title, pid in self.titles.items():
            if title in low and pid not in items:
                if pid.upper() not in self.by_id:
                    return f"names {pid}, which is not in the evidence"
                items.append(pid)
        orders_named = _ORDER.findall(s)
        for order in orders_named:
            if order.upper().replace("ORD", "ORD-").replace("--", "-") not in self.orders:
                return f"order {order} is not this customer's"
        if not (items or policies or orders_named) and self.ev.task != "small_talk":
            if self.ev.task in ("recommend", "search", "compare"):
                return "cites no item"
            if not self._supported(s):
                return "not supported by the evidence"
        reason = self._numbers(s, items)
        if reason:
            return reason
        reason = self._superlative(s, items)
        if reason:
            return reason
        for pid in items:
            if pid not in self.out.item_ids:
                self.out.item_ids.append(pid)
        for pol in policies:
            if pol not in self.out.policy_ids:
                self.out.policy_ids.append(pol)
        for order in _ORDER.findall(s):
            if order.upper() not in self.out.order_ids:
                self.out.order_ids.append(order.upper())
        return None

    def _tags(self, s: str) -> tuple[list[str], list[str], str | None]:
        items: list[str] = []
        policies: list[str] = []
        for m in _TAG.finditer(s):
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
            elif _ORDER.fullmatch(tag) and tag.upper() in self.orders:
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
        for m in _MONEY.finditer(_TAG.sub(" ", s)):
            amount = _num(m.group(1) or m.group(2))
            if amount in others - own:
                return f"price {m.group(0).strip()} belongs to an item the sentence does not name"
        return None

    def _segments(self, s: str, items: list[str]) -> list[tuple[str, str | None]]:
        """(text, item it follows) pieces of a sentence, split at item tags."""
        out: list[tuple[str, str | None]] = []
        last, owner = 0, None
        for m in _TAG.finditer(s):
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
        text = _TAG.sub(" ", text)
        for m in _MONEY.finditer(text):
            if _num(m.group(1) or m.group(2)) not in money:
                return f"price {m.group(0).strip()} is not in the evidence for what it cites"
        for m in _RATING.finditer(text):
            if _num(m.group(1) or m.group(2)) not in allowed:
                return f"rating {m.group(0).strip()} is not in the evidence for what it cites"
        for n in _NUMBER.findall(_ORDER.sub(" ", text)):
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

    def _render(self, s: str) -> str:
        def tag(m: textre.Match) -> str:
            key = m.group(1).strip().upper()
            tag_ = key if key in self.items else self.by_id.get(key)
            if tag_ is not None:
                item = self.items[tag_]
                first = item["product_id"] not in self._rendered
                self._rendered.add(item["product_id"])
                if item["title"].lower() in s.lower() or not first:
                    return f"[{item['product_id']}]"
                price = price_text(item.get("price"), item.get("currency") or "GBP")
                if price in s:  # the sentence states the price itself: say it once
                    return f"{item['title']} [{item['product_id']}]"
                return f"{item['title']} ({price}) [{item['product_id']}]"
            pol_tag = key if key in self.policies else self.policy_by_id.get(key.lower())
            if pol_tag is not None:
                p = self.policies[pol_tag]
                return f"[{p['file']} › {p['section'].split(' > ')[-1]}]"
            return m.group(0)

        return _TAG.sub(tag, s)


def _said_price(text: str, item: dict) -> str:
    """`text` without a phrase that repeats the item's own price ("at £15.49", "for £15.49")."""
    price = price_text(item.get("price"), item.get("currency") or "GBP")
    if item.get("price") is None or price not in text:
        return text
    pattern = (
        r"\s*,?\s*(?:(?:is |it's |costs? |priced )?(?:at|for|only|just)\s+)?\(?"
        + textre.escape(price)
        + r"\)?"
    )
    return textre.compile(pattern).sub("", text, count=1)
