"""The draft eval's oracle: independent of the engine, and what it makes of hand-made drafts
(true ones pass; a wrong date, status, return or cancellation verdict, rule or payment answer is
caught; a draft without the fact the ticket needs is a recall miss); the committed tickets; the
edit distance between drafted and sent replies."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from assistant.evals.conversations import oracle as conversation_oracle
from assistant.evals.drafts import oracle, reading
from assistant.evals.drafts.oracle import NEEDS, grade, levenshtein, normalized_distance
from assistant.evals.drafts.run import CASES, sent_replies

from .stdlib_only import engine_imports

TODAY = date(2026, 11, 1)
ALLOWED = {conversation_oracle.__name__, reading.__name__}  # stdlib-only modules themselves


@pytest.mark.parametrize("module", [oracle, reading])
def test_oracle_imports_nothing_from_the_engine(module):
    assert not engine_imports(module, ALLOWED)


def test_committed_cases_have_the_documented_shape():
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    cats = {c["category"] for c in cases}
    assert cats == {"order_status", "delivery", "returns", "refunds", "payment", "cancellations",
                    "handoff"}  # fmt: skip
    assert len(cases) >= 60 and len({c["id"] for c in cases}) == len(cases)
    assert all(sum(c["category"] == k for c in cases) >= 8 for k in cats)
    for c in cases:
        assert set(c) == {"id", "category", "customer", "ticket", "expect", "source"}, c
        assert re.fullmatch(r"u\d{3}", c["customer"]) and c["source"].startswith("bitext:"), c
        # declarative: the order and the kinds of fact, never the answers
        assert set(c["expect"]) <= {"order_id", "needs", "method"} and c["expect"]["needs"], c
        assert set(c["expect"]["needs"]) <= set(NEEDS), c
        if set(c["expect"]["needs"]) & {"order_id", "status", "cancellable", "return_eligibility"}:
            assert c["expect"]["order_id"] in c["ticket"], c
    assert not re.search(r"\$|dollar|\{\{", " ".join(c["ticket"] for c in cases))


def product(pid, title, price, category):
    levels = [x.strip().lower() for x in category.split(">")]
    return {"product_id": pid, "title": title, "price": price, "rating": 4.0, "in_stock": True,
            "stock": 5, "levels": levels}  # fmt: skip


def line(oid, user, pid, status, ordered, delivered=""):
    return {"order_id": oid, "user_id": user, "product_id": pid, "quantity": "1", "status": status,
            "ordered_at": f"{ordered}T10:00:00Z", "delivered_at": delivered and f"{delivered}T12:00:00Z"}  # fmt: skip


@pytest.fixture
def store():
    items = [product("P00001", "Oakmere 1L Red Ceramic Kettle", 31.49, "Kitchen > Kettles"),
             product("P00002", "Roastwell Guatemala Dark Roast Coffee 500g", 12.99, "Food & Drink > Coffee Beans"),
             product("P00003", "Sonora 20W Black USB-C Charger", 12.49, "Electronics > Chargers & Cables")]  # fmt: skip
    orders = [line("ORD-10001", "u001", "P00001", "delivered", "2026-10-20", "2026-10-23"),
              line("ORD-10002", "u001", "P00003", "processing", "2026-10-30"),  # a Friday
              line("ORD-10003", "u001", "P00001", "delivered", "2026-09-01", "2026-09-04"),
              line("ORD-10004", "u001", "P00002", "delivered", "2026-10-18", "2026-10-20"),
              line("ORD-10005", "u001", "P00003", "returned", "2026-10-01", "2026-10-05"),
              line("ORD-10006", "u002", "P00001", "shipped", "2026-10-31")]  # fmt: skip
    rules = {"return_window_days": 30, "non_returnable_if_opened": ["Beauty", "Food & Drink"],
             "standard_delivery_business_days_min": 3, "standard_delivery_business_days_max": 5,
             "refund_business_days_min": 5, "refund_business_days_max": 7,
             "cancellable_statuses": ["placed", "processing"], "standard_shipping_fee": 3.99,
             "free_shipping_threshold": 40.0, "return_label_fee": 2.95,
             "payment_methods": ["Visa", "Mastercard", "PayPal", "Apple Pay"]}  # fmt: skip
    return {
        "products": {p["product_id"]: p for p in items},
        "orders": orders,
        "events": [],
        "rules": rules,
    }


def ticket(needs, order=None, customer="u001", text="help with my order", **more):
    expect = {"needs": needs, **({"order_id": order} if order else {}), **more}
    return {"id": "t", "category": "x", "customer": customer, "ticket": text, "expect": expect}


def check(case, draft, store, citations=()):
    return grade(case, {"draft": draft, "citations": list(citations)}, store, TODAY)


STATUS = ticket(["order_id", "status", "delivery_date"], "ORD-10002", text="where is ORD-10002?")


@pytest.mark.parametrize("draft", [
    "Order ORD-10002 (Sonora 20W Black USB-C Charger) is processing, ordered on 2026-10-30; "
    "delivery expected between 2026-11-04 and 2026-11-06.",
    "Hi! Your order ORD-10002 is being prepared and should arrive between 4 November and "
    "November 6th, 2026. Standard delivery takes 3-5 business days.",
])  # fmt: skip
def test_a_true_draft_passes(store, draft):
    got = check(STATUS, draft, store)
    assert got["passed"], got
    assert got["checked"] >= 4 and got["needed"] == got["found"] == 3


@pytest.mark.parametrize(("draft", "wrong"), [
    ("Order ORD-10002 is processing; delivery expected between 2026-11-05 and 2026-11-09.", "eta date 2026-11-05"),
    ("Order ORD-10002 was delivered on 2026-11-04.", "says 'delivered'"),
    ("Order ORD-10002 has shipped and should arrive by 2026-11-06.", "says 'shipped'"),
    ("Order ORD-10002 is processing, ordered on 2026-10-29; it should arrive by 2026-11-06.", "ordered date"),
    ("Order ORD-10002 is processing and running late; it was due by 2026-11-06.", "late is wrong"),
    ("Order ORD-10002 is processing (£15.99); delivery expected by 2026-11-06.", "£15.99"),
])  # fmt: skip
def test_a_wrong_status_date_or_amount_is_caught(store, draft, wrong):
    got = check(STATUS, draft, store)
    assert any(wrong in w for w in got["wrong"]), got
    assert not got["passed"]


RETURN = ["order_id", "return_eligibility", "return_window"]


@pytest.mark.parametrize(("order", "draft", "ok"), [
    ("ORD-10001", "Yes: Oakmere 1L Red Ceramic Kettle from order ORD-10001 can be returned until 2026-11-22.", True),
    ("ORD-10001", "No: order ORD-10001 can no longer be returned: the 30-day window ended on 2026-11-22.", False),
    ("ORD-10003", "No: order ORD-10003 can no longer be returned: the 30-day window ended on 2026-10-04.", True),
    ("ORD-10003", "Yes, order ORD-10003 can be returned until 2026-10-04.", False),
    ("ORD-10004", "Yes, if it is unopened: order ORD-10004 can be returned until 2026-11-19 only if it is unopened.", True),
    ("ORD-10004", "Good news: order ORD-10004 can be returned until 2026-11-19.", False),  # it must be sealed
    ("ORD-10002", "Order ORD-10002 is not delivered yet, so it cannot be returned yet.", True),
    ("ORD-10002", "Order ORD-10002 can be returned within 30 days of delivery.", False),
])  # fmt: skip
def test_return_verdicts_are_checked_against_the_dates_and_categories(store, order, draft, ok):
    got = check(ticket(RETURN, order, text=f"refund for {order}"), draft, store)
    assert (not got["wrong"]) is ok, got
    if ok:
        assert got["passed"], got


def test_the_window_ending_on_a_wrong_day_is_caught(store):
    draft = "No: order ORD-10003 can no longer be returned: the 30-day window ended on 2026-10-03."
    got = check(ticket(RETURN, "ORD-10003"), draft, store)
    assert any("return date 2026-10-03" in w for w in got["wrong"]), got


@pytest.mark.parametrize(("needs", "order", "draft", "missing"), [
    (RETURN, "ORD-10001", "You can return most items within 30 days of delivery.", "can be returned"),
    (RETURN, "ORD-10001", "Yes, ORD-10001 can be returned.", "neither the last return day"),
    (["order_id", "status", "delivery_date"], "ORD-10002", "Order ORD-10002 is processing.", "no delivery date"),
    (["order_id", "status", "refund_days"], "ORD-10005", "Order ORD-10005 has already been returned.", "refund time"),
    (["order_id", "cancellable"], "ORD-10002", "Order ORD-10002 is processing.", "can be cancelled"),
    (["delivery_days"], None, "Delivery is quick.", "delivery time"),
    (["cancel_rule"], None, "Your card is charged when the order ships.", "cancellable statuses"),
    (["payment_methods"], None, "We accept Visa.", "only 1 accepted"),
    (["handoff"], None, "Hello! I can help you find products or check an order.", "a person from the team"),
    (["not_on_account"], "ORD-10006", "Let me look into that for you.", "not on this customer's account"),
])  # fmt: skip
def test_a_draft_without_the_needed_fact_is_a_recall_miss(store, needs, order, draft, missing):
    got = check(ticket(needs, order), draft, store)
    assert not got["wrong"], got
    assert got["found"] < got["needed"] and any(missing in m for m in got["missing"]), got


@pytest.mark.parametrize(("needs", "order", "draft"), [
    (["order_id", "status", "refund_days"], "ORD-10005",
     "Order ORD-10005 has already been returned; your refund reaches your card 5-7 business days after we check it."),
    (["order_id", "cancellable"], "ORD-10002", "Order ORD-10002 is processing, so it can still be cancelled."),
    (["cancel_rule"], None, "An order can be cancelled while it is placed or processing; once it has shipped, return it."),
    (["cancel_rule"], None, "You can cancel an order until it ships."),
    (["delivery_days"], None, "Standard delivery takes 3 to 5 working days, £3.99 or free over £40."),
    (["handoff"], None, "Hi, I'm one of the support team and I'll sort this out for you today."),
    (["handoff"], None, "Ticket 7 is open: a member of our team will read this conversation."),
    (["not_on_account"], "ORD-10006", "There is no order ORD-10006 on your account."),
    (["order_id", "delivery_date"], None, "Your order ORD-10002 should arrive between 2026-11-04 and 2026-11-06."),
])  # fmt: skip
def test_drafts_stating_the_needed_facts_pass(store, needs, order, draft):
    got = check(ticket(needs, order), draft, store, [{"kind": "ticket", "id": "7"}])
    assert got["passed"], got


@pytest.mark.parametrize(("order", "draft", "wrong"), [
    ("ORD-10001", "Order ORD-10001 can still be cancelled.", "cancellable 'yes'"),
    ("ORD-10002", "Order ORD-10002 can no longer be cancelled.", "cancellable 'no'"),
    (None, "An order can be cancelled while it is placed, processing or shipped.", "cancelled while"),
    (None, "Refunds reach your card 3-5 business days after we check the item.", "3-5 business days"),
    (None, "Returns are accepted within a 14-day window.", "14-day return window"),
    (None, "Ticket 12 is open: a member of our team will reply.", "ticket 12"),
])  # fmt: skip
def test_wrong_verdicts_and_rules_are_caught(store, order, draft, wrong):
    got = check(ticket(["order_id"] if order else ["handoff"], order), draft, store)
    assert any(wrong in w for w in got["wrong"]), got


def test_someone_elses_order_may_only_be_denied(store):
    case = ticket(["not_on_account"], "ORD-10006", text="where is ORD-10006?")
    leak = check(case, "Order ORD-10006 (Oakmere 1L Red Ceramic Kettle) is shipped.", store)
    assert len(leak["wrong"]) >= 2 and leak["missing"], leak
    assert check(case, "I couldn't find ORD-10006 on your account.", store)["passed"]


@pytest.mark.parametrize(("text", "draft", "needs", "ok"), [
    ("what payment methods do you take?", "No: we accept Visa, Mastercard, PayPal and Apple Pay.", ["payment_methods"], False),
    ("what payment methods do you take?", "We accept Visa, Mastercard, PayPal and Apple Pay.", ["payment_methods"], True),
    ("can I pay with PayPal?", "Yes: we accept PayPal.", ["payment_answer"], True),
    ("can I pay with Klarna?", "No: we accept Visa, Mastercard, PayPal and Apple Pay.", ["payment_answer"], True),
    ("can I pay with Klarna?", "Yes, we accept Klarna and PayPal.", ["payment_answer"], False),
    ("can I pay with Klarna?", "We accept Visa, Mastercard, PayPal and Apple Pay.", ["payment_answer"], False),
    ("which cards?", "We don't take Visa, only PayPal.", ["payment_methods"], False),
])  # fmt: skip
def test_payment_answers(store, text, draft, needs, ok):
    assert check(ticket(needs, text=text), draft, store)["passed"] is ok


def test_edit_distance():
    assert levenshtein("kitten", "sitting") == 3 and levenshtein("", "abc") == 3
    assert normalized_distance("abc", "abc") == 0.0 and normalized_distance("", "") == 0.0
    assert normalized_distance("abcd", "abxd") == 0.25 and normalized_distance("ab", "") == 1.0


def test_sent_replies_read_from_agent_replies(tmp_path):
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert sent_replies(url)["note"] == "no sent replies"  # no database file
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other (x INTEGER)"))
    assert sent_replies(url) == {"rows": 0, "note": "no sent replies"}  # no table
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE agent_replies (reply_id INTEGER PRIMARY KEY, draft TEXT, sent TEXT)")
        )
        conn.execute(text("INSERT INTO agent_replies (draft, sent) VALUES ('abcd', 'abxd'), "
                          "('same', 'same'), ('', 'written from scratch'), (NULL, 'also')"))  # fmt: skip
    engine.dispose()
    assert sent_replies(url) == {"rows": 2, "mean_edit_distance": 0.125, "unchanged": 1}
