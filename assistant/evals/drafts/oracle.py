"""The draft eval's oracle: every fact a reply draft states, checked against the store's RAW files
(orders.csv, products.csv, store.json), and the facts the ticket needs, looked for in the draft.
Standard library only: it imports nothing from `assistant` or `retrieval` beyond the conversation
oracle (itself stdlib-only) and `reading`, so the engine cannot grade itself (a unit test
enforces this).

`grade(case, reply, store, today)` → `{"checked", "wrong", "needed", "found", "missing",
"passed"}`. Precision: the claims read in the draft (order ids, order statuses, late or on time,
dates by what they are, amounts, return and cancellation verdicts, the store's rules: delivery
and refund times, the return window, the cancellable statuses, payment methods, ticket numbers)
and the wrong ones. Recall: the facts the case's `expect.needs` names, and those the draft states.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.evals.conversations.oracle import add_business_days, load_store, stance
from assistant.evals.drafts import reading as rd

__all__ = ["grade", "levenshtein", "load_store", "normalized_distance"]

OTHER_METHODS = ("klarna", "bitcoin", "cryptocurrency", "crypto", "bank transfer", "cash on delivery",
                 "cash", "cheque", "afterpay", "clearpay", "venmo", "diners club", "discover",
                 "maestro", "alipay", "western union")  # fmt: skip
ORDER_NEEDS = ("order_id", "not_on_account", "status", "delivery_date", "return_eligibility",
               "return_window", "cancellable")  # fmt: skip
NEEDS = (*ORDER_NEEDS, "refund_days", "delivery_days", "cancel_rule", "payment_methods",
         "payment_answer", "handoff")  # fmt: skip


def levenshtein(a: str, b: str) -> int:
    """Character edits (insert, delete, substitute) turning `a` into `b`."""
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def normalized_distance(a: str, b: str) -> float:
    """Levenshtein distance over the longer length: 0 identical, 1 nothing kept."""
    return levenshtein(a, b) / max(len(a), len(b)) if a or b else 0.0


def day(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


class Truth:
    """One customer's orders and the store's rules, as the raw files state them."""

    def __init__(self, store: dict, customer: str | None, today: date):
        self.store, self.rules, self.today = store, store["rules"], today
        self.lines = [r for r in store["orders"] if r["user_id"] == customer]
        self.mine = {r["order_id"].upper() for r in self.lines}
        self.window = self.rules.get("return_window_days", 30)
        self.cancellable = [s.lower() for s in self.rules.get("cancellable_statuses", [])]
        methods = [m.lower() for m in self.rules.get("payment_methods", [])]
        self.methods = {**{m: True for m in methods}, **{m: False for m in OTHER_METHODS},
                        "gift cards?": any("gift card" in m for m in methods),
                        "amex": "american express" in methods}  # fmt: skip

    def of(self, oid: str | None) -> list[dict]:
        """The customer's lines of order `oid` (None: all of them)."""
        return [r for r in self.lines if oid is None or r["order_id"].upper() == oid.upper()]

    def eta(self, line: dict) -> set[date]:
        placed, r = day(line["ordered_at"]), self.rules
        return {add_business_days(placed, r.get("standard_delivery_business_days_min", 3)),
                add_business_days(placed, r.get("standard_delivery_business_days_max", 5))}  # fmt: skip

    def last_return_day(self, line: dict) -> date | None:
        got = day(line["delivered_at"])
        return got + timedelta(days=self.window) if got else None

    def dates(self, lines: list[dict], role: str) -> set[date]:
        """The true dates of a role for these lines ('any': every one of them, and today)."""
        roles: dict[str, set] = {
            "ordered": set(),
            "delivered": set(),
            "eta": set(),
            "return": set(),
        }
        for r in lines:
            roles["ordered"].add(day(r["ordered_at"]))
            roles["eta"] |= self.eta(r)
            if r["delivered_at"]:
                roles["delivered"].add(day(r["delivered_at"]))
                roles["return"].add(self.last_return_day(r))
        roles["eta"] |= roles["delivered"]
        return set().union(*roles.values(), {self.today}) if role == "any" else roles[role]

    def late(self, line: dict) -> bool:
        return line["status"] in rd.OPEN and max(self.eta(line)) < self.today

    def returnable(self, line: dict) -> str:
        """'yes', 'no', 'conditional' (only unopened) or 'returned'."""
        if line["status"] == "returned":
            return "returned"
        if line["status"] != "delivered" or self.today > self.last_return_day(line):
            return "no"
        closed = {c.lower() for c in self.rules.get("non_returnable_if_opened", [])}
        top = (self.store["products"].get(line["product_id"]) or {"levels": [""]})["levels"][0]
        return "conditional" if top in closed else "yes"

    def amounts(self, ticket: str) -> set[float]:
        """Amounts a draft may state: the rules' figures, this customer's prices, line and order
        totals, and the numbers the ticket gives."""
        out = {float(v) for v in self.rules.values() if isinstance(v, int | float)}
        totals: dict[str, float] = {}
        for r in self.lines:
            price = self.store["products"].get(r["product_id"], {}).get("price")
            if price is not None:
                each = round(price * int(r["quantity"] or 1), 2)
                out |= {price, each}
                totals[r["order_id"]] = round(totals.get(r["order_id"], 0.0) + each, 2)
        typed = {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", ticket)}
        return out | set(totals.values()) | typed

    def payment_answer(self, ticket: str) -> str:
        """'no' when the ticket names a payment method the store does not take, else 'yes'."""
        asked = rd.named_methods(ticket, self.methods)
        return "no" if asked and not all(ok for _, ok in asked) else "yes"


class Grader:
    """Reads one draft's claims against the truth (precision) and looks for the needed facts."""

    def __init__(self, case: dict, reply: dict, store: dict, today: date):
        self.case, self.store, self.today = case, store, today
        self.truth = Truth(store, case.get("customer"), today)
        self.text = rd.clean(reply.get("draft", ""), store["products"])
        self.tickets = {
            str(c["id"]) for c in reply.get("citations", []) if c.get("kind") == "ticket"
        }
        self.order = (case["expect"].get("order_id") or "").upper() or None
        self.parts = rd.segments(self.text, self.order)
        self.named = {m[0].upper() for m in rd.ORDER_ID.finditer(self.text)}
        self.checked, self.wrong = 0, []
        kinds = ("order", "status", "date", "eligible", "cancel", "cancel_rule", "span", "window", "pay",
                 "amount", "ticket", "denial")  # fmt: skip
        self.seen: dict[str, list] = {k: [] for k in kinds}

    def claim(self, kind: str, ok: bool, oid: str | None, what, why: str) -> None:
        self.checked += 1
        self.seen[kind].append((ok, oid, what))
        if not ok:
            self.wrong.append(why)

    def ok(self, kind: str, oid: str | None = None) -> list:
        """What the draft rightly said of a kind (about order `oid`, when given)."""
        return [what for ok, o, what in self.seen[kind] if ok and (oid is None or o == oid)]

    # --- precision -------------------------------------------------------------------------------
    def read(self) -> None:
        for oid in sorted(self.named):  # each order id: the customer's, or said not to be
            denied = any(o == oid and rd.DENIAL.search(s) for o, s in self.parts)
            self.claim("order", oid in self.truth.mine or denied, oid, "order id",
                       f"{oid} is not this customer's order but the draft treats it as one")  # fmt: skip
        for oid, s in self.parts:
            if oid is not None and oid not in self.truth.mine:
                self.foreign(oid, s)
                continue
            self.order_claims(oid, s)
            self.verdicts(oid, s)
            self.rule_claims(oid, s)
        allowed = self.truth.amounts(self.case["ticket"])
        for m in rd.AMOUNT.finditer(rd.TITLE.sub(" ", self.text)):
            amount = float((m[1] or m[2]).replace(",", ""))
            self.claim("amount", any(abs(amount - x) < 0.005 for x in allowed), None, amount,
                       f"£{amount:.2f} is no price, total or fee of this customer's orders or the store")  # fmt: skip
        for n in rd.TICKET.findall(self.text):
            self.claim(
                "ticket", n in self.tickets, None, n, f"ticket {n} is not this draft's ticket"
            )

    def foreign(self, oid: str, s: str) -> None:
        """A sentence about someone else's order may only say it is not on this account."""
        denied = bool(rd.DENIAL.search(s))
        self.seen["denial"].append((denied, oid, s))
        theirs = {r["product_id"] for r in self.store["orders"] if r["order_id"].upper() == oid}
        if set(rd.TITLE.findall(s)) & theirs:
            self.claim(
                "status", False, oid, None, f"names an item of {oid}, someone else's order: {s!r}"
            )
        elif not denied and (rd.status_claims(s) or rd.dates_at(s, self.today)):
            self.claim(
                "status", False, oid, None, f"states facts about {oid}, someone else's order: {s!r}"
            )

    def about(self, oid: str | None, s: str) -> list[dict]:
        """The order lines a sentence is about (those whose item it names, else all)."""
        lines = self.truth.of(oid)
        named = set(rd.TITLE.findall(s))
        return [r for r in lines if r["product_id"] in named] or lines

    def order_claims(self, oid: str | None, s: str) -> None:
        """Statuses, late / on time, and dates by what they are."""
        lines = self.about(oid, s)
        if not lines:
            return
        statuses = "/".join(sorted({r["status"] for r in lines}))
        for said, true in rd.status_claims(s):
            self.claim("status", any(r["status"] in true for r in lines), oid, said,
                       f"{oid or 'the orders'}: says {said!r} but the status is {statuses}: {s!r}")  # fmt: skip
        opened = [r for r in lines if r["status"] in rd.OPEN]
        if (
            opened
            and (rd.LATE.search(s) or rd.ON_TIME.search(s))
            and not re.search(r"\bnot late\b", s, re.I)
        ):
            late, said = any(self.truth.late(r) for r in opened), bool(rd.LATE.search(s))
            self.claim("status", late == said, oid, "late" if said else "on time",
                       f"{oid}: {'late' if said else 'on time'} is wrong (due by {max(self.truth.eta(opened[0]))}): {s!r}")  # fmt: skip
        for d, role in rd.dated(s, self.today):
            self.claim("date", d in self.truth.dates(lines, role), oid, (d, role),
                       f"{oid or 'the orders'}: {role} date {d} is not true: {s!r}")  # fmt: skip

    def verdicts(self, oid: str | None, s: str) -> None:
        """Return eligibility and cancellability of the order the sentence is about."""
        lines = self.about(oid, s)
        if oid is None or not lines:
            return
        if rd.REFERS.search(s) and (said := rd.eligibility(s)):
            truths = {self.truth.returnable(r) for r in lines}
            ok = said in truths or (said == "no" and "returned" in truths)
            self.claim("eligible", ok, oid, said,
                       f"{oid}: return verdict {said!r} but the truth is {'/'.join(sorted(truths))}: {s!r}")  # fmt: skip
        if rd.cancel_rule(s, self.truth.cancellable) is None and (said := rd.cancel_said(s)):
            ok = all((r["status"] in self.truth.cancellable) == (said == "yes") for r in lines)
            self.claim("cancel", ok, oid, said,
                       f"{oid}: cancellable {said!r} but the status is {lines[0]['status']}: {s!r}")  # fmt: skip

    def rule_claims(self, oid: str | None, s: str) -> None:
        r = self.truth.rules
        spans = {"refund": (r.get("refund_business_days_min"), r.get("refund_business_days_max")),
                 "delivery": (r.get("standard_delivery_business_days_min"),
                              r.get("standard_delivery_business_days_max"))}  # fmt: skip
        about = {
            k
            for k, rx in (("refund", rd.REFUND_WORDS), ("delivery", rd.SHIP_WORDS))
            if rx.search(s)
        }
        for m in rd.SPAN.finditer(s):
            said = (int(m[1]), int(m[2]))
            kinds = [k for k in (about if len(about) == 1 else spans) if spans[k] == said]
            self.claim("span", bool(kinds), oid, kinds[0] if kinds else None,
                       f"{said[0]}-{said[1]} business days is not the store's {'/'.join(sorted(about or spans))} time: {s!r}")  # fmt: skip
        for m in rd.WINDOW.finditer(s):
            n = int(m[1] or m[2])
            self.claim("window", n == self.truth.window, oid, n,
                       f"a {n}-day return window (the store's is {self.truth.window}): {s!r}")  # fmt: skip
        if rule := rd.cancel_rule(s, self.truth.cancellable):
            self.claim("cancel_rule", rule[0], None, rule[1],
                       f"orders can be cancelled while {' or '.join(self.truth.cancellable)}: {s!r}")  # fmt: skip
        if rd.PAY_SENTENCE.search(s):
            self.payment_claims(s)

    def payment_claims(self, s: str) -> None:
        for clause in re.split(r"[;:]|\bbut\b", s):
            negated = bool(rd.NEGATED.search(clause))
            for name, ok in rd.named_methods(clause, self.truth.methods):
                self.claim("pay", ok != negated, None, (name, not negated),
                           f"says {name} is {'not ' if negated else ''}accepted: {s!r}")  # fmt: skip
        if lead := rd.LEAD.match(s):
            want, said = self.truth.payment_answer(self.case["ticket"]), lead[1].lower()
            self.claim("pay", said == want, None, ("answer", said),
                       f"answers {lead[1]!r} to the payment question (the truth: {want!r}): {s!r}")  # fmt: skip

    # --- recall ----------------------------------------------------------------------------------
    def needs(self) -> tuple[int, list[str]]:
        """(facts needed, the missing ones): an order fact for the ticket's order, or, when the
        ticket names none, for each of the customer's open orders."""
        open_orders = sorted(
            {r["order_id"].upper() for r in self.truth.lines if r["status"] in rd.OPEN}
        )
        needed, missing = 0, []
        for need in self.case["expect"]["needs"]:
            for oid in (
                ([self.order] if self.order else open_orders) if need in ORDER_NEEDS else [None]
            ):
                why = getattr(self, f"need_{need}")(oid, self.truth.of(oid) if oid else [])
                if why != "n/a":
                    needed += 1
                    missing += [why] if why else []
        return needed, missing

    def need_order_id(self, oid, lines) -> str | None:
        return None if oid in self.named else f"order {oid} is not named"

    def need_not_on_account(self, oid, lines) -> str | None:
        denied = any(ok for ok, o, _ in self.seen["denial"] if o == oid)
        return None if denied else f"does not say {oid} is not on this customer's account"

    def need_status(self, oid, lines) -> str | None:
        status = lines[0]["status"] if lines else None
        return (
            None
            if status in self.ok("status", oid)
            else f"{oid}: its status ({status}) is not stated"
        )

    def need_delivery_date(self, oid, lines) -> str | None:
        if lines and lines[0]["status"] in rd.OPEN:
            want = set().union(*(self.truth.eta(r) for r in lines))
        elif lines and lines[0]["status"] == "delivered":
            want = {day(r["delivered_at"]) for r in lines}
        else:
            return "n/a"  # cancelled or returned: no delivery to date
        said = {d for d, _ in self.ok("date", oid)}
        return (
            None
            if said & want
            else f"{oid}: no delivery date ({', '.join(map(str, sorted(want)))})"
        )

    def need_return_eligibility(self, oid, lines) -> str | None:
        truths = "/".join(sorted({self.truth.returnable(r) for r in lines}))
        said = self.ok("eligible", oid) or ("returned" in self.ok("status", oid))
        return None if said else f"{oid}: whether it can be returned ({truths}) is not stated"

    def need_return_window(self, oid, lines) -> str | None:
        if not lines or lines[0]["status"] != "delivered":
            return "n/a"
        last = {self.truth.last_return_day(r) for r in lines}
        if {d for d, _ in self.ok("date", oid)} & last or self.ok("window"):
            return None
        return f"{oid}: neither the last return day ({', '.join(map(str, sorted(last)))}) nor the {self.truth.window}-day window"

    def need_cancellable(self, oid, lines) -> str | None:
        status = lines[0]["status"] if lines else None
        return (
            None
            if self.ok("cancel", oid)
            else f"{oid}: whether it can be cancelled ({status}) is not stated"
        )

    def need_refund_days(self, oid, lines) -> str | None:
        return (
            None
            if "refund" in self.ok("span")
            else "the refund time in business days is not stated"
        )

    def need_delivery_days(self, oid, lines) -> str | None:
        return (
            None
            if "delivery" in self.ok("span")
            else "the delivery time in business days is not stated"
        )

    def need_cancel_rule(self, oid, lines) -> str | None:
        whole = any(w is True for w in self.ok("cancel_rule"))
        return (
            None
            if whole
            else f"the cancellable statuses ({', '.join(self.truth.cancellable)}) are not stated"
        )

    def need_payment_methods(self, oid, lines) -> str | None:
        named = {name for name, yes in self.ok("pay") if name != "answer" and yes}
        return None if len(named) >= 3 else f"only {len(named)} accepted payment methods named"

    def need_payment_answer(self, oid, lines) -> str | None:
        want = self.truth.payment_answer(self.case["ticket"])
        got = next((said for name, said in self.ok("pay") if name == "answer"), None) or stance(
            self.text
        )
        method = self.case["expect"].get("method", "the method asked about")
        return None if got == want else f"should answer {want!r} about {method} (read {got!r})"

    def need_handoff(self, oid, lines) -> str | None:
        human = any(rd.HUMAN.search(s) and not rd.CANT.search(s) for _, s in self.parts)
        return None if human else "does not say a person from the team is handling it"


def grade(case: dict, reply: dict, store: dict, today: date) -> dict:
    """Grade one draft. `reply`: the `draft_reply` document ({"draft", "citations", …})."""
    g = Grader(case, reply, store, today)
    g.read()
    needed, missing = g.needs()
    wrong = list(dict.fromkeys(g.wrong))
    return {"checked": g.checked, "wrong": wrong, "needed": needed, "found": needed - len(missing),
            "missing": missing, "passed": not wrong and not missing}  # fmt: skip
