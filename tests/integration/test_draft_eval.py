"""`shopassist eval drafts` on the real stack with `--backend none` semantics: every scripted ticket
drafted by the engine without a model (template and code-decided drafts) on the demo store, graded
by the stdlib oracle against the demo's raw files. The report is printed (pytest -s shows it).

What an agent would notice is asserted at the issue's targets: no draft states a wrong fact
(precision 100%), and the drafts state at least 90% of the facts the tickets need."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.evals.drafts.oracle import load_store
from assistant.evals.drafts.run import TARGETS, TODAY, load_cases, print_report, run_draft_eval
from assistant.runtime import build_engine
from retrieval.ingest.seed import demo_dir

pytestmark = [pytest.mark.integration]


def test_code_decided_drafts_state_true_facts_and_the_needed_ones(demo_store, tmp_path):
    store, _ = demo_store
    engine = build_engine(store, load_settings(), None, today=TODAY)
    raw = load_store(demo_dir(store.config.data_dir))
    cases = load_cases()
    assert len(cases) >= 60

    result = run_draft_eval(
        engine, raw, cases, TODAY, replies_db=f"sqlite:///{tmp_path / 'none.db'}"
    )
    print()
    print_report(result)

    assert result["cases"] == len(cases) and result["llm_drafts"] == 0
    assert sum(r["cases"] for r in result["by_category"].values()) == len(cases)
    assert result["sent_replies"] == {"rows": 0, "note": "no sent replies"}
    assert result["checked"] >= 3 * len(cases) and result["needed"] >= len(cases)
    assert len(result["failures"]) == len(cases) - result["passed"]
    for failure in result["failures"]:
        assert failure["wrong"] or failure["missing"], failure
    wrong = [(f["id"], f["wrong"]) for f in result["failures"] if f["wrong"]]
    assert result["wrong"] == 0 and result["precision"] == TARGETS["precision"], wrong
    missing = [(f["id"], f["missing"]) for f in result["failures"] if f["missing"]]
    assert result["recall"] >= TARGETS["recall"], missing
