"""Customer-service facts: order status, cancellability, return verdicts, warranty, the store's
policy rules, handoff tickets and basket changes."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.facts.base import Fact


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
    refund_days: str | None = None  # a returned order: "5-7" business days to the refund

    def text(self) -> str:
        head = f"Order {self.order_id} ({self.title})"
        if self.status == "returned" and self.refund_days:
            return f"{head} is returned (ordered on {self.ordered_at}); {refund(self.refund_days)}"
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


def refund(days: str) -> str:
    """The refund time of a returned order, as the store's rules state it."""
    return (f"the refund reaches your original payment method {days} business days after we "
            f"check the returned item.")  # fmt: skip


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
    refund_days: str | None = None  # already returned: "5-7" business days to the refund

    @property
    def verdict(self) -> str | None:
        return RETURN_VERDICTS.get(self.outcome)

    def text(self) -> str:
        head = f"{self.title} from order {self.order_id}"
        body = {
            "returned": f"{head} has already been returned"
                        + (f"; {refund(self.refund_days)}" if self.refund_days else "."),
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
