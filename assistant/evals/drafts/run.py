"""`shopassist eval drafts`: every scripted ticket through `Engine.draft_reply` on a fresh
temporary demo store, each draft graded by the oracle, which reads the store's raw files.

Precision: of the facts the drafts state (order ids, statuses, dates, amounts, return and
cancellation verdicts, the store's rules), how many are wrong (target: none). Recall: of the facts
the tickets need, how many the drafts state (target: 90%). Beside them, the edit distance between
what agents were drafted and what they sent, from the store's `agent_replies` table when it has
any rows. The engine and the oracle share a fixed today, 2026-11-01 (the demo's DEFAULT_NOW).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from assistant.evals.drafts.oracle import grade, normalized_distance

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.jsonl"
TODAY = date(2026, 11, 1)
TARGETS = {"precision": 1.0, "recall": 0.9}
NO_SENT = "no sent replies"


def load_cases(
    path: Path = CASES, category: str | None = None, limit: int | None = None
) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    if category:
        cases = [c for c in cases if c["category"] == category]
    return cases[:limit] if limit else cases


def run_draft_eval(engine, store: dict, cases: list[dict], today: date = TODAY,
                   progress: Callable[[str], None] | None = None, replies_db: str | None = None) -> dict:  # fmt: skip
    """Draft and grade `cases` with `engine` over the demo store whose raw files `store` holds;
    `replies_db`: the SQLAlchemy URL whose `agent_replies` give the edit distance (None: none)."""
    t0, graded = time.perf_counter(), []
    for case in cases:
        reply = engine.draft_reply(case["ticket"], case["customer"])
        verdict = grade(case, reply, store, today)
        graded.append((case, reply, verdict))
        if progress:
            progress(f"{case['id']:<20} {'ok' if verdict['passed'] else 'FAIL'}")
    sent = sent_replies(replies_db) if replies_db else {"rows": 0, "note": NO_SENT}
    return report(graded, sent, time.perf_counter() - t0)


def _rates(rows: list[tuple[dict, dict, dict]]) -> dict:
    checked = sum(v["checked"] for *_, v in rows)
    wrong = sum(len(v["wrong"]) for *_, v in rows)
    needed = sum(v["needed"] for *_, v in rows)
    found = sum(v["found"] for *_, v in rows)
    return {"cases": len(rows), "passed": sum(v["passed"] for *_, v in rows),
            "checked": checked, "wrong": wrong, "precision": round(1 - wrong / checked, 4) if checked else 1.0,
            "needed": needed, "found": found, "recall": round(found / needed, 4) if needed else 1.0}  # fmt: skip


def report(graded: list, sent: dict, wall: float) -> dict:
    by_cat: dict[str, list] = {}
    for row in graded:
        by_cat.setdefault(row[0]["category"], []).append(row)
    total = _rates(graded)
    return {
        **total,
        "targets": TARGETS,
        "met": {k: total[k] >= v for k, v in TARGETS.items()},
        "by_category": {k: _rates(v) for k, v in by_cat.items()},
        "llm_drafts": sum(bool(r.get("llm_text_used")) for _, r, _ in graded),
        "failures": [
            {
                "id": c["id"],
                "category": c["category"],
                "customer": c["customer"],
                "ticket": c["ticket"],
                "draft": r["draft"],
                "intent": r.get("intent"),
                "wrong": v["wrong"],
                "missing": v["missing"],
            }
            for c, r, v in graded
            if not v["passed"]
        ],  # fmt: skip
        "sent_replies": sent,
        "wall_s": round(wall, 1),
    }


def sent_replies(url: str) -> dict:
    """Mean normalized character edit distance between draft and sent over the `agent_replies`
    rows with a draft (plain SQL: the table belongs to the agent desk)."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return {"rows": 0, "note": NO_SENT}
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("agent_replies"):
            return {"rows": 0, "note": NO_SENT}
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT draft, sent FROM agent_replies WHERE draft IS NOT NULL "
                                     "AND draft <> ''")).all()  # fmt: skip
    finally:
        engine.dispose()
    if not rows:
        return {"rows": 0, "note": NO_SENT}
    distances = [normalized_distance(d, s or "") for d, s in rows]
    return {"rows": len(rows), "mean_edit_distance": round(sum(distances) / len(distances), 4),
            "unchanged": sum(d == 0 for d in distances)}  # fmt: skip


def print_report(result: dict, echo: Callable[[str], None] = print) -> None:
    echo(f"{'category':<14} {'cases':>5} {'passed':>6} {'wrong/checked':>14} {'precision':>9} "
         f"{'found/needed':>13} {'recall':>7}")  # fmt: skip
    for cat, r in {**result["by_category"], "ALL": result}.items():
        echo(f"{cat:<14} {r['cases']:>5} {r['passed']:>6} {r['wrong']:>6}/{r['checked']:<7} "
             f"{r['precision']:>9.1%} {r['found']:>6}/{r['needed']:<6} {r['recall']:>7.1%}")  # fmt: skip
    t, met = result["targets"], result["met"]
    echo(f"precision {result['precision']:.1%} (target {t['precision']:.0%}: {'met' if met['precision'] else 'NOT met'}); "
         f"recall {result['recall']:.1%} (target >= {t['recall']:.0%}: {'met' if met['recall'] else 'NOT met'})")  # fmt: skip
    sent = result["sent_replies"]
    echo(f"sent replies: {sent['note']}" if not sent["rows"] else
         f"sent replies: {sent['rows']} with a draft; mean normalized edit distance draft -> sent "
         f"{sent['mean_edit_distance']:.3f} ({sent['unchanged']} sent unchanged)")  # fmt: skip
    echo(f"drafts with model text {result['llm_drafts']}/{result['cases']}; {result['wall_s']} s")
    for f in result["failures"]:
        echo(f"\nFAIL {f['id']} ({f['customer']}, intent {f['intent']}): {f['ticket']}")
        echo("  draft: " + f["draft"].replace("\n", "\n         "))
        for w in f["wrong"]:
            echo(f"  wrong: {w}")
        for m in f["missing"]:
            echo(f"  missing: {m}")
