"""`shopassist eval …`: offline evaluation reports."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.common import emit_json, fail

app = typer.Typer(
    help="Evaluate recommendations, search, intents, grounding.", no_args_is_help=True
)


@app.command("recs")
def recs(
    data_dir: Path = typer.Argument(..., help="Folder with items.tsv, valid.tsv, test.tsv."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    out: Path = typer.Option(None, "--out", help="Also write recs_eval.md/.json/.png here."),
    sample_users: int = typer.Option(
        None, "--sample-users", min=100, help="Score a deterministic sample of N users (CI)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the user samples."),
    rerank: bool = typer.Option(
        True, "--rerank/--no-rerank", help="LambdaMART second stage over the blend's top 100."
    ),
    neural: bool = typer.Option(
        None,
        "--neural/--no-neural",
        help="SASRec features for the re-ranker (~2 min); default: on unless --sample-users.",
    ),
) -> None:
    """Next-item HR@10, NDCG@10, MRR@100: ShopAssist vs popularity vs item co-occurrence."""
    from assistant.evals.recs import run_recs_eval
    from assistant.evals.recs_report import write_report

    try:
        result = run_recs_eval(
            data_dir,
            sample_users=sample_users,
            seed=seed,
            rerank=rerank,
            neural=neural,
            progress=None if as_json else lambda msg: typer.echo(msg, err=True),
        )
    except FileNotFoundError as exc:
        fail(str(exc))
    if out is not None:
        result["report"] = write_report(result, out)
    if as_json:
        emit_json(result)
        return
    typer.echo(f"{'model':<14}" + "".join(f"{m:>10}" for m in result["metrics"]))
    for name, m in result["models"].items():
        typer.echo(f"{name:<14}" + "".join(f"{m[k]:>10.4f}" for k in result["metrics"]))
    typer.echo(f"NDCG@10 ratio vs co-occurrence: {result['ndcg_ratio_vs_cooccurrence']}")
    typer.echo(f"blend weights: {result['blend']['weights']}")
    typer.echo("timings (s): " + ", ".join(f"{k} {v}" for k, v in result["timings"].items()))
    if out is not None:
        typer.echo(f"report: {result['report']['markdown']}")
