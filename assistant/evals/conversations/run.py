"""`shopassist eval conversations`: play every case turn by turn against the real engine and grade
the answers as shown (text + cards) with the oracle, which reads the store's raw files.

Each catalog gets a fresh temporary data dir (the user's store is never touched); the engine and
the oracle share a fixed today, 2026-11-01 (the demo generator's DEFAULT_NOW).
"""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from assistant.evals.conversations.oracle import check_case, load_store, sentences
from assistant.evals.conversations.oracle_basket import check_basket_case

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.jsonl"
CASES_ZH = HERE / "cases_zh.jsonl"  # Chinese twins of English cases: the same "expect"
TODAY = date(2026, 11, 1)
TOYS_CSV = HERE.parents[3] / "shared" / "data" / "amazon_uk_toys" / "products.csv"
TOYS_ROWS = 2000
TOYS_MAPPING = {"product_id": "uniq_id", "title": "product_name", "category": "amazon_category_and_sub_category",
                "brand": "manufacturer", "price": "price_gbp", "in_stock": "number_available_in_stock",
                "review_count": "number_of_reviews", "rating": "average_rating"}  # fmt: skip
SHOPPING = {"gift_open_search", "superlatives", "comparisons", "multi_turn", "personalisation"}

# engine_factory(catalog) -> (engine, oracle store dict), or None when that catalog is unavailable
EngineFactory = Callable[[str], "tuple[object, dict] | None"]


def load_cases(
    path: Path = CASES, subset: str | None = None, catalog: str = "all", limit: int | None = None,
    category: str | None = None, lang: str = "en",
) -> list[dict]:  # fmt: skip
    """The cases of `path` (English) and, for `lang` "zh" or "all", the Chinese ones; "zh" also
    plays each Chinese case's English twin, so the report compares them in one run."""
    cases = _read(path) if lang in ("en", "all") else []
    if lang in ("zh", "all"):
        chinese = _read(CASES_ZH)
        if lang == "zh":
            twins = {c["twin"] for c in chinese}
            cases = [c for c in _read(path) if c["id"] in twins]
        cases += chinese
    if subset == "ci":
        cases = [c for c in cases if c["subset_ci"]]
    if catalog != "all":
        cases = [c for c in cases if c["catalog"] == catalog]
    if category:
        cases = [c for c in cases if c["category"] == category]
    return cases[:limit] if limit else cases


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def play(engine, case: dict) -> tuple[list[dict], dict]:
    """Every turn of `case` through the engine; the turns as shown and grounding/prose counts."""
    messages: list[dict] = []
    turns, stats = [], {"dropped": 0, "kept": 0, "llm_turns": 0}
    for text in case["turns"]:
        messages.append({"role": "user", "content": text})
        result = engine.answer(messages, case["user"])
        messages.append({"role": "assistant", "content": result.answer})
        turns.append({"user": text, "answer": result.answer, "cards": result.cards, "ticket_id": result.ticket_id,
                      "intent": result.intent, "llm_text_used": result.llm_text_used,
                      "dropped": [list(d) for d in result.dropped]})  # fmt: skip
        stats["dropped"] += len(result.dropped)
        stats["kept"] += len(sentences(result.answer))
        stats["llm_turns"] += bool(result.llm_text_used)
    return turns, stats


def _rate(passed: int, cases: int) -> dict:
    return {
        "cases": cases,
        "passed": passed,
        "pass_rate": round(passed / cases, 4) if cases else 0.0,
    }


def run_conversation_eval(engine_factory: EngineFactory, cases: list[dict], today: date = TODAY,
                          progress: Callable[[str], None] | None = None) -> dict:  # fmt: skip
    """Play and grade `cases`; the report documented in the README ("Evaluation")."""
    t0, graded, skipped, ready = time.perf_counter(), [], [], {}
    for case in cases:
        if case["catalog"] not in ready:
            ready[case["catalog"]] = engine_factory(case["catalog"])
        if ready[case["catalog"]] is None:
            skipped.append(case["id"])
            continue
        engine, store = ready[case["catalog"]]
        turns, stats = play(engine, case)
        grade = check_basket_case if case["expect"]["kind"] == "basket" else check_case
        verdict = grade(case, turns, store, today)
        graded.append((case, turns, stats, verdict))
        if progress:
            progress(f"{case['id']:<24} {'ok' if verdict['passed'] else 'FAIL'}")
    return report(graded, skipped, time.perf_counter() - t0)


