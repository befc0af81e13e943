"""`shopassist eval conversations` on the real stack: the fixed 44-case CI subset, played against
the engine with the session's vLLM on the demo store, graded by the stdlib oracle.

The report must be well-formed and every case must have run; the per-category table is printed
(pytest -s shows it). What a shopper would notice is asserted: at least 40 of the 44 cases pass
(44/44 when measured), no answer states a wrong fact, and grounding drops at most 5% of the
sentences (1.5% when measured)."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.evals.conversations.oracle import load_store
from assistant.evals.conversations.run import (
    TODAY,
    load_cases,
    print_report,
    run_conversation_eval,
)
from assistant.llm import LLMConfig, LLMRuntime
from assistant.runtime import build_engine
from retrieval.ingest.seed import demo_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_ci_subset_runs_end_to_end_with_vllm(demo_store, vllm_server):
    store, _ = demo_store
    runtime = LLMRuntime(
        LLMConfig(vllm_url=vllm_server.base_url, max_tokens=120, timeout_s=120)
    ).start()
    engine = build_engine(store, load_settings(), runtime, today=TODAY)
    raw = load_store(demo_dir(store.config.data_dir))
    cases = load_cases(subset="ci")
    assert len(cases) == 44

    result = run_conversation_eval(lambda catalog: (engine, raw), cases, TODAY)
    print()
    print_report(result)

    assert result["cases"] == 44 and not result["skipped"]
    assert sum(r["cases"] for r in result["by_category"].values()) == 44
    assert all(r["cases"] == 4 for r in result["by_category"].values()), result["by_category"]
    assert isinstance(result["violations"], int) and result["violations"] >= 0
    assert 0.0 <= result["dropped_sentence_share"] <= 1.0
    assert 0.0 <= result["model_prose_share_shopping"] <= 1.0
    assert len(result["failures"]) == 44 - result["passed"]
    assert result["passed"] >= 40, result["failures"]
    assert result["violations"] == 0, [f for f in result["failures"] if f["violations"]]
    assert result["dropped_sentence_share"] <= 0.05, result["dropped"]
    for failure in result["failures"]:
        assert failure["violations"] or failure["misses"], failure
        assert len(failure["answers"]) == len(failure["turns"])
