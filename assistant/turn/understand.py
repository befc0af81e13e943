"""Stage 1 of a turn: `understand(messages, ctx) -> Request`.

The conversation is re-derived from all messages every turn. Learned parts decide what the
words mean: the intent (rules + a MiniLM head, `assistant.turn.intents`) and which words name the
thing to search for or refer to the shopper's past (the slot tagger, `assistant.turn.tagger`).
Exact validators read values: amounts and ratings (`retrieval.search.query`), ids, superlatives with
their counts ("the two cheapest") and stated time spans ("40 days ago"), so every number a
later stage uses is one the shopper typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.turn.basket_act import BasketAsk, read_acts
from assistant.turn.basket_context import (
    BasketContext,
    basket_context,
    basket_turns,
    without_basket_turns,
)
from assistant.turn.chinese import is_chinese
from assistant.turn.conversation import derive_state
from assistant.turn.conversation_refs import message_text, order_ids, shown_items
from assistant.turn.conversation_state import ConversationState
from assistant.turn.intents import SHOPPING, Intent, IntentResult, rule_intent
from assistant.turn.service import stated_opened
from retrieval import textre

_COUNT = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a couple of": 2, "both": 2}
_SUPERLATIVE = textre.compile(
    r"\b(?:(two|three|four|five|[2-5]|a couple of)\s+)?"
    r"(cheapest|least expensive|lowest[- ]priced|lowest[- ]price|most affordable|"
    r"best[- ]rated|highest[- ]rated|top[- ]rated|best reviewed|best|"
    r"most expensive|priciest|dearest)\b",
    textre.I,
)
_KIND = {"cheapest": "cheapest", "least expensive": "cheapest", "lowest priced": "cheapest",
         "lowest-priced": "cheapest", "most affordable": "cheapest", "lowest price": "cheapest",
         "lowest-price": "cheapest", "most expensive": "dearest",
         "priciest": "dearest", "dearest": "dearest"}  # fmt: skip
_SPAN = textre.compile(
    r"\b(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(day|week|month)s?\s+ago\b"
    r"|\b(yesterday|last week|last month|a fortnight ago)\b",
    textre.I,
)
_AFTER = textre.compile(
    r"\b(?:after)\s+(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(day|week|month)s?\b()",
    textre.I,
)
_SPAN_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10}  # fmt: skip
SERVICE = frozenset(Intent) - SHOPPING - {Intent.SMALL_TALK, Intent.OUT_OF_SCOPE, Intent.BASKET}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30}
_FIXED_SPANS = {"yesterday": 1, "last week": 7, "last month": 30, "a fortnight ago": 14}


@dataclass
class Request:
    """What this turn asks, as typed slots (the `constraints` of `ask --json` come from `state`)."""

    state: ConversationState  # intent, filters, topic, referenced items and orders in force
    question: str  # the last user message
    superlative: str | None = None  # "cheapest" | "best_rated" | "dearest"
    count: int | None = None  # "the two cheapest" -> 2
    past_reference: bool = False  # "like last time", "what I bought before"
    days_ago: int | None = None  # a stated time span: "40 days ago" -> 40
    opened: bool | None = None  # the item is said to be opened (True) or sealed (False)
    known_titles: dict[str, str] = field(default_factory=dict)  # titles shown earlier -> ids
    subject: str = ""  # the words of this message the tagger marked as the thing it is about
    interest: str = ""  # what a gift's recipient is into, as the tagger marked it ("a bookworm")
    basket: BasketAsk | None = None  # a basket act ("add the first one"), None: not one
    basket_ctx: BasketContext | None = None  # what a basket act can refer to
    language: str = "en"  # the language the last user message is written in: "en" | "zh"
    reading: str = ""  # a Chinese last message as read into English (empty for English)

    @property
    def states_return_facts(self) -> bool:
        """The shopper states what decides a return (days since delivery, or opened / sealed)."""
        return self.days_ago is not None or self.opened is not None

    def to_dict(self) -> dict:
        """JSON form: the conversation state plus this turn's slots."""
        out = self.state.to_dict()
        out.update(
            superlative=self.superlative,
            count=self.count,
            past_reference=self.past_reference,
            days_ago=self.days_ago,
            opened=self.opened,
            subject=self.subject,
        )
        if self.language != "en":
            out.update(language=self.language, read_as=self.reading)
        if self.basket is not None:
            out["basket"] = {
                **self.basket.to_dict(),
                **(self.basket_ctx.to_dict() if self.basket_ctx else {}),
            }
        return out


def superlative(text: str) -> tuple[str | None, int | None]:
    """("cheapest", 2) for "the two cheapest kettles"; (None, None) when none is asked."""
    m = _SUPERLATIVE.search(text)
    if not m:
        return None, None
    word = m.group(2).lower()
    kind = _KIND.get(word, "best_rated")
    n = m.group(1)
    count = None if n is None else (int(n) if n.isdigit() else _COUNT[n.lower()])
    return kind, count


def stated_days(text: str) -> int | None:
    """Days since an event the shopper states ("40 days ago", "two weeks ago", "last week",
    "after 31 days")."""
    m = _SPAN.search(text) or _AFTER.search(text)
    if not m:
        return None
    if m.group(3):
        return _FIXED_SPANS[m.group(3).lower()]
    n = m.group(1).lower()
    value = int(n) if n.isdigit() else _SPAN_WORDS[n]
    return value * _UNIT_DAYS[m.group(2).lower()]


