"""Decided facts: typed records of what code made true for one turn, each with one rendering.

Code decides a fact once, as values (an order's status and dates, a return verdict, which item is
cheapest and by how much). `str(fact)` is its only English rendering, and every consumer uses it:
the prompt's FACTS block, the code-written lead and fallback answers, and the grounding check
(the numbers a sentence may state about an item). Fine-tuning targets read the typed fields and
never parse the sentence back. `tags` are the evidence tags ([P1]) a fact is about.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from assistant.prompts import price_text

NOTHING = (
    "I couldn't find anything"  # a failed shopping turn starts like this (handoff counts them)
)


@dataclass(frozen=True)
class Fact:
    """A decided fact; subclasses hold its values and write its sentence."""

    def text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    @property
    def tags(self) -> tuple[str, ...]:
        return ()

    def as_json(self) -> dict:
        return {"kind": type(self).__name__, **asdict(self), "text": self.text()}


def render(facts) -> str:
    """Facts as one paragraph, in order (the lead of a service answer)."""
    return " ".join(str(f) for f in facts)


@dataclass(frozen=True)
class Note(Fact):
    """A decided sentence whose only values are its words ("Please sign in …")."""

    sentence: str

    def text(self) -> str:
        return self.sentence


# --- items ---------------------------------------------------------------------------------------


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


# --- orders and returns --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderStatus(Fact):
    """One order line's status; the delivery window for open orders (late when it has passed)."""

    order_id: str
    title: str
    status: str
    ordered_at: str  # ISO dates
    delivered_at: str | None = None
    expected_from: str | None = None
    expected_to: str | None = None
    late: bool = False

    def text(self) -> str:
        head = f"Order {self.order_id} ({self.title})"
        if self.status == "delivered" and self.delivered_at:
            return f"{head} was delivered on {self.delivered_at}."
        if self.expected_to:
            when = f"expected between {self.expected_from} and {self.expected_to}"
            if self.late:
                when = f"late: it was expected by {self.expected_to}"
            return f"{head} is {self.status}, ordered on {self.ordered_at}; delivery {when}."
        return f"{head} is {self.status} (ordered on {self.ordered_at})."


@dataclass(frozen=True)
class Cancellable(Fact):
    order_id: str
    ok: bool

    def text(self) -> str:
        return f"Order {self.order_id} {'can' if self.ok else 'can no longer'} be cancelled."


@dataclass(frozen=True)
class NoSuchOrder(Fact):
    """Absent or someone else's: the same answer, so nothing leaks about other customers."""

    order_id: str

    def text(self) -> str:
        return f"There is no order {self.order_id} on your account."


RETURN_VERDICTS = {"not_delivered": "No", "window_ended": "No", "unopened_only": "Yes, if it is unopened", "ok": "Yes"}  # fmt: skip


@dataclass(frozen=True)
class ReturnVerdict(Fact):
    """Whether one order line can be returned, from its delivery date and category."""

    order_id: str
    title: str
    outcome: str  # "returned" | "not_delivered" | "window_ended" | "unopened_only" | "ok"
    until: str | None = None  # last day to return (ISO), or the day the window ended
    window_days: int = 30
    lead: bool = False  # the only line asked about: the sentence opens with the verdict

    @property
    def verdict(self) -> str | None:
        return RETURN_VERDICTS.get(self.outcome)

    def text(self) -> str:
        head = f"{self.title} from order {self.order_id}"
        body = {
            "returned": f"{head} has already been returned.",
            "not_delivered": f"{head} is not delivered yet, so it cannot be returned yet.",
            "window_ended": f"{head} can no longer be returned: the {self.window_days}-day "
                            f"window ended on {self.until}.",
            "unopened_only": f"{head} can be returned until {self.until} only if it is unopened.",
            "ok": f"{head} can be returned until {self.until}.",
        }[self.outcome]  # fmt: skip
        return f"{self.verdict}: {body}" if self.lead and self.verdict else body


@dataclass(frozen=True)
class StatedReturn(Fact):
    """Return eligibility from what the shopper states (days since delivery, opened or not)."""

    outcome: str  # "too_late" | "opened_excluded" | "sealed_only" | "ok"
    window_days: int
    days_ago: int | None = None
    category: str | None = None  # the item's top-level category
    opened: bool | None = None
    unopened_only: tuple[str, ...] = ()  # categories that must be unopened (for "ok" + opened)

    @property
    def verdict(self) -> str:
        return {"sealed_only": "Yes, if it is unopened", "ok": "Yes"}.get(self.outcome, "No")

    def text(self) -> str:
        w = self.window_days
        left = "" if self.days_ago is None else f", and you have {w - self.days_ago} days left"
        if self.outcome == "too_late":
            return (f"No: returns are accepted within {w} days of delivery, and you said it was "
                    f"{self.days_ago} days ago.")  # fmt: skip
        if self.outcome == "opened_excluded":
            return (f"No: opened {self.category} items can't be returned, for hygiene and "
                    f"food-safety reasons; unopened ones can, within {w} days of delivery.")  # fmt: skip
        if self.outcome == "sealed_only":
            return (f"Yes, if it is unopened: {self.category} items can be returned within {w} "
                    f"days of delivery only unopened{left}.")  # fmt: skip
        kind, verb = (
            ("opened items", "can be returned") if self.opened else ("returns", "are accepted")
        )
        only = ""
        if self.opened and self.unopened_only:
            names = " and ".join(c.title() for c in self.unopened_only)
            only = f"; only {names} items must be unopened"
        return f"Yes: {kind} {verb} within {w} days of delivery{left}{only}."


@dataclass(frozen=True)
class Warranty(Fact):
    """A faulty item is covered by the warranty (years by category)."""

    years: int
    electronics: bool = False

    def text(self) -> str:
        if self.electronics:
            return f"If it is faulty, our {self.years}-year warranty for electronics covers it."
        return f"If it is faulty, our {self.years}-year warranty covers it."


# --- store rules, handoff, basket ----------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule(Fact):
    """The store's rule on one topic, applied to the question (yes / no first where it asks)."""

    topic: str
    sentence: str

    def text(self) -> str:
        return self.sentence


@dataclass(frozen=True)
class Handoff(Fact):
    ticket_id: int

    def text(self) -> str:
        return (f"Ticket {self.ticket_id} is open: a member of our team will read this "
                f"conversation and reply here.")  # fmt: skip


@dataclass(frozen=True)
class BasketChange(Fact):
    """A basket change (or why none was made) as decided and applied by code."""

    change: dict = field(hash=False, compare=False)
    sentence: str = ""

    def text(self) -> str:
        return self.sentence
