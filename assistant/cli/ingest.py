"""`shopassist ingest products|events|orders FILE`, `ingest policies DIR`."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit
from assistant.cli.remote import KeyOpt, LocalOpt, ServerOpt, find_server, refuse_if_served

app = typer.Typer(
    help="Load catalog, events, orders and policies into the store.", no_args_is_help=True
)

MapOpt = typer.Option(
    None, "--map", help="canonical=column, e.g. --map title=product_name (repeat)."
)
FormatOpt = typer.Option(None, "--format", help="csv | tsv | jsonl | parquet (default: extension).")
JsonOpt = typer.Option(False, "--json", help="Print the counts as one JSON document.")


def _mapping(pairs: list[str] | None) -> dict | None:
    if not pairs:
        return None
    from retrieval.ingest.readers import parse_mapping

    try:
        return parse_mapping(pairs)
    except ValueError as exc:
        fail(str(exc))


def _run(kind: str, fn, path: Path, as_json: bool, **kwargs) -> None:
    from retrieval.types import InputFileError

    store = open_store_or_exit()
    try:
        report = fn(store, path, progress=not as_json, **kwargs)
    except InputFileError as exc:
        fail(str(exc))
    _show(kind, report.to_dict(), as_json)


def _show(kind: str, report: dict, as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    typer.echo(
        f"{kind}: read {report['read']}, inserted {report['inserted']}, "
        f"updated {report['updated']}, unchanged {report['unchanged']}, "
        f"rejected {report['rejected']}"
        + (f", deleted {report['deleted']}" if report["deleted"] else "")
        + f" ({report['seconds']:.1f}s)"
    )
    for warning in report["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    if report["rejects_file"]:
        typer.echo(f"rejected rows with line numbers and reasons: {report['rejects_file']}")
    if report.get("via"):
        typer.echo(f"via: {report['via']}")


@app.command()
def products(
    file: Path = typer.Argument(..., help="Catalog file: CSV, TSV, JSONL or Parquet."),
    map_: list[str] = MapOpt,
    fmt: str = FormatOpt,
    delete_missing: bool = typer.Option(False, help="Delete products absent from the file."),
    as_json: bool = JsonOpt,
    server: str = ServerOpt,
    local: bool = LocalOpt,
    key: str = KeyOpt,
) -> None:
    """Validate, embed and upsert products; unchanged rows are not re-embedded. Through a running
    server when there is one (rows are read and validated here)."""
    from retrieval.ingest.products import ingest_products

    if (target := find_server(server, local, key)) is not None:
        from assistant.cli import via_server

        done = via_server.products(target, file, fmt, _mapping(map_), delete_missing)
        _show("products", done, as_json)
        return
    _run(
        "products",
        ingest_products,
        file,
        as_json,
        fmt=fmt,
        mapping=_mapping(map_),
        delete_missing=delete_missing,
    )


@app.command()
def events(
    file: Path = typer.Argument(...),
    map_: list[str] = MapOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    server: str = ServerOpt,
    local: bool = LocalOpt,
    key: str = KeyOpt,
) -> None:
    """Load user events (views, carts, purchases, …) into SQL and the user_history collection.
    Through a running server when there is one (rows are read and validated here)."""
    from retrieval.ingest.events import ingest_events

    if (target := find_server(server, local, key)) is not None:
        from assistant.cli import via_server

        _show("events", via_server.events(target, file, fmt, _mapping(map_)), as_json)
        return
    _run("events", ingest_events, file, as_json, fmt=fmt, mapping=_mapping(map_))


@app.command()
def orders(
    file: Path = typer.Argument(...),
    map_: list[str] = MapOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    local: bool = LocalOpt,
) -> None:
    """Load order lines (order_id, user_id, product_id, status, dates). Refused while a server
    holds the store's Chroma folder."""
    from retrieval.ingest.events import ingest_orders

    refuse_if_served(local)
    _run("orders", ingest_orders, file, as_json, fmt=fmt, mapping=_mapping(map_))


@app.command()
def policies(
    folder: Path = typer.Argument(..., help="Folder of Markdown policy/FAQ files."),
    as_json: bool = JsonOpt,
    local: bool = LocalOpt,
) -> None:
    """Chunk Markdown policies by heading into the policies collection (counts are per chunk).
    Refused while a server holds the store's Chroma folder."""
    from retrieval.ingest.events import ingest_policies

    refuse_if_served(local)
    _run("policies", ingest_policies, folder, as_json)