def report(graded: list, skipped: list[str], wall: float) -> dict:
    by_cat: dict[str, list[int]] = {}
    by_catalog: dict[str, list[int]] = {}
    for case, _, _, v in graded:
        for table, key in ((by_cat, case["category"]), (by_catalog, case["catalog"])):
            table.setdefault(key, [0, 0])
            table[key][0] += v["passed"]
            table[key][1] += 1
    dropped = sum(s["dropped"] for _, _, s, _ in graded)
    kept = sum(s["kept"] for _, _, s, _ in graded)
    shop = [(s["llm_turns"], len(c["turns"])) for c, _, s, _ in graded if c["category"] in SHOPPING]
    passed = sum(v["passed"] for *_, v in graded)
    return {
        **_rate(passed, len(graded)),
        "by_category": {k: _rate(*v) for k, v in sorted(by_cat.items())},
        "by_catalog": {k: _rate(*v) for k, v in sorted(by_catalog.items())},
        "violations": sum(len(v["violations"]) for *_, v in graded),
        **_chinese(graded),
        "dropped_sentence_share": round(dropped / (dropped + kept), 4) if dropped + kept else 0.0,
        "model_prose_share_shopping": round(
            sum(u for u, _ in shop) / max(1, sum(n for _, n in shop)), 4
        ),
        "skipped": skipped,
        "failures": [
            {
                "id": c["id"],
                "turns": c["turns"],
                "answers": [t["answer"] for t in turns],
                "cards": [[x["product_id"] for x in t["cards"]] for t in turns],
                "violations": v["violations"],
                "misses": v["misses"],
            }
            for c, turns, _, v in graded
            if not v["passed"]
        ],  # fmt: skip
        "dropped": [  # what grounding took out of the model's text, and why
            {"id": c["id"], "turn": n, "text": text, "reason": why}
            for c, turns, _, _ in graded
            for n, t in enumerate(turns, 1)
            for text, why in t.get("dropped", [])
        ],
        "wall_s": round(wall, 1),
    }


def _chinese(graded: list) -> dict:
    """The Chinese cases' pass rate beside their English twins' (those played in this run)."""
    zh = [(c, v["passed"]) for c, *_, v in graded if c.get("lang") == "zh"]
    if not zh:
        return {}
    passed = {c["id"]: v["passed"] for c, *_, v in graded}
    twins = [passed[c["twin"]] for c, _ in zh if c["twin"] in passed]
    mine, theirs = _rate(sum(p for _, p in zh), len(zh)), _rate(sum(twins), len(twins))
    gap = round(100 * (theirs["pass_rate"] - mine["pass_rate"]), 1) if twins else None
    return {"chinese": {**mine, "twins": theirs, "gap_points": gap}}


def print_report(result: dict, echo: Callable[[str], None] = print) -> None:
    echo(f"{'category':<18} {'cases':>5} {'passed':>6} {'rate':>6}")
    for cat, r in {**result["by_category"], "ALL": result}.items():
        echo(f"{cat:<18} {r['cases']:>5} {r['passed']:>6} {r['pass_rate']:>6.1%}")
    echo(
        "by catalog: "
        + ", ".join(f"{k} {v['passed']}/{v['cases']}" for k, v in result["by_catalog"].items())
    )
    echo(f"per-fact violations {result['violations']}; dropped sentences {result['dropped_sentence_share']:.1%}; "
         f"model prose in shopping turns {result['model_prose_share_shopping']:.1%}; {result['wall_s']} s")  # fmt: skip
    if "chinese" in result:
        zh = result["chinese"]
        echo(f"chinese {zh['passed']}/{zh['cases']} ({zh['pass_rate']:.1%}); their English twins "
             f"{zh['twins']['passed']}/{zh['twins']['cases']} ({zh['twins']['pass_rate']:.1%}); "
             f"gap {zh['gap_points']} points")  # fmt: skip
    if result["skipped"]:
        echo(f"skipped {len(result['skipped'])} cases (catalog unavailable)")


def _toys_subset(data_dir: Path) -> Path:
    subset = data_dir / "toys_subset.csv"
    with (
        open(TOYS_CSV, encoding="utf-8", newline="") as src,
        open(subset, "w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.reader(src)
        csv.writer(dst).writerows(
            [next(reader), *(r for _, r in zip(range(TOYS_ROWS), reader, strict=False))]
        )
    return subset


@contextlib.contextmanager
def temporary_engines(
    settings, llm, today: date = TODAY, embedder=None, log=print
) -> Iterator[EngineFactory]:
    """An engine factory over fresh temporary stores: the demo store, the first 2,000 toys rows."""
    from assistant.runtime import build_engine
    from retrieval.ingest.products import ingest_products
    from retrieval.ingest.seed import demo_dir, prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    if embedder is None:
        from retrieval.storage.embeddings import get_embedder

        embedder = get_embedder()
    with tempfile.TemporaryDirectory(prefix="shopassist-conv-") as tmp:

        def factory(catalog: str):
            data_dir = Path(tmp) / catalog
            if catalog == "toys" and not TOYS_CSV.exists():
                log(f"{TOYS_CSV} not found: toys cases skipped")
                return None
            store = open_store(StoreConfig(data_dir=data_dir), embedder)
            if catalog == "demo":
                prepare_demo(store)
                raw = load_store(demo_dir(data_dir))
            else:
                ingest_products(store, _toys_subset(data_dir), mapping=TOYS_MAPPING)
                raw = load_store(TOYS_CSV, TOYS_ROWS)
            return build_engine(store, settings, llm, today=today), raw

        yield factory
