"""Search latency at 10k and 100k products: ShopAssist (mirror) vs Chroma's where-filtered query.

Query embedding time is excluded from both sides (queries are embedded once in a warm-up pass)
and printed separately. 100k = the 10k toys catalog replicated 10x with jittered prices and
slightly perturbed vectors. Run: .venv/bin/python benchmarks/search_bench.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from common import TOYS_MAP, need_toys, pct, table


class CachedEmbedder:
    """Memoizes query embeddings so the benchmark times search, not the encoder."""

    def __init__(self, inner) -> None:
        self.inner, self.cache, self.model_id = inner, {}, inner.model_id

    def encode(self, texts, batch_size=64):
        return self.inner.encode(texts, batch_size)

    def encode_one(self, text):
        if text not in self.cache:
            self.cache[text] = self.inner.encode_one(text)
        return self.cache[text]


def build(size: int, products, vectors, folder: Path, embedder):
    from retrieval.storage.store import StoreConfig, open_store

    store = open_store(StoreConfig(data_dir=folder), embedder)
    rng = np.random.default_rng(0)
    for rep in range(size // len(products)):
        batch = (
            products
            if rep == 0
            else [
                replace(
                    p,
                    product_id=f"{p.product_id}-r{rep}",
                    price=None if p.price is None else round(p.price * rng.uniform(0.8, 1.2), 2),
                )
                for p in products
            ]
        )
        vecs = vectors if rep == 0 else vectors + rng.normal(0, 0.02, vectors.shape)
        vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
        for s in range(0, len(batch), 5000):
            store.write_products(batch[s : s + 5000], vecs[s : s + 5000])
    return store


def queries(products, n=60):
    rnd = random.Random(1)
    leaves = sorted({p.category.split(">")[-1].strip() for p in products if p.category})
    picked = rnd.sample(leaves, n)
    budgets = [10, 15, 20, 30, 50]
    return [(leaf, f"{leaf.lower()} under £{rnd.choice(budgets)} rated 4+") for leaf in picked]


def chroma_where(search_text: str, searcher):
    parsed = searcher.parse(search_text)
    f = parsed.filters
    conds = [{"price": {"$lt": f.price_max}}, {"rating": {"$gte": f.rating_min}}]
    if f.categories:
        conds.append({"$or": [{f"cat{i}": {"$in": list(f.categories)}} for i in range(4)]})
    return parsed.text or search_text, {"$and": conds}


def run(size: int, products, vectors, embedder, profile) -> list[dict]:
    from retrieval.search.hybrid import Searcher

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build(size, products, vectors, Path(tmp), embedder)
        print(f"built {size} products in {time.perf_counter() - t0:.0f}s", flush=True)
        searcher = Searcher(store)
        qs = queries(products)
        modes = {
            "shopassist unfiltered": lambda leaf, fq: searcher.search(leaf, k=10, parse=False),
            "shopassist filtered": lambda leaf, fq: searcher.search(fq, k=10),
            "shopassist personalized+filtered": lambda leaf, fq: searcher.search(
                fq, profile=profile, k=10
            ),
        }
        col = store.collection("products")
        plans = {fq: chroma_where(fq, searcher) for _, fq in qs}
        modes["chroma query (no filter)"] = lambda leaf, fq: col.query(
            query_embeddings=[embedder.encode_one(leaf)], n_results=10
        )
        modes["chroma query + where"] = lambda leaf, fq: col.query(
            query_embeddings=[embedder.encode_one(plans[fq][0])], n_results=10, where=plans[fq][1]
        )
        for name, fn in modes.items():
            for leaf, fq in qs:  # warm-up: embeds queries, builds BM25
                fn(leaf, fq)
            times = []
            for leaf, fq in qs * 2:
                t = time.perf_counter()
                fn(leaf, fq)
                times.append(time.perf_counter() - t)
            rows.append(
                {"products": size, "mode": name, "p50 ms": pct(times, 50), "p95 ms": pct(times, 95)}
            )
    return rows


def main() -> None:
    from retrieval.ingest.catalog import read_products
    from retrieval.search.profile import UserProfile
    from retrieval.storage.embeddings import get_embedder

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    inner = get_embedder()
    embedder = CachedEmbedder(inner)
    products = read_products(need_toys(), mapping=TOYS_MAP).products
    t0 = time.perf_counter()
    vectors = inner.encode([p.embedding_text() for p in products])
    print(f"embedded {len(products)} products in {time.perf_counter() - t0:.0f}s", flush=True)
    times = []
    for text in ["wooden train set", "board games for family", "lego star wars"] * 10:
        t = time.perf_counter()
        inner.encode_one(text)
        times.append(time.perf_counter() - t)
    profile = UserProfile(
        "bench",
        n_events=30,
        category_affinity={"board games": 1.0, "trains": 0.6, "games": 0.5},
        brand_affinity={"Hornby": 1.0, "Ravensburger": 0.7},
        price_band={"p25": 8.0, "median": 15.0, "p75": 25.0},
    )
    rows = []
    for size in args.sizes:
        rows += run(size, products, vectors, embedder, profile)
    print(table(rows))
    print(
        f"\nquery embedding (excluded above): p50 {pct(times, 50):.1f} ms, "
        f"p95 {pct(times, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
