"""Which products qualify for a request, decided by code over the whole catalog.

`qualifying_rows` is every product that passes the exact filters and is about the subject:
most of the subject's words in its title/brand/category, or a category or title close to it in
MiniLM space (so "something for a coffee lover" finds coffee without the word in a title, and
"car tyres" in a kitchen-and-home store finds nothing). Superlatives ("the two cheapest") are
taken over all of those rows, never over a retrieved top few.
"""

from __future__ import annotations

import numpy as np

# MiniLM cosines measured on the demo catalog: sold subjects ("perfume", "garden", "warm
# clothes") reach 0.66-1.0 against a category name, unsold ones ("jeans", "sunglasses",
# "car tyres") stay under 0.61; single products reach 0.5 against their own title text.
CATEGORY_RELEVANCE = 0.65
ITEM_RELEVANCE = 0.5
SUPERLATIVES = ("cheapest", "dearest", "best_rated")


def relevant_mask(store, searcher, subject: str) -> np.ndarray:
    """Rows about any comma-separated part of the subject ("puzzle, board game")."""
    n = len(store.index.ids)
    parts = [p.strip() for p in subject.split(",") if p.strip()]
    if not parts:
        return np.ones(n, dtype=bool)
    mask = np.zeros(n, dtype=bool)
    for part in parts:
        mask |= _relevant(store, searcher, part)
    return mask


def _relevant(store, searcher, subject: str) -> np.ndarray:
    """Rows about one subject: most of its words in the product's title/brand/category, or a
    category or title close to it in MiniLM space."""
    index = store.index
    n = len(index.ids)
    qvec = store.embedder.encode_one(subject)
    mask = (index.vectors[:n] @ qvec) >= ITEM_RELEVANCE
    cats, vecs = searcher.category_vectors()
    for cat, sims in zip(cats, vecs @ qvec, strict=True):
        if sims.max() >= CATEGORY_RELEVANCE:  # the leaf's rows, on this path only
            leaf_rows = index.rows_of("category", cat.split(">")[-1].strip())
            mask[[r for r in leaf_rows if getattr(index.products[r], "category", None) == cat]] = (
                True
            )
    hits, words = searcher.token_hits(subject)
    if words:
        mask |= 2 * hits[:n] > words
    return mask


def qualifying_rows(store, searcher, subject: str, filters, excluded=()) -> np.ndarray:
    """Row numbers of every product that satisfies the filters and is about the subject;
    `excluded` terms ("not plastic", no known brand or category) rule out titles naming them."""
    index = store.index
    n = len(index.ids)
    rows = np.flatnonzero(index.mask(filters)[:n] & relevant_mask(store, searcher, subject))
    if excluded:
        words = [t.lower() for t in excluded]
        keep = [not any(w in index.products[r].title.lower() for w in words) for r in rows]
        rows = rows[np.array(keep, dtype=bool)]
    return rows


def order_by_superlative(store, rows: np.ndarray, kind: str) -> np.ndarray:
    """Rows sorted so the first is the true superlative (ties: more reviews, then row); items
    without a price are left out of price orders."""
    index = store.index
    reviews = index.reviews[rows]
    if kind == "best_rated":
        primary = -np.nan_to_num(index.rating[rows], nan=-1.0)
    else:
        price = index.price[rows]
        keep = ~np.isnan(price)
        rows, price, reviews = rows[keep], price[keep], reviews[keep]
        primary = price if kind == "cheapest" else -price
    return rows[np.lexsort((rows, -reviews, primary))]


def superlative_truth(store, rows: np.ndarray) -> dict[str, str]:
    """The true cheapest / dearest / best rated product id over `rows` (two or more)."""
    out = {}
    if len(rows) >= 2:
        for kind in SUPERLATIVES:
            ordered = order_by_superlative(store, rows, kind)
            if len(ordered):
                out[kind] = store.index.ids[ordered[0]]
    return out


def top_category(store, searcher, subject: str) -> str | None:
    """The top-level category of the first product about the subject ("headphones" ->
    Electronics), else about its last word that finds one (the head noun of "can i return
    opened skincare"), or None."""
    from retrieval.storage.mirror import Filters

    words = [w for w in subject.replace(",", " ").split() if len(w) > 2]
    for text in dict.fromkeys([subject.strip(), *reversed(words)]):
        rows = qualifying_rows(store, searcher, text, Filters()) if text else []
        if len(rows):
            return store.index.products[rows[0]].category.split(">")[0].strip() or None
    return None


def titles_named(store, text: str) -> list[str]:
    """Ids of the catalog products whose full titles (12+ characters) the text contains, in the
    order they are mentioned ("the difference between <title> and <title>")."""
    low, hits = text.lower(), []
    for p in store.index.products:
        if p is not None and len(p.title) >= 12 and (at := low.find(p.title.lower())) >= 0:
            hits.append((at, at + len(p.title), p.product_id))
    keep = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and o != h for o in hits)]
    return list(dict.fromkeys(pid for _, _, pid in sorted(keep)))
