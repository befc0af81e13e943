"""Facts about catalog items: superlatives, comparisons, details, nothing found."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.facts.base import NOTHING, Fact
from assistant.prompts import price_text


@dataclass(frozen=True)
class Superlative(Fact):
    """`tag` is the cheapest / most expensive / best rated of `total` qualifying items."""

    tag: str
    kind: str  # "cheapest" | "dearest" | "best_rated"
    value: float  # its price, or its rating for best_rated
    currency: str = "GBP"
    total: int | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.tag,)

    def text(self) -> str:
        of = f" of the {self.total} items that match" if self.total and self.total > 1 else ""
        if self.kind == "best_rated":
            return f"[{self.tag}] is the best rated{of} ({self.value:.1f})."
        word = "cheapest" if self.kind == "cheapest" else "most expensive"
        return f"[{self.tag}] is the {word}{of} at {price_text(self.value, self.currency)}."


@dataclass(frozen=True)
class PriceGap(Fact):
    cheaper: str
    dearer: str
    low: float
    high: float
    currency: str = "GBP"

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.cheaper, self.dearer)

    @property
    def saving(self) -> float:
        return round(self.high - self.low, 2)

    def text(self) -> str:
        p = lambda v: price_text(v, self.currency)  # noqa: E731
        return f"[{self.cheaper}] is cheaper: {p(self.low)} against {p(self.high)}, {p(self.saving)} less."


@dataclass(frozen=True)
class SamePrice(Fact):
    a: str
    b: str
    price: float
    currency: str = "GBP"

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.a, self.b)

    def text(self) -> str:
        return f"[{self.a}] and [{self.b}] cost the same, {price_text(self.price, self.currency)}."


@dataclass(frozen=True)
class RatingGap(Fact):
    higher: str
    lower: str
    high: float
    low: float

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.higher, self.lower)

    def text(self) -> str:
        return f"[{self.higher}] is rated higher: {self.high:.1f} against {self.low:.1f}."


@dataclass(frozen=True)
class SameRating(Fact):
    a: str
    b: str
    rating: float

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.a, self.b)

    def text(self) -> str:
        return f"[{self.a}] and [{self.b}] are rated the same, {self.rating:.1f}."


@dataclass(frozen=True)
class SizeGap(Fact):
    """`smaller` is lighter / smaller than `bigger` on one measured attribute."""

    smaller: str
    bigger: str
    word: str  # "lighter" | "smaller"
    small: float
    big: float
    unit: str

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.smaller, self.bigger)

    def text(self) -> str:
        u = self.unit
        return (f"[{self.smaller}] is {self.word} than [{self.bigger}] "
                f"({self.small:g}{u} against {self.big:g}{u}).")  # fmt: skip


@dataclass(frozen=True)
class AttributeDiff(Fact):
    name: str
    a: str
    va: str
    b: str
    vb: str

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.a, self.b)

    def text(self) -> str:
        label = self.name.replace("_", " ").capitalize()
        return f"{label}: [{self.a}] {self.va}, [{self.b}] {self.vb}."


@dataclass(frozen=True)
class Comparing(Fact):
    """The items a comparison is about, named first so that every compared item is named."""

    items: tuple[str, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        return self.items

    def text(self) -> str:
        named = [f"[{t}]" for t in self.items]
        return f"Comparing {', '.join(named[:-1])} and {named[-1]}."


@dataclass(frozen=True)
class BestFor(Fact):
    """Which compared item to pick for what, from the price and rating gaps."""

    cheaper: str
    higher_rated: str

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.cheaper, self.higher_rated)))

    def text(self) -> str:
        if self.cheaper == self.higher_rated:
            return f"[{self.cheaper}] is the better pick on both counts."
        return (
            f"Pick [{self.cheaper}] to save money, or [{self.higher_rated}] for the higher rating."
        )


@dataclass(frozen=True)
class ItemDetails(Fact):
    """An item's attributes, for questions about it (evidence, not an answer of its own)."""

    tag: str
    details: tuple[tuple[str, str], ...]

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.tag,)

    def text(self) -> str:
        body = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.details)
        return f"[{self.tag}] details: {body}."


@dataclass(frozen=True)
class LikePurchase(Fact):
    """The items shown are like the shopper's last purchase."""

    title: str

    def text(self) -> str:
        return f"You last bought {self.title}; these are like it."


@dataclass(frozen=True)
class NothingFound(Fact):
    """No in-stock item satisfies the request (decided over every item, not a top few)."""

    described: str  # "matching 'kettle', under £10.00"
    outside_budget: bool  # some items match at other prices

    def text(self) -> str:
        text = (
            f"{NOTHING} in stock {self.described}."
            if self.described
            else f"{NOTHING} that matches."
        )
        if self.outside_budget:
            text += " Some items match at other prices: say 'any price' to see them."
        return text
