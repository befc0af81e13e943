"""`shopassist recommend`: what a user is likely to want next, with reasons."""

from __future__ import annotations

import typer

from assistant.cli.common import emit_json, open_store_or_exit


def register(app: typer.Typer) -> None:
    """Add this module's command to the top-level app."""
    app.command()(recommend)


def recommend(
    user: str = typer.Option(..., "--user", help="Recommend for this user id."),
    k: int = typer.Option(10, "--k", min=1, max=1000, help="How many items."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Next items for --user from everyone's event sequences, blended with the user's profile."""
    from retrieval.recs.recommend import recommend_for_user
    from retrieval.search.hybrid import money

    store = open_store_or_exit()
    items = recommend_for_user(store, user, k=k)
    if as_json:
        emit_json({"results": items})
        return
    if not items:
        typer.echo("No products to recommend yet; load a catalog first.")
    for n, item in enumerate(items, 1):
        price = money(item["price"], item["currency"]) if item["price"] is not None else "no price"
        typer.echo(f"{n:>2}. {item['title']}  {price}  [{item['product_id']}]")
        typer.echo(f"    why: {'; '.join(item['reasons'])}")
