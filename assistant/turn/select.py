"""Which products qualify for a request, decided by code over the whole catalog.

`qualifying_rows` is every in-stock product that passes the exact filters and is about the
subject: a title/brand/category word match, or MiniLM similarity at least RELEVANCE to the
subject (so "something for a coffee lover" finds coffee without the word in a title, and
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
_category_cache: dict[int, tuple[int, list[str], np.ndarray]] = {}


def _category_vectors(store) -> tuple[list[str], np.ndarray]:
    """Each category path of the catalog, with the better of its path's and leaf's vectors."""
    index = store.index
    cached = _category_cache.get(id(index))
    if cached and cached[0] == index.version:
        return cached[1], cached[2]
    cats = sorted({p.category for p in index.products if p is not None and p.category})
    paths = store.embedder.encode([c.replace(">", " ") for c in cats], dtype="float32")
    leaves = store.embedder.encode([c.split(">")[-1].strip() for c in cats], dtype="float32")
    vecs = np.stack([paths, leaves], axis=1) if cats else np.zeros((0, 2, 384), np.float32)
    _category_cache[id(index)] = (index.version, cats, vecs)
    return cats, vecs


def relevant_mask(store, subject: str) -> np.ndarray:
    """Rows about any comma-separated part of the subject ("puzzle, board game")."""
    parts = [p.strip() for p in subject.split(",") if p.strip()]
    if len(parts) <= 1:
        return _relevant(store, subject)
    mask = _relevant(store, parts[0])
    for part in parts[1:]:
        mask |= _relevant(store, part)
    return mask


def _relevant(store, subject: str) -> np.ndarray:
    """Rows about the subject: most of its words in the product's title/brand/category, or a
    category or title close to it in MiniLM space."""
    from retrieval.search import lexical_tokens

    index = store.index
    n = len(index.ids)
    if not subject.strip():
        return np.ones(n, dtype=bool)
    qvec = store.embedder.encode_one(subject)
    mask = (index.vectors[:n] @ qvec) >= ITEM_RELEVANCE
    cats, vecs = _category_vectors(store)
    near = {
        c for c, sims in zip(cats, vecs @ qvec, strict=True) if sims.max() >= CATEGORY_RELEVANCE
    }
    words = set(lexical_tokens(subject))
    for row, p in enumerate(index.products[:n]):
        if p is None or mask[row]:
            continue
        if p.category in near:
            mask[row] = True
        elif words:
            have = words & set(
                lexical_tokens(f"{p.title} {p.brand} {p.category.replace('>', ' ')}")
            )
            mask[row] = 2 * len(have) > len(words)
    return mask


def qualifying_rows(store, subject: str, filters) -> np.ndarray:
    """Row numbers of every product that satisfies the filters and is about the subject."""
    index = store.index
    n = len(index.ids)
    mask = index.mask(filters)[:n] & relevant_mask(store, subject)
    return np.flatnonzero(mask)


def order_by_superlative(store, rows: np.ndarray, kind: str) -> np.ndarray:
    """Rows sorted so the first is the true superlative (ties: more reviews, then id)."""
    index = store.index
    ids = [index.ids[r] for r in rows]
    reviews = index.reviews[rows]
    if kind == "best_rated":
        rating = np.nan_to_num(index.rating[rows], nan=-1.0)
        keys = sorted(range(len(rows)), key=lambda i: (-rating[i], -reviews[i], ids[i]))
    else:
        price = index.price[rows]
        sign = 1.0 if kind == "cheapest" else -1.0
        known = [i for i in range(len(rows)) if not np.isnan(price[i])]
        keys = sorted(known, key=lambda i: (sign * price[i], -reviews[i], ids[i]))
    return rows[np.array(keys, dtype=int)] if keys else rows[:0]