def understand(
    messages: list[dict], *, vocab=None, currency: str = "GBP", classifier=None, tagger=None,
    titles=None, products=None, basket_head=None, speller=None, chinese=None,
) -> Request:  # fmt: skip
    """The Request for the conversation so far.

    `tagger` (a `SlotTagger`; None: no learned subject, the rules' leftover words) marks the
    subject of each user turn; `titles(product_id) -> title | None` resolves items shown earlier;
    `products(product_id) -> Product | None` lets a basket question's answer be recognised.
    Basket turns (acts the basket head finds, and answers to the basket's questions) are kept
    out of the shopping state; the last one becomes `Request.basket`. `speller` (a
    `Speller`) corrects typos in the user's messages first; `chinese` (a
    `chinese.StoreReader`) reads Chinese messages into English before anything else.
    """
    messages, language = _read_languages(messages, chinese, speller)
    user_texts = [message_text(m) for m in messages if m.get("role") == "user"]
    tagged = tagger.tag_many(user_texts) if tagger is not None and user_texts else None
    subjects = [", ".join(t.runs("ITEM") + t.runs("INTEREST")) for t in tagged] if tagged else None
    question = user_texts[-1] if user_texts else ""
    ask, ctx, flags = _basket(messages, user_texts, tagged, products, basket_head)
    shopping = without_basket_turns(messages, flags) if any(flags) else messages
    kept = [s for s, f in zip(subjects, flags, strict=True) if not f] if subjects else None
    state = derive_state(shopping, vocab, currency, classifier, kept)
    if ask is not None:
        state.intent = IntentResult(Intent.BASKET, ask.confidence, "model")
    elif _past_shopping(state, tagged, question):
        state.intent = IntentResult(Intent.RECOMMEND, state.intent.confidence, "model")
        state.shopping_intent = Intent.RECOMMEND
    kind, count = superlative(question)
    known: dict[str, str] = {}
    if titles is not None:
        for m in messages:
            if m.get("role") == "assistant":
                for pid in shown_items(message_text(m))[0]:
                    title = titles(pid)
                    if title:
                        known[title] = pid
    return Request(
        state=state,
        question=question,
        superlative=kind,
        count=count,
        past_reference=bool(tagged and tagged[-1].has("PAST")),
        days_ago=stated_days(question),
        opened=stated_opened(question),
        known_titles=known,
        subject=subjects[-1] if subjects else "",
        interest=", ".join(tagged[-1].runs("INTEREST")) if tagged else "",
        basket=ask,
        basket_ctx=ctx,
        language=language,
        reading=question if language == "zh" else "",
    )


def _read_languages(messages, chinese, speller) -> tuple[list[dict], str]:
    """The messages with each user message in English (Chinese read by `chinese`, English
    spell-corrected) and the language of the last user message ("en" or "zh")."""
    out, language = [], "en"
    for m in messages:
        if m.get("role") != "user":
            out.append(m)
            continue
        text = message_text(m)
        language = "zh" if is_chinese(text) else "en"
        if language == "zh" and chinese is not None:
            text = chinese.read(text).english
        elif speller is not None:
            text = speller.correct(text)
        out.append({**m, "content": text})
    return out, language


# intents the head gives "more like my last order" / "similar to what I got last time" when it
# misreads them; a reference to the past of three or more words there asks for items like those
_PAST_MISREAD = frozenset(
    {Intent.SMALL_TALK, Intent.OUT_OF_SCOPE, Intent.ORDER_STATUS, Intent.CHANGE_ORDER}
)


def _past_shopping(state: ConversationState, tagged, question: str) -> bool:
    """A message the tagger reads as a reference to the shopper's past ("more like my last
    order") that the intent head (not a rule) sent to small talk or orders, naming no order and
    stating no time span: it asks for items like those."""
    result = state.intent
    past = tagged[-1].runs("PAST") if tagged else []
    return bool(
        any(len(run.split()) >= 3 for run in past) and result is not None
        and result.source == "model" and result.intent in _PAST_MISREAD
        and not state.order_ids and not order_ids(question) and stated_days(question) is None
    )  # fmt: skip


def _basket(messages, user_texts, tagged, products, head):
    """(the BasketAsk of the last message or None, its context, per-user-turn basket flags)."""
    if not tagged:
        return None, None, [False] * len(user_texts)
    import numpy as np

    acts = read_acts(user_texts, np.stack([t.sentence for t in tagged]), head)
    # a message the deterministic intent rules give to customer service is never a basket act
    acts = [None if rule_intent(t) in SERVICE else a for t, a in zip(user_texts, acts, strict=True)]
    flags = basket_turns(messages, acts)
    if not flags[-1]:
        return None, None, flags
    ctx = basket_context(messages, flags, user_texts[-1])
    ask = acts[-1]
    if ask is None:  # an answer to the basket's question continues the act that asked it
        from assistant.turn.basket import answers_question

        ask = next((a for a in reversed(acts[:-1]) if a is not None), None)
        if (
            ask is None
            or products is None
            or not answers_question(products, ctx, user_texts[-1], ask)
        ):
            return None, None, [*flags[:-1], False]
    return ask, ctx, flags
