"""What a basket message can refer to, re-derived from the conversation's messages.

A basket turn is a user message the basket-act head took as an act, or the shopper's answer to
a question the basket asked ("Which one do you mean? …" → "the second"). Basket turns and their
replies are kept out of the shopping state (`basket_turns`), so "add the first one" and then
"cheaper?" still refines the search before it. References resolve against the last product list
that was not a basket reply (`shown`), any item shown earlier (`seen`, newest first) and the
item the last basket reply was about (`last_changed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.turn.basket_act import BasketAsk
from assistant.turn.conversation_refs import (
    message_text,
    ordinals,
    referenced_products,
    shown_items,
)
from retrieval import textre

ASK_WHICH = "Which one do you mean"  # how the basket's own questions open (its renderer)
ASK_OPTION = textre.compile(r"Which (\w+) would you like for ")
_MONEY = textre.compile(r"[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?)")
_ID = textre.compile(r"\[([A-Za-z0-9][\w-]{1,40})\]")


@dataclass
class BasketContext:
    """The conversation as a basket message sees it."""

    shown: list[str] = field(default_factory=list)  # the last product list (not a basket reply)
    seen: list[str] = field(default_factory=list)  # every item shown, newest list first
    shown_prices: dict[str, float] = field(default_factory=dict)  # id -> price as last shown
    last_changed: str | None = None  # the item the last basket reply was about
    pending: list[str] = field(default_factory=list)  # ids a basket question offered
    pending_option: str | None = None  # "size": the basket asked which size
    refs: list[str] = field(default_factory=list)  # ids this message names (typed or by position)
    ordinals: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"shown": self.shown, "last_changed": self.last_changed,
                "pending": self.pending, "refs": self.refs}  # fmt: skip


def priced_ids(text: str) -> dict[str, float]:
    """Each cited id with the price written just before it on its line ("… £24.99 [P00012]")."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        start = 0
        for m in _ID.finditer(line):
            prices = _MONEY.findall(line[start : m.start()])
            if prices:
                out[m.group(1)] = float(prices[-1].replace(",", ""))
            start = m.end()
    return out


def basket_turns(messages: list[dict], acts: list[BasketAsk | None]) -> list[bool]:
    """Per user message: is it a basket turn (an act, or the answer to a basket question)?"""
    flags: list[bool] = []
    last_assistant = ""
    for m in messages:
        if m.get("role") == "assistant":
            last_assistant = message_text(m)
        elif m.get("role") == "user":
            answer = bool(flags and flags[-1] and _is_question(last_assistant))
            flags.append(acts[len(flags)] is not None or answer)
            last_assistant = ""
    return flags


def _is_question(text: str) -> bool:
    return text.startswith(ASK_WHICH) or bool(ASK_OPTION.match(text))


def without_basket_turns(messages: list[dict], flags: list[bool]) -> list[dict]:
    """The messages minus earlier basket turns and their replies (the shopping conversation)."""
    out, n, skip = [], 0, False
    for m in messages:
        if m.get("role") == "user":
            skip = flags[n]
            n += 1
        if not skip:
            out.append(m)
    return out


def basket_context(messages: list[dict], flags: list[bool], text: str) -> BasketContext:
    """The context for the last user message `text`."""
    ctx = BasketContext()
    n, reply_to_basket, last = 0, False, ""
    for m in messages[:-1] if messages and messages[-1].get("role") == "user" else messages:
        if m.get("role") == "user":
            reply_to_basket = flags[n]
            n += 1
            continue
        if m.get("role") != "assistant":
            continue
        last = message_text(m)
        ids = shown_items(last)[0]
        ctx.shown_prices.update(priced_ids(last))
        if reply_to_basket:
            ctx.last_changed = ids[0] if ids else ctx.last_changed
        elif ids:
            ctx.shown = ids
            ctx.seen = ids + [i for i in ctx.seen if i not in ids]
    if flags[-1] and _is_question(last):
        ctx.pending = shown_items(last)[0]
        option = ASK_OPTION.match(last)
        ctx.pending_option = option.group(1).lower() if option else None
    ctx.ordinals = ordinals(text, loose=True)
    ctx.refs = referenced_products(text, ctx.ordinals, ctx.pending or ctx.shown)
    return ctx
