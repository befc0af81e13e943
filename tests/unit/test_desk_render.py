"""The agent desk's renderings: untrusted text stays text, ages read as people say them, and the
draft is made from what the customer asked."""

from __future__ import annotations

from datetime import datetime

from assistant.desk.replies import draft_texts
from ui.desk import age, md, ticket_rows, transcript_md

EVIL = (
    "![px](https://evil.example/p.png) [win](https://evil.example/w) <img src=x onerror=alert(1)>"
)


def test_markdown_escaping_leaves_no_markup():
    out = md(EVIL + "\n# heading\n1. item\n- item\n*bold* `code` $$x$$ https://evil.example/a")
    assert "<" not in out and ">" not in out  # HTML characters are entities
    assert "](" not in out and "![" not in out  # no link or image syntax
    assert "https://" not in out and "\\*bold\\*" in out and "\\# heading" in out
    assert "\\$\\$x\\$\\$" in out and "1\\. item" in out and "\\- item" in out
    assert out.count("  \n") == 4  # line breaks stay line breaks


def test_ages_read_in_minutes_hours_and_days():
    now = datetime(2026, 11, 2, 12, 0)
    assert age("2026-11-02T11:48:00", now) == "12 min"
    assert age("2026-11-02T09:00:00", now) == "3 h"
    assert age("2026-10-30T12:00:00", now) == "3 d"
    assert age("2026-11-02T12:05:00", now) == "0 min"  # a clock a little ahead


def test_ticket_rows_and_transcript_are_plain_text():
    ticket = {"ticket_id": 7, "user_id": "u001", "reason": "handoff", "status": "open",
              "created_at": "2026-11-02T09:00:00",
              "transcript": [{"role": "user", "content": EVIL},
                             {"role": "assistant", "content": "Sure.", "unverified": True},
                             {"role": "user", "content": "I want to talk to a human " * 5}]}  # fmt: skip
    (row,) = ticket_rows([ticket], datetime(2026, 11, 2, 12, 0))
    assert row[:5] == ["7", "u001", "handoff", "3 h", "open"]
    assert row[5].startswith("Customer: I want to talk") and len(row[5]) == 70
    shown = transcript_md(ticket)
    assert shown.startswith("**Ticket 7**") and "**Customer:**" in shown
    assert "unverified" in shown and "<img" not in shown and "](" not in shown


def test_drafts_start_from_the_customers_words_then_what_came_before_a_handoff():
    turns = [{"role": "user", "content": "where is my order ORD-1?"},
             {"role": "assistant", "content": "On its way."},
             {"role": "user", "content": "I want to talk to a human"},
             {"role": "agent", "content": "Hello"}]  # fmt: skip
    assert draft_texts(turns) == [
        "where is my order ORD-1?\nI want to talk to a human",
        "where is my order ORD-1?",
    ]
    assert draft_texts([{"role": "user", "content": "a human please"}]) == ["a human please"]
    assert draft_texts([{"role": "assistant", "content": "hi"}]) == []
    long = [{"role": "user", "content": "x" * 3000}] * 3
    assert all(len(t) <= 4000 for t in draft_texts(long))
