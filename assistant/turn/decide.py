"""Decide with code: which items qualify, which is cheapest / best rated, how two items compare.

The model is handed these as facts; it never ranks, filters or compares on its own.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.facts import (
    AttributeDiff,
    BestFor,
    Comparing,
    Fact,
    ItemDetails,
    PriceGap,
    RatingGap,
    SamePrice,
    SameRating,
    SizeGap,
    Superlative,
)
from assistant.prompts import price_text
from retrieval.storage.mirror import Filters

PROMPT_ITEMS = 3  # evidence items per shopping turn (a small model copes with few)


def describe_filters(f: Filters, currency: str) -> str:
    """'under £30.00, rated 4.0 or more, in board games, not Lego' (empty when unconstrained)."""
    parts = []
    if f.price_min is not None and f.price_max is not None:
        parts.append(
            f"between {price_text(f.price_min, currency)} and {price_text(f.price_max, currency)}"
        )
    elif f.price_max is not None:
        word = "up to" if f.price_max_inclusive else "under"
        parts.append(f"{word} {price_text(f.price_max, currency)}")
    elif f.price_min is not None:
        word = "from" if f.price_min_inclusive else "over"
        parts.append(f"{word} {price_text(f.price_min, currency)}")
    if f.rating_min is not None:
        parts.append(f"rated {f.rating_min:g} or more")
    names = [n.replace(" > ", " ") for n in (*f.categories, *f.brands_or_categories)]
    if names:
        parts.append("in " + " or ".join(names))
    if f.brands:
        parts.append("by " + " or ".join(f.brands))
    excluded = [n.replace(" > ", " ") for n in (*f.exclude_brands, *f.exclude_categories)]
    if excluded:
        parts.append("not " + " or ".join(excluded))
    return ", ".join(parts)


def shopping_filters(f: Filters) -> Filters:
    """The filters a shopping turn applies: the conversation's plus 'in stock' (cards are buyable)."""
    return replace(f, in_stock=True)


def satisfies(item: dict, f: Filters) -> bool:
    """Does an item JSON satisfy the price / rating / stock filters? (names are checked by search)."""
    price, rating = item.get("price"), item.get("rating")
    if f.price_max is not None and (
        price is None or price > f.price_max or (not f.price_max_inclusive and price == f.price_max)
    ):
        return False
    if f.price_min is not None and (
        price is None or price < f.price_min or (not f.price_min_inclusive and price == f.price_min)
    ):
        return False
    if f.rating_min is not None and (rating is None or rating < f.rating_min):
        return False
    return not (f.in_stock and item.get("in_stock") is False)


def superlatives(items: list[dict]) -> dict[str, str]:
    """Which evidence item is cheapest, dearest and best rated (ties: first listed)."""
    out: dict[str, str] = {}
    priced = [i for i in items if i.get("price") is not None]
    if len(priced) >= 2:
        out["cheapest"] = min(priced, key=lambda i: i["price"])["product_id"]
        out["dearest"] = max(priced, key=lambda i: i["price"])["product_id"]
    rated = [i for i in items if i.get("rating") is not None]
    if len(rated) >= 2:
        out["best_rated"] = max(rated, key=lambda i: i["rating"])["product_id"]
    return out


def superlative_facts(
    items: list[dict], tags: dict[str, str], kind: str = "cheapest", total: int | None = None
) -> list[Fact]:
    """The asked superlative with the prompt's tags, where `items` are already in superlative
    order over every qualifying item (`total` of them): "[P1] is the cheapest …"."""
    if not items or kind not in ("cheapest", "dearest", "best_rated"):
        return []
    first = items[0]
    value = first.get("rating") if kind == "best_rated" else first.get("price")
    if value is None:
        return []
    cur = first.get("currency") or "GBP"
    return [Superlative(tags[first["product_id"]], kind, value, cur, total)]


_LIGHTER = (("weight_g", "lighter", "heavier", "g"), ("capacity_ml", "smaller", "larger", "ml"))


def compare_facts(
    items: list[dict], attributes: dict[str, dict], tags: dict[str, str]
) -> list[Fact]:
    """Price, rating and numeric-attribute comparisons of the first two items, decided by code."""
    if len(items) < 2:
        return []
    a, b = items[0], items[1]
    ta, tb = tags[a["product_id"]], tags[b["product_id"]]
    cur = a.get("currency") or "GBP"
    facts: list[Fact] = []
    if a.get("price") is not None and b.get("price") is not None and a["price"] != b["price"]:
        lo, hi = (a, b) if a["price"] < b["price"] else (b, a)
        facts.append(
            PriceGap(tags[lo["product_id"]], tags[hi["product_id"]], lo["price"], hi["price"], cur)
        )
    elif a.get("price") is not None and a.get("price") == b.get("price"):
        facts.append(SamePrice(ta, tb, a["price"], cur))
    if a.get("rating") is not None and b.get("rating") is not None:
        if a["rating"] != b["rating"]:
            hi, lo = (a, b) if a["rating"] > b["rating"] else (b, a)
            facts.append(
                RatingGap(
                    tags[hi["product_id"]], tags[lo["product_id"]], hi["rating"], lo["rating"]
                )
            )
        else:
            facts.append(SameRating(ta, tb, a["rating"]))
    attrs_a, attrs_b = attributes.get(a["product_id"], {}), attributes.get(b["product_id"], {})
    for key, less, _more, unit in _LIGHTER:
        va, vb = attrs_a.get(key), attrs_b.get(key)
        if isinstance(va, int | float) and isinstance(vb, int | float) and va != vb:
            small, big = (ta, tb) if va < vb else (tb, ta)
            facts.append(SizeGap(small, big, less, min(va, vb), max(va, vb), unit))
    for key in sorted(set(attrs_a) & set(attrs_b)):
        va, vb = attrs_a[key], attrs_b[key]
        if isinstance(va, str) and isinstance(vb, str) and va != vb and len(facts) < 6:
            facts.append(AttributeDiff(key, ta, va, tb, vb))
    return facts


def compared(products, gaps: bool = True) -> tuple[list[dict], dict[str, str], list[Fact]]:
    """The first four products as items tagged P1, P2…, and the facts decided about them: how
    they differ (price, rating, attributes; when `gaps`), then each one's details."""
    from retrieval.search.hybrid import item_json

    items = [item_json(p, 1.0, ["you asked about it"]) for p in products[:4]]
    tags = {i["product_id"]: f"P{n}" for n, i in enumerate(items, 1)}
    attrs = {p.product_id: p.attributes for p in products}
    facts = compare_facts(items, attrs, tags) if gaps else []
    facts += [ItemDetails(tags[p.product_id], tuple((k, str(v)) for k, v in p.attributes.items()))
              for p in products[:4] if p.attributes]  # fmt: skip
    return items, tags, facts


def compare_answer(facts: list[Fact], tags: list[str]) -> list[Fact]:
    """The whole answer to a comparison, decided by code: the items compared, how they differ
    (`facts` from `compare_facts`), and which to pick for what."""
    decided = [f for f in facts if not isinstance(f, ItemDetails)]
    cheaper = next((f.cheaper for f in decided if isinstance(f, PriceGap)), None)
    rated = next((f.higher for f in decided if isinstance(f, RatingGap)), None)
    pick = [BestFor(cheaper, rated)] if cheaper and rated else []
    return [Comparing(tuple(tags)), *decided, *pick]
