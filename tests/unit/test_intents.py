"""Intent rules, the learned head with a fake encoder, and the Bitext mapping (no model load)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from assistant.evals.intents import BITEXT_TO_OURS, split_rows
from assistant.turn import intents
from assistant.turn.intents import (
    HEAD_PATH,
    Intent,
    IntentClassifier,
    IntentHead,
    example_pairs,
    fit_head,
    rule_intent,
)


class HashEncoder:
    """Bag-of-words hashed into 384 dims: deterministic, no model; records what it encoded."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order?", Intent.ORDER_STATUS),
        ("what's the status of ORD-10001", Intent.ORDER_STATUS),
        ("where is 113542617735902", Intent.ORDER_STATUS),
        ("please cancel order ORD-10002", Intent.CANCEL_ORDER),
        ("I want a refund for the broken kettle", Intent.RETURN_REFUND),
        ("how do I return my headphones", Intent.RETURN_REFUND),
        ("what's your return policy?", Intent.POLICY_QUESTION),
        ("is there a cancellation fee?", Intent.POLICY_QUESTION),
        ("in which cases can I ask for a refund", Intent.POLICY_QUESTION),
        ("does it have a warranty", Intent.POLICY_QUESTION),
        ("I forgot my password", Intent.ACCOUNT),
        ("cancel my premium account", Intent.ACCOUNT),
        ("unsubscribe me from the newsletter", Intent.ACCOUNT),
        ("can I pay with PayPal?", Intent.PAYMENT),
        ("I need the invoice for my last purchase", Intent.PAYMENT),
        ("do you ship to Ireland?", Intent.DELIVERY),
        ("I want to make a complaint", Intent.FEEDBACK),
        ("can I talk to a real person", Intent.HUMAN_HANDOFF),
        ("compare P00012 and P00040", Intent.COMPARE),
        ("which is cheaper, the first or the second?", Intent.COMPARE),
        ("can you recommend a board game for my nephew?", Intent.RECOMMEND),
        ("show me wireless headphones", Intent.SEARCH),
        ("I'm looking for a wooden train set under £30", Intent.SEARCH),
        ("cheaper, under £20", Intent.SEARCH),
        ("hi!", Intent.SMALL_TALK),
        ("thanks, bye", Intent.SMALL_TALK),
    ],
)
def test_rules_decide_clear_cases(text, expected):
    assert rule_intent(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I am looking for information about the shipping period",  # support words veto "looking for"
        "I expect a rebate of $299, was it processed?",  # a refund amount is no budget
        "how long do refunds usually take",  # policy or tracking: the model decides
        "Hello! my parcel hasn't turned up",  # a greeting plus a request is not small talk
        "wooden train set",  # a bare product phrase needs the model
    ],
)
def test_rules_leave_ambiguous_messages_to_the_model(text):
    assert rule_intent(text) is None


def test_rules_only_mode_falls_back_without_loading_a_model():
    clf = IntentClassifier(use_model=False)
    result = clf.classify("wooden train set")
    assert (result.intent, result.confidence, result.source) == (Intent.SEARCH, 0.0, "rules")
    assert clf.classify("where is my order").source == "rules"


@pytest.fixture(scope="module")
def fake_head() -> IntentHead:
    """A head fit on the hand-written examples with the hashing encoder (once per module)."""
    pairs = example_pairs()
    return fit_head(HashEncoder().encode([t for t, _ in pairs]), [i for _, i in pairs])


def test_undecided_messages_go_to_the_head_in_one_batch(fake_head):
    encoder = HashEncoder()
    clf = IntentClassifier(encoder, fake_head)
    texts = ["hi", "what is the capital of France", "where is my order", "lego star wars"]
    results = clf.classify_many(texts)
    assert [r.source for r in results] == ["rules", "model", "rules", "model"]
    assert results[1].intent == Intent.OUT_OF_SCOPE
    assert results[3].intent == Intent.SEARCH
    assert 0.0 < results[1].confidence <= 1.0
    assert encoder.calls == [["what is the capital of France", "lego star wars"]]
    assert clf.classify("lego star wars") == results[3]
    assert len(encoder.calls) == 1  # a replayed turn is remembered, not re-embedded


def test_head_round_trips_through_npz(tmp_path, fake_head):
    path = tmp_path / "head.npz"
    fake_head.save(path)
    loaded = IntentHead.load(path)
    x = HashEncoder().encode(["tell me a joke", "do you take PayPal"])
    assert loaded.labels == fake_head.labels
    np.testing.assert_allclose(loaded.predict_proba(x), fake_head.predict_proba(x), atol=1e-5)


def test_missing_shipped_head_is_trained_from_examples_and_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(intents, "HEAD_PATH", tmp_path / "absent.npz")
    monkeypatch.setenv("SHOPASSIST_MODEL_CACHE", str(tmp_path / "cache"))
    encoder = HashEncoder()
    head = intents.load_default_head(encoder)
    cached = list((tmp_path / "cache").glob("intent_head-examples-*.npz"))
    assert len(cached) == 1 and head.meta == {"trained_on": "examples"}
    assert set(head.labels) == set(Intent) - {Intent.BASKET}  # the basket-act head decides it
    encoder.calls.clear()
    intents.load_default_head(encoder)
    assert encoder.calls == []  # second use reads the cache


def test_shipped_head_is_small_and_knows_every_intent():
    head = IntentHead.load(HEAD_PATH)
    assert HEAD_PATH.stat().st_size < 400_000
    assert set(head.labels) == set(Intent) - {Intent.BASKET}  # the basket-act head decides it
    assert head.weights.shape == (384, len(Intent) - 1)
    assert head.meta["model"] == "all-MiniLM-L6-v2" and head.meta["examples"] == len(
        example_pairs()
    )


def test_importing_the_assistant_modules_loads_no_torch():
    code = (
        "import sys, assistant.turn.intents, assistant.turn.conversation, assistant.evals.intents;"
        "sys.exit(1 if 'torch' in sys.modules or 'chromadb' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_every_bitext_intent_maps_to_one_of_ours():
    assert len(BITEXT_TO_OURS) == 27
    assert all(isinstance(v, Intent) for v in BITEXT_TO_OURS.values())
    assert BITEXT_TO_OURS["check_refund_policy"] == Intent.POLICY_QUESTION
    assert BITEXT_TO_OURS["get_refund"] == Intent.RETURN_REFUND


def test_split_is_stratified_deterministic_and_disjoint():
    labels = ["a"] * 10 + ["b"] * 20 + ["c"] * 7
    mask = split_rows(labels, 0.5, seed=3)
    assert np.array_equal(mask, split_rows(labels, 0.5, seed=3))
    assert not np.array_equal(mask, split_rows(labels, 0.5, seed=4))
    per_label = {x: int(mask[np.array(labels) == x].sum()) for x in "abc"}
    assert per_label == {"a": 5, "b": 10, "c": 4}
    with pytest.raises(ValueError, match="tune_fraction"):
        split_rows(labels, 1.0, seed=0)
