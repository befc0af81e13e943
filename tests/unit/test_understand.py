"""Exact validators of the understand stage, and return verdicts decided by code."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.support import ServiceRules, return_facts
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
    assert fact.startswith(verdict), fact


def test_several_lines_carry_no_single_verdict():
    facts = return_facts(
        [_line(), _line(delivered="2026-09-01")], ServiceRules(), date(2026, 11, 1)
    )
    assert len(facts) == 2 and not any(f.startswith(("Yes", "No")) for f in facts)
