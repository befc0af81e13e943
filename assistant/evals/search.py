"""Search evaluation on a real catalog: relevance of each arm vs the hybrid, and filter exactness.

Relevance protocol: each query is a leaf category name with at least MIN_ITEMS products; an item
is relevant when that name is a level of its category path. Filters are NOT parsed for these
queries (parse=False), so ranking alone is measured. Arms: dense only, BM25 only, and the hybrid
at several BM25 weights; precision@10 and NDCG@10 averaged over queries.
Exactness: questions with price/rating/category/stock words; the share of returned items that
violate a parsed constraint, checked field by field against the stored products.
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

MIN_ITEMS = 20
ARMS = {"dense": (1.0, 0.0), "bm25": (0.0, 1.0), "hybrid w=0.1": (1.0, 0.1),
        "hybrid w=0.3": (1.0, 0.3), "hybrid w=0.6": (1.0, 0.6), "hybrid w=1.0": (1.0, 1.0)}  # fmt: skip
EXACTNESS_TEMPLATES = ["{leaf} under £{n}", "{leaf} rated 4.5+", "{leaf} between £5 and £{n}",
                       "{leaf} in stock under £{n}", "{leaf} over £{n} rated at least 4"]  # fmt: skip


def _queries(store, n: int, seed: int) -> list[str]:
    counts = Counter(lv for p in store.index.products if p for lv in set(p.category_levels()))
    leaves = sorted({p.category.split(">")[-1].strip().lower() for p in store.index.products
                     if p and p.category})  # fmt: skip
    eligible = [lv for lv in leaves if counts[lv] >= MIN_ITEMS]
    return random.Random(seed).sample(eligible, min(n, len(eligible)))


def _ndcg(rel: list[bool], k: int = 10) -> float:
    dcg = sum(1 / np.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
    ideal = sum(1 / np.log2(i + 2) for i in range(min(k, sum(rel) or 0))) or 1.0
    return dcg / ideal if sum(rel) else 0.0


def relevance(store, n_queries: int = 40, seed: int = 0) -> dict:
    """precision@10 and NDCG@10 per arm."""
    from retrieval.search.hybrid import Searcher

    queries = _queries(store, n_queries, seed)
    out = {}
    for arm, (dw, lw) in ARMS.items():
        searcher = Searcher(store, lexical_weight=lw, dense_weight=dw, mmr_lambda=1.0)
        p10, ndcg = [], []
        for q in queries:
            items = searcher.search(q, k=10, parse=False).items
            rel = [q in {lv.strip().lower() for lv in (i["category"] or "").split(">")}
                   for i in items]  # fmt: skip
            p10.append(sum(rel) / 10)
            ndcg.append(_ndcg(rel))
        out[arm] = {
            "P@10": round(float(np.mean(p10)), 4),
            "NDCG@10": round(float(np.mean(ndcg)), 4),
        }
    return {"queries": len(queries), "arms": out}


def _violations(item: dict, f) -> list[str]:
    bad = []
    price, rating = item["price"], item["rating"]
    if f.price_max is not None and (price is None or price > f.price_max or
                                    (price == f.price_max and not f.price_max_inclusive)):  # fmt: skip
        bad.append("price_max")
    if f.price_min is not None and (price is None or price < f.price_min or
                                    (price == f.price_min and not f.price_min_inclusive)):  # fmt: skip
        bad.append("price_min")
    if f.rating_min is not None and (rating is None or rating < f.rating_min):
        bad.append("rating_min")
    if f.in_stock and item["in_stock"] is not True:
        bad.append("in_stock")
    levels = {lv.strip().lower() for lv in (item["category"] or "").split(">")}
    if f.categories and not levels & set(f.categories):
        bad.append("category")
    return bad


def exactness(store, n_queries: int = 40, seed: int = 1) -> dict:
    """Share of returned items violating a constraint the query stated (target 0)."""
    from retrieval.search.hybrid import Searcher

    rnd = random.Random(seed)
    searcher = Searcher(store)
    n_items, n_bad, n_filtered = 0, 0, 0
    for leaf in _queries(store, n_queries, seed):
        q = rnd.choice(EXACTNESS_TEMPLATES).format(leaf=leaf, n=rnd.choice([10, 20, 30, 50]))
        result = searcher.search(q, k=50)
        n_filtered += bool(result.filters.to_dict())
        for item in result.items:
            n_items += 1
            n_bad += bool(_violations(item, result.filters))
    return {"questions": n_queries, "with_filters": n_filtered, "items": n_items,
            "violating_items": n_bad, "violation_rate": n_bad / max(n_items, 1)}  # fmt: skip


def run_search_eval(store, n_queries: int = 40) -> dict:
    """Both parts, as one JSON-able document."""
    return {"protocol": __doc__.strip(), "relevance": relevance(store, n_queries),
            "exactness": exactness(store, n_queries)}  # fmt: skip
