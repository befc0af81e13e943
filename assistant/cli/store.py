"""Store commands: search, profile, demo, stats, reindex, doctor."""

from __future__ import annotations

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit, settings
from assistant.cli.remote import LocalOpt, refuse_if_served


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    for fn in (search, profile, demo, stats, reindex, doctor):
        app.command()(fn)


def search(
    query: str = typer.Argument(..., help="What the shopper typed, e.g. 'board games under £20'."),
    user: str = typer.Option(None, "--user", help="Personalize for this user id."),
    k: int = typer.Option(10, "--k", min=1, max=10000, help="How many results."),
    max_price: float = typer.Option(None, help="Price ceiling (inclusive)."),
    min_price: float = typer.Option(None, help="Price floor (inclusive)."),
    min_rating: float = typer.Option(None, help="Rating floor."),
    category: list[str] = typer.Option(None, help="Category at any level of the path (repeat)."),
    brand: list[str] = typer.Option(None, help="Brand (repeat)."),
    in_stock: bool = typer.Option(False, "--in-stock", help="Only items known to be in stock."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Hybrid search with filters parsed from the words, personalized for --user."""
    from retrieval.search.hybrid import Searcher, money
    from retrieval.search.profile import user_profile
    from retrieval.storage.mirror import Filters

    store = open_store_or_exit()
    explicit = Filters(
        price_max=max_price,
        price_min=min_price,
        rating_min=min_rating,
        in_stock=True if in_stock else None,
        categories=tuple(c.lower() for c in category or ()),
        brands=tuple(b.lower() for b in brand or ()),
    )
    prof = user_profile(store, user) if user else None
    result = Searcher(store).search(query, profile=prof, k=k, filters=explicit)
    if as_json:
        emit_json(result.to_json())
        return
    if result.parsed.matched:
        typer.echo("understood: " + "; ".join(result.parsed.matched))
    if result.parsed.currency_note:
        typer.echo("note: " + result.parsed.currency_note)
    if not result.items:
        typer.echo("No products match those filters.")
    for n, item in enumerate(result.items, 1):
        price = money(item["price"], item["currency"]) if item["price"] is not None else "no price"
        rating = f"{item['rating']:.1f}★" if item["rating"] is not None else "unrated"
        typer.echo(f"{n:>2}. {item['title']}  {price}  {rating}  [{item['product_id']}]")
        typer.echo(f"    why: {'; '.join(item['reasons'])}")


def profile(
    user: str = typer.Option(..., "--user"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """What the user's behavior says: affinities, price band, purchases, sizes."""
    from retrieval.search.profile import user_profile

    prof = user_profile(open_store_or_exit(), user)
    if prof.is_empty:
        fail(f"no events for user {user!r}", code=1)
    if as_json:
        emit_json(prof.to_dict())
        return
    typer.echo(f"{user}: {prof.n_events} events, last active {prof.last_active}")
    typer.echo(
        "categories: "
        + ", ".join(f"{c} {v:.2f}" for c, v in list(prof.category_affinity.items())[:6])
    )
    typer.echo(
        "brands: " + ", ".join(f"{b} {v:.2f}" for b, v in list(prof.brand_affinity.items())[:6])
    )
    if prof.price_band:
        typer.echo(f"price band: {prof.price_band['p25']}–{prof.price_band['p75']}")


def demo(
    force: bool = typer.Option(False, help="Regenerate the demo files first."),
    as_json: bool = typer.Option(False, "--json"),
    local: bool = LocalOpt,
) -> None:
    """Generate the demo store (products, shoppers, orders, policies) and load it. Refused while
    a server holds the store's Chroma folder."""
    from retrieval.ingest.seed import prepare_demo

    refuse_if_served(local)
    reports = prepare_demo(open_store_or_exit(), progress=not as_json, force=force)
    if as_json:
        emit_json(reports)
        return
    for kind, r in reports.items():
        typer.echo(
            f"{kind}: inserted {r['inserted']}, updated {r['updated']}, "
            f"unchanged {r['unchanged']}, rejected {r['rejected']}"
        )


def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Counts of products, documents, events and orders in the store."""
    doc = open_store_or_exit().stats()
    if as_json:
        emit_json(doc)
        return
    for key, value in doc.items():
        typer.echo(f"{key}: {value}")


def reindex(as_json: bool = typer.Option(False, "--json"), local: bool = LocalOpt) -> None:
    """Rebuild all embeddings with this install's model (after a model or schema change).
    Refused while a server holds the store's Chroma folder."""
    from retrieval.ingest.seed import reindex as run_reindex
    from retrieval.storage.store import open_store

    refuse_if_served(local)
    store = open_store(settings().store_config(), check=False)
    done = run_reindex(store, progress=not as_json)
    emit_json(done) if as_json else typer.echo(
        f"re-embedded {done['products']} products, {done['policy_chunks']} policy chunks, "
        f"{done['history_docs']} history documents"
    )


def doctor(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check the install offline: model files, store, versions."""
    from assistant.cli.doctor import run_checks

    checks = run_checks(settings())
    if as_json:
        emit_json({"ok": all(c["ok"] for c in checks), "checks": checks})
    else:
        for c in checks:
            typer.echo(f"[{'ok' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}")
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)
