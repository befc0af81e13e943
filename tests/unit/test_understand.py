"""Exact validators of the understand stage, and return verdicts decided by code."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.desk.support import ServiceRules, return_facts
from assistant.facts import render
from assistant.turn.understand import stated_days, superlative


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("compare the two cheapest kettles", ("cheapest", 2)),
        ("what's the cheapest kettle?", ("cheapest", None)),
        ("show me the 3 best rated towels", ("best_rated", 3)),
        ("highest-rated mug under £20", ("best_rated", None)),
        ("your most expensive coffee maker", ("dearest", None)),
        ("mugs under £20", (None, None)),
    ],
)
def test_superlatives_and_their_counts(text, expected):
    assert superlative(text) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("can I return headphones I bought 40 days ago?", 40),
        ("it arrived two weeks ago", 14),
        ("delivered last week", 7),
        ("I got it yesterday", 1),
        ("can I return my headphones?", None),
    ],
)
def test_stated_time_spans(text, days):
    assert stated_days(text) == days


def _line(status="delivered", delivered="2026-10-20", category="Electronics > Headphones"):
    return {"order_id": "ORD-1", "title": "Headphones", "status": status,
            "delivered_at": delivered, "category": category}  # fmt: skip


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        (_line(), "Yes: "),
        (_line(delivered="2026-09-01"), "No: "),
        (_line(status="shipped", delivered=None), "No: "),
        (_line(category="Beauty > Skincare"), "Yes, if it is unopened: "),
    ],
)
def test_a_single_return_answer_opens_with_its_verdict(line, verdict):
    (fact,) = return_facts([line], ServiceRules(), date(2026, 11, 1))
    assert str(fact).startswith(verdict), fact


def test_several_lines_carry_no_single_verdict():
    facts = return_facts(
        [_line(), _line(delivered="2026-09-01")], ServiceRules(), date(2026, 11, 1)
    )
    assert len(facts) == 2 and not any(str(f).startswith(("Yes", "No")) for f in facts)


def test_policy_rules_answer_yes_or_no_first_from_the_store_rules():
    from assistant.turn.policy import policy_facts

    def rule(*args) -> list[str]:
        return [str(f) for f in policy_facts(*args)]

    rules = ServiceRules(free_shipping_threshold=40.0, standard_shipping_fee=3.99,
                         payment_methods=("Visa", "PayPal"), return_label_fee=2.95)  # fmt: skip
    assert rule("free_delivery", "is delivery free on a £25 order?", rules) == [
        "No: standard delivery is free on orders over £40.00; a £25.00 order pays £3.99."
    ]
    assert rule("free_delivery", "do i get free shipping if i spend 60", rules)[0].startswith("Yes")
    assert rule("payment", "can i pay with bitcoin", rules) == ["No: we accept Visa and PayPal."]
    assert rule("payment", "can I pay with PayPal?", rules) == ["Yes: we accept PayPal."]
    assert rule("cancel", "can I cancel an order that has already shipped?", rules)[0].startswith(
        "No:"
    )
    assert rule("cancel", "quick question: can i still cancel if its processing pls", rules)[
        0
    ].startswith("Yes:")
    assert rule("cancel", "can i still cancel if its processing", rules)[0].startswith("Yes:")
    assert "£2.95" in rule("return_fee", "does it cost anything to return something?", rules)[0]
    assert rule("refund_time", "how long do refunds take", ServiceRules()) == []  # not stated


def test_a_stated_opened_item_decides_the_return():
    from assistant.turn.service import stated_opened, stated_return_facts

    rules = ServiceRules()
    assert stated_opened("bought opened chocolate 20 days ago") is True
    assert stated_opened("it's still sealed") is False and stated_opened("can I return it") is None

    def said(*args, **kw) -> str:
        return render(stated_return_facts(*args, **kw))

    assert said(20, "Food & Drink", rules, opened=True).startswith("No: opened")
    assert said(20, "Food & Drink", rules, opened=False).startswith("Yes")
    assert said(None, "Home", rules, opened=True).startswith("Yes: opened items")
    assert said(40, "Electronics", rules) == (
        "No: returns are accepted within 30 days of delivery, and you said it was 40 days ago. "
        "If it is faulty, our 2-year warranty for electronics covers it."
    )
    assert stated_days("can I return something after 31 days?") == 31
