"""Text users (or the model) write is matched in linear time: RE2 patterns only, no backtracking."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.prompts import Evidence
from assistant.turn.basket_act import quantity
from assistant.turn.conversation_refs import order_ids
from assistant.turn.decide import superlatives
from assistant.turn.grounding import Grounder
from assistant.turn.intents import Intent, IntentClassifier, rule_intent
from assistant.turn.understand import understand
from retrieval import textre
from retrieval.search.query import Vocabulary, parse_query

REPO = Path(__file__).resolve().parents[2]
USER_TEXT_MODULES = [
    *sorted((REPO / "assistant" / "turn").glob("*.py")),  # the turn: engine, intents, grounding, …
    REPO / "retrieval" / "search" / "query.py",
    REPO / "retrieval" / "search" / "hybrid.py",
]
ADVERSARIAL = {
    "order, spaces, x": "order" + " " * 3990 + "x",
    "one letter": "a" * 4000,
    "a long price": "£" + "9" * 3999,
    "open brackets": "(" * 4000,
    "open tags": "[P1 " * 1000,
    "digits and spaces": "1 " * 2000,
    "dashes": "5-" * 2000,
    "thanks, no end": "thank you " * 399 + "x",
    "mixed CJK": ("我要乐高lego的 under £20 " * 200)[:4000],
}
EVIDENCE = Evidence("recommend", items=[{"product_id": "P00069", "title": "Kenya Coffee 500g",
                                         "price": 13.49, "currency": "GBP", "rating": 4.4}])  # fmt: skip


def _backtracking_uses(path: Path) -> list[str]:
    """`import re` / `from re import …` / `re.…` in one module, as "file:line: what"."""
    where = path.relative_to(REPO)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if {"re", "regex"} & set(names):
            found.append(f"{where}:{node.lineno}: import {', '.join(names)}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("re", "regex"):
            found.append(f"{where}:{node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "re":
            found.append(f"{where}:{node.lineno}: re.{node.attr}")
    return found


@pytest.mark.parametrize("path", USER_TEXT_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_modules_that_read_user_text_use_no_backtracking_regex(path):
    uses = _backtracking_uses(path)
    assert not uses, "stdlib re backtracks; compile with retrieval.textre:\n" + "\n".join(uses)


def test_textre_refuses_what_re2_cannot_run_and_keeps_unicode_classes():
    with pytest.raises(textre.error, match="invalid perl operator"):
        textre.compile(r"(?<=\.)\s+")
    assert textre.compile(r"\w+").findall("crème 乐高 x_1") == ["crème", "乐高", "x_1"]
    assert textre.compile(r"\d+").findall("£１００ or ٣") == ["１００", "٣"]
    assert textre.compile(r"\s").findall("a\xa0b\u3000c") == ["\xa0", "\u3000"]
    assert textre.split_at(textre.compile(r"[.!?](\s+)"), "One. Two!  Three") == [
        "One.",
        "Two!",
        "Three",
    ]


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_messages_parse_to_sane_results(text):
    vocab = Vocabulary({"LEGO"}, {"Board Games", "Sets & Kits"})
    assert order_ids(text) == []
    assert rule_intent(text) in (None, Intent.SEARCH)
    assert quantity(text)[0] in (None, 1, 5)
    filters = parse_query(text, vocab).filters.to_dict()
    assert {key.split("_")[0] for key in filters} <= {"price", "brands"}
    req = understand([{"role": "user", "content": text}], vocab=vocab,
                     classifier=IntentClassifier(use_model=False))  # fmt: skip
    assert req.state.intent.intent == Intent.SEARCH and req.state.filters.to_dict() == filters
    out = Grounder(EVIDENCE, superlatives=superlatives(EVIDENCE.items)).ground(text)
    assert out.item_ids == [] and out.sentences == [] and len(out.dropped) == 1


def test_the_exponential_greeting_rule_still_reads_greetings():
    assert rule_intent("thank you " * 400) == Intent.SMALL_TALK  # re: 2^400 ways to fail on "… x"


def test_the_slow_order_pattern_still_finds_order_ids():
    assert order_ids("order" + " " * 3990 + "12345") == ["12345"]
    assert order_ids("ORD10001, order no. 1234 and 1234567 but not £123456") == [
        "ORD-10001",
        "1234",
        "1234567",
    ]


def test_a_dash_range_before_a_unit_is_no_price():
    assert parse_query("lego for ages 5-10 years", None).filters.to_dict() == {}
    assert parse_query("toys 10-20", None).filters.price_max == 20
