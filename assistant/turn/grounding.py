"""Grounding: keep only what the evidence supports, render names and prices from the store.

The model cites items by short tags ([P1], [P2] … in the prompt) and policy sections by [S1] ….
Code checks each sentence as it completes (so a streamed sentence is never taken back) against
the turn's evidence: tags, titles, order ids, money, ratings, other numbers and superlatives must
be the evidence's, and template placeholders, prompt headers and pieces of the system prompt
never pass (`assistant.turn.grounding_checks.SentenceChecks`); repeated sentences are dropped.
Kept sentences are rendered: tags become real ids ([P00012]) with the store's title and price.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.prompts import Evidence, price_text
from assistant.turn.grounding_checks import ORDER, TAG, SentenceChecks
from retrieval import textre

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
# Sentences end at spaces after .!? before a capital, tag, quote or bracket, and at newlines: what
# `(?<=[.!?])\s+(?=[A-Z\["'(])|\n+` split in `re` (see textre.split_at).
_SENTENCE_END = textre.compile(r"[.!?](\s+)[A-Z\[\"'(]|\n+")
_NON_WORD = textre.compile(r"\W+")
_CLOSED = textre.compile(r"[.!?)\]]$")


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
        self.checks = SentenceChecks(ev, known_titles, superlatives, numbers)
        self.ev = ev
        self.items, self.by_id = self.checks.items, self.checks.by_id
        self.policies, self.policy_by_id = self.checks.policies, self.checks.policy_by_id
        self.out = GroundedText()
        self._rendered: set[str] = set()
        self._seen: set[str] = set()
        self._buffer = ""
        self._prefix: tuple[dict, str] | None = None  # an item named early in the open sentence

    def lead(self, text: str) -> str:
        """Render the code-written lead (decided facts: true by construction) and remember what
        it names, so the model's words after it neither repeat it nor need to name it again."""
        for sentence in textre.split_at(_SENTENCE_END, text):
            self._seen.add(_NON_WORD.sub(" ", sentence.lower()).strip())
        items, policies, _ = self.checks.tags(text)
        for pid in items:
            if pid not in self.out.item_ids:
                self.out.item_ids.append(pid)
        for p in self.ev.policies:  # a lead cites sections as "[file › section]"
            if f"[{p['file']} › {p['section'].split(' > ')[-1]}]" in text:
                policies.append(p["id"])
        self.out.policy_ids += [p for p in policies if p not in self.out.policy_ids]
        self.out.order_ids += [o.upper() for o in ORDER.findall(text)]
        rendered = self.render(text)
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
            rendered = self.render(sentence)
            self.out.sentences.append(rendered)
            return rendered
        item, shown = prefix
        rest = _LEADING_TAG.sub("", sentence, count=1)
        if rest.strip().lower().startswith(item["title"].lower()):
            rest = rest.strip()[len(item["title"]) :]
        rest = _said_price(rest, item)  # the name line already states the price
        rendered = self.render(rest)
        rendered = rendered if rendered[:1] in ",.;:!?" else " " + rendered.lstrip()
        self.out.sentences.append(shown + rendered)
        return rendered

    def _check(self, s: str) -> str | None:
        """Why the sentence cannot be shown (None: it can); records what it cites."""
        reason, items, policies = self.checks.check(s)
        if reason:
            return reason
        for pid in items:
            if pid not in self.out.item_ids:
                self.out.item_ids.append(pid)
        for pol in policies:
            if pol not in self.out.policy_ids:
                self.out.policy_ids.append(pol)
        for order in ORDER.findall(s):
            if order.upper() not in self.out.order_ids:
                self.out.order_ids.append(order.upper())
        return None

    def render(self, s: str) -> str:
        """Tags become real ids: an item's first mention adds its title and price, a policy
        section's tag becomes its file and section."""

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

        return TAG.sub(tag, s)


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
