"""Intent routing on real Bitext support messages and real shopping turns (MiniLM + shipped head)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.turn.intents import HEAD_PATH, Intent, IntentClassifier, IntentHead

pytestmark = [pytest.mark.integration, pytest.mark.shared_data]

PAIRS = Path(__file__).resolve().parents[2].parent / "shared/data/bitext_support/pairs.csv"


@pytest.fixture(scope="module")
def result(embedder):
    """One evaluation run: head fit on the tuning half, every row scored."""
    if not PAIRS.exists():
        pytest.skip(f"Bitext pairs not present: {PAIRS} (see ../shared/data/README.md)")
    from assistant.evals.intents import run_intent_eval

    return run_intent_eval(PAIRS, tune_fraction=0.5, seed=0, encoder=embedder)


def test_held_out_accuracy_meets_the_target(result):
    assert result["overall"]["held_out"] >= 0.95
    weakest = min(r["held_out"] for r in result["per_intent"].values())
    assert weakest >= 0.85, result["per_intent"]


def test_head_saw_only_the_tuning_rows(result):
    assert result["head"]["rows"] == result["tuning_rows"]
    assert result["tuning_rows"] + result["held_out_rows"] == result["rows"] == 3148
    assert sum(r["n"] for r in result["per_intent"].values()) == result["rows"]
    json.dumps(result)


def test_shipped_head_was_built_from_this_file(result):
    meta = IntentHead.load(HEAD_PATH).meta
    assert meta["data_sha256"] == result["head"]["data_sha256"], (
        "intent_head.npz is stale: python -m assistant.evals.intents --write-head"
    )
    assert (meta["tune_fraction"], meta["seed"]) == (0.5, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lego city police station", Intent.SEARCH),
        ("kids bike with stabilisers", Intent.SEARCH),
        ("my son loves dinosaurs, what should we get him", Intent.RECOMMEND),
        ("how is the second different from the first", Intent.COMPARE),
        ("my parcel still hasn't turned up", Intent.ORDER_STATUS),
        ("can I return opened items", Intent.POLICY_QUESTION),
        ("how much is postage", Intent.DELIVERY),
        ("thanks, that's really helpful", Intent.SMALL_TALK),
        ("write me a haiku", Intent.OUT_OF_SCOPE),
    ],
)
def test_real_model_routes_messages_the_rules_leave_open(embedder, text, expected):
    clf = IntentClassifier(embedder, IntentHead.load(HEAD_PATH))
    got = clf.classify(text)
    assert (got.intent, got.source) == (expected, "model")
