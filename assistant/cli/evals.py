"""`shopassist eval search|intents|grounding|conversations|drafts`: evaluation reports (`eval recs` lives in eval.py)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit, settings

DEFAULT_PAIRS = Path("../shared/data/bitext_support/pairs.csv")


@contextmanager
def _llm_runtime(cfg, backend: str | None):
    """The started LLM runtime for an evaluation (None for `--backend none`), closed after."""
    from assistant.llm import LLMUnavailable
    from assistant.runtime import start_llm

    if backend == "none":
        yield None
        return
    try:
        runtime = start_llm(cfg, backend)
    except LLMUnavailable as exc:
        fail(f"the LLM did not start: {exc}")
    try:
        yield runtime
    finally:
        runtime.close()


def register(app: typer.Typer) -> None:
    """Add these commands to the `eval` group."""
    app.command("intents")(intents)
    app.command("search")(search)
    app.command("grounding")(grounding)
    app.command("conversations")(conversations)
    app.command("drafts")(drafts)


def intents(
    pairs: Path = typer.Option(DEFAULT_PAIRS, help="Bitext pairs.csv (instruction, intent)."),
    tune_fraction: float = typer.Option(0.5, min=0.05, max=0.95, help="Share used to tune."),
    seed: int = typer.Option(0),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Intent accuracy on Bitext: every row scored, per intent and overall, tuning vs held-out."""
    from assistant.evals.intents import print_report, run_intent_eval

    if not pairs.exists():
        fail(f"{pairs} not found; pass --pairs PATH")
    result = run_intent_eval(pairs, tune_fraction=tune_fraction, seed=seed)
    emit_json(result) if as_json else print_report(result)


def search(
    queries: int = typer.Option(40, min=5, help="How many category-derived queries."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Relevance of dense, BM25 and hybrid arms, and filter exactness, on the loaded catalog."""
    from assistant.evals.search import run_search_eval

    store = open_store_or_exit()
    if len(store.index) == 0:
        fail("the store has no products; ingest a catalog first (e.g. the toys file)")
    result = run_search_eval(store, queries)
    if as_json:
        emit_json(result)
        return
    typer.echo(f"relevance over {result['relevance']['queries']} queries (no filters parsed):")
    for arm, m in result["relevance"]["arms"].items():
        typer.echo(f"  {arm:<14} P@10 {m['P@10']:.3f}  NDCG@10 {m['NDCG@10']:.3f}")
    ex = result["exactness"]
    typer.echo(f"filter exactness: {ex['violating_items']} of {ex['items']} items violate a "
               f"stated constraint ({ex['violation_rate']:.1%})")  # fmt: skip


def grounding(
    backend: str = typer.Option(None, "--backend", help="vllm (default), transformers, or none."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Scripted conversations on the demo store: constraint violations, invented ids, mismatches."""
    from assistant.evals.grounding import print_report, run_grounding_eval
    from assistant.runtime import build_engine
    from retrieval.ingest.seed import prepare_demo

    cfg = settings()
    store = open_store_or_exit()
    prepare_demo(store)
    with _llm_runtime(cfg, backend) as runtime:
        result = run_grounding_eval(build_engine(store, cfg, runtime))
    emit_json(result) if as_json else print_report(result)


def conversations(
    backend: str = typer.Option(None, "--backend", help="vllm (default), transformers, or none."),
    subset: str = typer.Option(None, "--subset", help="ci: the fixed 44-case CI subset."),
    catalog: str = typer.Option("all", "--catalog", help="demo, toys or all."),
    category: str = typer.Option(None, "--category", help="Only one category (e.g. basket)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N cases."),
    lang: str = typer.Option(
        "all", "--lang", help="en, zh (the Chinese cases and their English twins) or all."
    ),
    out: Path = typer.Option(None, "--out", help="Also write the JSON report here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """End-to-end conversations (shopping, orders, returns, policy, handoff) graded by an oracle."""
    import json

    from assistant.evals.conversations.run import (
        load_cases,
        print_report,
        run_conversation_eval,
        temporary_engines,
    )

    if subset not in (None, "ci") or catalog not in ("demo", "toys", "all"):
        fail("--subset takes ci; --catalog takes demo, toys or all")
    if lang not in ("en", "zh", "all"):
        fail("--lang takes en, zh or all")
    cases = load_cases(subset=subset, catalog=catalog, limit=limit, category=category, lang=lang)
    if not cases:
        fail(f"no cases match --category {category!r}")
    cfg = settings()
    log = lambda msg: typer.echo(msg, err=True)  # noqa: E731
    with _llm_runtime(cfg, backend) as runtime, temporary_engines(cfg, runtime, log=log) as factory:
        result = run_conversation_eval(factory, cases, progress=log)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
        )
    emit_json(result) if as_json else print_report(result, typer.echo)


def drafts(
    backend: str = typer.Option(None, "--backend", help="vllm (default), transformers, or none."),
    category: str = typer.Option(None, "--category", help="Only one category (e.g. returns)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N tickets."),
    out: Path = typer.Option(None, "--out", help="Also write the JSON report here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Agent reply drafts for scripted tickets: fact precision and recall graded by an oracle,
    and the edit distance from draft to sent reply where agents have sent some."""
    import json

    from assistant.evals.conversations.run import temporary_engines
    from assistant.evals.drafts.run import load_cases, print_report, run_draft_eval

    cases = load_cases(category=category, limit=limit)
    if not cases:
        fail(f"no tickets match --category {category!r}")
    cfg = settings()
    log = lambda msg: typer.echo(msg, err=True)  # noqa: E731
    with _llm_runtime(cfg, backend) as runtime, temporary_engines(cfg, runtime, log=log) as factory:
        engine, raw = factory("demo")
        result = run_draft_eval(
            engine, raw, cases, progress=log, replies_db=cfg.resolved_database_url
        )
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
        )
    emit_json(result) if as_json else print_report(result, typer.echo)
