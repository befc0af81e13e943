"""Generate `cases.jsonl` for `shopassist eval drafts` (run once; output committed).

    python -m assistant.evals.drafts.make_cases

Deterministic (seed 21). Every ticket is a Bitext customer-support instruction
(../shared/data/bitext_support/pairs.csv) of the matching intent, rewritten to the demo store of
`retrieval.demo.generate_demo`: its order numbers become one of the ticket's customer's real
order ids, its dollar amounts that order line's price in pounds. Cases carry declarative
expectations only (the order a ticket is about and the kinds of fact a correct draft states);
the oracle computes the true values from the store's raw files at run time.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from assistant.evals.conversations.case_data import load_demo, read_csv
from assistant.evals.conversations.case_wording import with_order
from assistant.evals.conversations.make_cases import write_cases

HERE = Path(__file__).resolve().parent
PAIRS_CSV = HERE.parents[3] / "shared" / "data" / "bitext_support" / "pairs.csv"
SEED = 21
TODAY = date(2026, 11, 1)  # the demo generator's DEFAULT_NOW: the eval's fixed today
OPEN = ("placed", "processing", "shipped")
CLOSED_IF_OPENED = ("Beauty", "Food & Drink")  # the demo's store.json (chooses a mix of cases)
CATEGORIES = ("order_status", "delivery", "returns", "refunds", "payment", "cancellations",
              "handoff")  # fmt: skip
_DOLLARS = re.compile(r"\$\s?\d[\d,]*|\b\d[\d,]*\s*dollars\b", re.I)
_HUMAN = re.compile(r"agent|human|person|someone|somebody|operator|representative")


def case(category: str, customer: str, ticket: str, expect: dict, intent: str) -> dict:
    return {"category": category, "customer": customer, "ticket": ticket, "expect": expect,
            "source": f"bitext:{intent}"}  # fmt: skip


class Draw:
    """Bitext instructions of one intent, each used once, in a seeded order."""

    def __init__(self, pairs: list[dict], rng: random.Random):
        self.pairs, self.rng, self.used = pairs, rng, set()

    def __call__(self, intent: str, keep=lambda text: True) -> str:
        rows = sorted(
            {r["instruction"].strip() for r in self.pairs if r["intent"] == intent} - self.used
        )
        pick = self.rng.choice([t for t in rows if keep(t)])
        self.used.add(pick)
        return re.sub(r"\s+", " ", pick)


def in_pounds(text: str, amount: float) -> str:
    """A Bitext dollar amount as this order line's price in pounds."""
    return _DOLLARS.sub(f"£{amount:.2f}", text)


def about(text: str, oid: str, rng: random.Random) -> str:
    """The instruction about order `oid`: its order number replaced, else the id added."""
    if re.search(r"\{\{[^}]*\}\}|\b\d{5,}\b", text):
        return with_order(text, {}, oid)
    tail = rng.choice(
        (" (order {o})", ". Order number {o}.", " - it's order {o}", ". My order is {o}.")
    )
    return text.rstrip("?. ") + tail.format(o=oid)


