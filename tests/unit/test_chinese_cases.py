"""The Chinese cases of `shopassist eval conversations`: each the twin of an English case (same
expectations), covering every family, and none tuned to the reader: no case's message appears
in the code, the tests, or a glossary generated for the demo store."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evals.conversations.run import CASES, CASES_ZH, load_cases
from assistant.turn.chinese import is_chinese
from assistant.turn.lexicon import Glossary
from retrieval.demo import SUBCATS

ROOT = Path(__file__).resolve().parents[2]


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_each_chinese_case_is_the_twin_of_an_english_case():
    english = {c["id"]: c for c in _read(CASES)}
    chinese = _read(CASES_ZH)
    assert len(chinese) >= 40 and len({c["id"] for c in chinese}) == len(chinese)
    for case in chinese:
        twin = english[case["twin"]]
        assert case["expect"] == twin["expect"] and case["category"] == twin["category"], case
        assert case["user"] == twin["user"] and len(case["turns"]) == len(twin["turns"]), case
        assert all(is_chinese(t) for t in case["turns"]), case
    families = {c["category"] for c in chinese}
    assert families >= {"gift_open_search", "superlatives", "comparisons", "order_status",
                        "returns", "policy_facts", "handoff", "multi_turn"}  # fmt: skip
    assert (
        sum(any(c.isascii() and c.isalpha() for c in t) for x in chinese for t in x["turns"]) >= 4
    )


def test_no_chinese_case_is_a_phrasing_from_the_code_or_the_glossary():
    turns = {t for c in _read(CASES_ZH) for t in c["turns"]}
    sources = [
        p for d in ("assistant", "retrieval", "tests", "ui") for p in (ROOT / d).rglob("*.py")
    ]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    names = set(SUBCATS) | {sub["top"] for sub in SUBCATS.values()}
    glossary = Glossary.for_categories(sorted(names)).entries
    for turn in turns:
        assert turn not in code, turn
        assert turn not in glossary, turn
        words = [w for w in glossary if len(w) > 1 and w in turn]
        assert len("".join(words)) < len(turn.rstrip("?？!！")), (turn, words)


def test_lang_zh_loads_the_chinese_cases_with_their_english_twins():
    cases = load_cases(lang="zh")
    chinese = [c for c in cases if c.get("lang") == "zh"]
    assert {c["twin"] for c in chinese} == {c["id"] for c in cases if c.get("lang") != "zh"}
    assert len(load_cases()) == len(_read(CASES))  # English only by default (the CI subset too)