class Demo:
    """The generated demo store's orders, grouped the ways the cases pick them."""

    def __init__(self, folder: Path):
        raw = load_demo(folder)
        self.products = {r["product_id"]: r for r in read_csv(folder / "products.csv")}
        self.lines = raw["orders"]
        self.by_order: dict[str, list[dict]] = {}
        for r in self.lines:
            self.by_order.setdefault(r["order_id"], []).append(r)
        self.users = raw["users"]

    def orders(self, test) -> list[str]:
        return sorted(o for o, lines in self.by_order.items() if test(lines[0], lines))

    def status(self, *statuses: str) -> list[str]:
        return self.orders(lambda r, _: r["status"] in statuses)

    def returnable(self, closed: bool) -> list[str]:
        """Delivered orders still inside the 30-day window: with or without a sealed-only item."""

        def test(r, lines):
            if (
                r["status"] != "delivered"
                or date.fromisoformat(r["delivered_at"][:10]) + timedelta(30) < TODAY
            ):
                return False
            return closed == any(self.top(x) in CLOSED_IF_OPENED for x in lines)

        return self.orders(test)

    def window_ended(self) -> list[str]:
        return self.orders(lambda r, _: r["status"] == "delivered"
                           and date.fromisoformat(r["delivered_at"][:10]) + timedelta(30) < TODAY)  # fmt: skip

    def top(self, line: dict) -> str:
        return self.products[line["product_id"]]["category"].split(">")[0].strip()

    def customer(self, oid: str) -> str:
        return self.by_order[oid][0]["user_id"]

    def amount(self, oid: str) -> float:
        return round(sum(float(self.products[r["product_id"]]["price"]) * int(r["quantity"])
                         for r in self.by_order[oid]), 2)  # fmt: skip

    def someone_else(self, oid: str, rng: random.Random) -> str:
        """A customer who does not own `oid` (the ticket names another shopper's order)."""
        return rng.choice([u for u in self.users if u != self.customer(oid)])


def order_status_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    picks = (rng.sample(demo.status("processing"), 2) + rng.sample(demo.status("shipped"), 2)
             + rng.sample(demo.status("delivered"), 3) + rng.sample(demo.status("cancelled"), 1)
             + rng.sample(demo.status("returned"), 1))  # fmt: skip
    out = []
    for i, oid in enumerate(picks):
        text = draw(
            "track_order", (lambda t: re.search(r"\d{5,}", t)) if i % 3 else (lambda t: True)
        )
        needs = ["order_id", "status", "delivery_date"]
        out.append(case("order_status", demo.customer(oid), about(text, oid, rng),
                        {"order_id": oid, "needs": needs}, "track_order"))  # fmt: skip
    other = rng.choice(demo.status("shipped", "delivered"))
    out.append(case("order_status", demo.someone_else(other, rng),
                    about(draw("track_order", lambda t: re.search(r"\d{5,}", t)), other, rng),
                    {"order_id": other, "needs": ["not_on_account"]}, "track_order"))  # fmt: skip
    return out


def delivery_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    mine = lambda t: re.search(r"\bmy\b", t, re.I)  # noqa: E731
    out = []
    for i, oid in enumerate(rng.sample(demo.status(*OPEN), 6)):
        text = draw("delivery_period", mine)
        if i % 2:  # "when will my purchase arrive?": the customer's open orders, unnamed
            out.append(case("delivery", demo.customer(oid), text, {"needs": ["delivery_date"]},
                            "delivery_period"))  # fmt: skip
        else:
            out.append(case("delivery", demo.customer(oid), about(text, oid, rng),
                            {"order_id": oid, "needs": ["order_id", "delivery_date"]}, "delivery_period"))  # fmt: skip
    for _ in range(4):  # how long shipping takes: the store's rule
        text = draw(
            "delivery_period", lambda t: not mine(t) and re.search(r"ship|deliver", t, re.I)
        )
        out.append(case("delivery", rng.choice(demo.users), text, {"needs": ["delivery_days"]},
                        "delivery_period"))  # fmt: skip
    return out


def return_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    picks = (rng.sample(demo.returnable(closed=False), 3) + rng.sample(demo.returnable(closed=True), 2)
             + rng.sample(demo.window_ended(), 3) + rng.sample(demo.status("processing", "shipped"), 2))  # fmt: skip
    out = []
    for i, oid in enumerate(picks):
        paid = lambda t: _DOLLARS.search(t) and re.search(r"paid", t, re.I)  # noqa: E731
        text = draw("get_refund", paid if i % 2 else (lambda t: not _DOLLARS.search(t)))
        ticket = about(in_pounds(text, demo.amount(oid)), oid, rng)
        needs = ["order_id", "return_eligibility", "return_window"]
        out.append(case("returns", demo.customer(oid), ticket, {"order_id": oid, "needs": needs},
                        "get_refund"))  # fmt: skip
    return out


def refund_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    out = []
    for i, oid in enumerate(rng.sample(demo.status("returned"), 7)):
        text = draw(
            "track_refund",
            (lambda t: _DOLLARS.search(t)) if i % 2 else (lambda t: not _DOLLARS.search(t)),
        )
        ticket = about(in_pounds(text, demo.amount(oid)), oid, rng)
        out.append(case("refunds", demo.customer(oid), ticket,
                        {"order_id": oid, "needs": ["order_id", "status", "refund_days"]}, "track_refund"))  # fmt: skip
    for _ in range(3):
        text = draw("check_refund_policy", lambda t: re.search(r"how long", t))
        out.append(case("refunds", rng.choice(demo.users), text, {"needs": ["refund_days"]},
                        "check_refund_policy"))  # fmt: skip
    return out


def payment_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    out = [case("payment", rng.choice(demo.users), draw("check_payment_methods"),
                {"needs": ["payment_methods"]}, "check_payment_methods") for _ in range(7)]  # fmt: skip
    for method in ("PayPal", "Apple Pay", "Klarna"):  # one the demo store does not take
        text = draw("check_payment_methods").rstrip("?. ") + f". Can I pay with {method}?"
        out.append(case("payment", rng.choice(demo.users), text,
                        {"method": method, "needs": ["payment_answer"]}, "check_payment_methods"))  # fmt: skip
    return out


def cancel_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    picks = (rng.sample(demo.status("processing"), 3) + rng.sample(demo.status("shipped"), 2)
             + rng.sample(demo.status("delivered"), 2))  # fmt: skip
    numbered = lambda t: re.search(r"\d{5,}", t)  # noqa: E731
    out = [case("cancellations", demo.customer(oid), about(draw("cancel_order", numbered), oid, rng),
                {"order_id": oid, "needs": ["order_id", "cancellable"]}, "cancel_order") for oid in picks]  # fmt: skip
    other = rng.choice(demo.status("processing"))
    out.append(case("cancellations", demo.someone_else(other, rng), about(draw("cancel_order", numbered), other, rng),
                    {"order_id": other, "needs": ["not_on_account"]}, "cancel_order"))  # fmt: skip
    for _ in range(2):
        text = draw(
            "check_cancellation_fee", lambda t: re.search(r"cancel", t) and "contract" not in t
        )
        out.append(case("cancellations", rng.choice(demo.users), text, {"needs": ["cancel_rule"]},
                        "check_cancellation_fee"))  # fmt: skip
    return out


def handoff_cases(demo: Demo, draw: Draw, rng) -> list[dict]:
    return [case("handoff", rng.choice(demo.users), draw("contact_human_agent", _HUMAN.search),
                 {"needs": ["handoff"]}, "contact_human_agent") for _ in range(10)]  # fmt: skip


def main(out: Path = HERE / "cases.jsonl") -> list[dict]:
    from retrieval.demo import generate_demo

    if not PAIRS_CSV.exists():
        sys.exit(f"{PAIRS_CSV} not found: the tickets are Bitext phrasings")
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        generate_demo(Path(tmp))
        demo = Demo(Path(tmp))
    draw = Draw(read_csv(PAIRS_CSV), rng)
    makers = (order_status_cases, delivery_cases, return_cases, refund_cases, payment_cases,
              cancel_cases, handoff_cases)  # fmt: skip
    cases = [c for make in makers for c in make(demo, draw, rng)]
    counts: Counter = Counter()
    for c in cases:
        counts[c["category"]] += 1
        c["id"] = f"{c['category']}-{counts[c['category']]:03d}"
    return write_cases(out, cases, ("id", "category", "customer", "ticket", "expect", "source"))


if __name__ == "__main__":
    main()
