"""Ingest throughput on the 10k toys file: ShopAssist vs a plain encode + collection.add loop.

Run: .venv/bin/python benchmarks/ingest_bench.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import TOYS_MAP, need_toys, table


def plain(products, folder: Path):
    """SentenceTransformer.encode(batch_size=64), then collection.add in batches of 5,000."""
    import chromadb
    from chromadb.config import Settings
    from sentence_transformers import SentenceTransformer

    from retrieval.storage.embeddings import bundled_model_path

    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    model.encode(["warm up"])
    t0 = time.perf_counter()
    texts = [p.embedding_text() for p in products]
    vecs = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    client = chromadb.PersistentClient(str(folder), settings=Settings(anonymized_telemetry=False))
    col = client.create_collection("plain", configuration={"hnsw": {"space": "cosine"}})
    for s in range(0, len(texts), 5000):
        col.add(
            ids=[p.product_id for p in products[s : s + 5000]],
            embeddings=vecs[s : s + 5000],
            documents=texts[s : s + 5000],
        )
    return time.perf_counter() - t0, model, vecs


def overlap(model, plain_vecs, store, products, n: int = 100) -> float:
    """Top-10 overlap over n category-name queries: fp32 plain path vs ShopAssist's vectors."""
    import random

    import numpy as np

    leaves = sorted({p.category.split(">")[-1].strip() for p in products if p.category})
    queries = random.Random(0).sample(leaves, n)
    ours = np.stack([store.index.vector_of(p.product_id) for p in products])
    qa = model.encode(queries, normalize_embeddings=True)
    qb = store.embedder.encode(queries)
    top_a = np.argsort(-(qa @ plain_vecs.T), axis=1)[:, :10]
    top_b = np.argsort(-(qb @ ours.T), axis=1)[:, :10]
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_a, top_b, strict=True)]))


def main() -> None:
    from retrieval.ingest.catalog import read_products
    from retrieval.ingest.products import ingest_products
    from retrieval.storage.embeddings import get_embedder
    from retrieval.storage.store import StoreConfig, open_store

    path = need_toys()
    embedder = get_embedder()
    embedder.encode(["warm up"])
    products = read_products(path, mapping=TOYS_MAP).products
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t_plain, model, plain_vecs = plain(products, Path(tmp) / "plain")
        rows.append(
            {
                "path": "plain encode(64) + add(5000)",
                "seconds": t_plain,
                "products/s": len(products) / t_plain,
            }
        )
        store = open_store(StoreConfig(data_dir=Path(tmp) / "sa"), embedder)
        t0 = time.perf_counter()
        first = ingest_products(store, path, mapping=TOYS_MAP)
        t_first = time.perf_counter() - t0
        rows.append(
            {
                "path": "shopassist ingest (fresh store, validation included)",
                "seconds": t_first,
                "products/s": first.read / t_first,
            }
        )
        t0 = time.perf_counter()
        again = ingest_products(store, path, mapping=TOYS_MAP)
        t_again = time.perf_counter() - t0
        rows.append(
            {
                "path": f"shopassist re-ingest (unchanged {again.unchanged}, embedded "
                f"{again.embedded})",
                "seconds": t_again,
                "products/s": again.read / t_again,
            }
        )
        ov = overlap(model, plain_vecs, store, products)
    print(table(rows))
    print(
        f"\nembedding dtype {embedder.dtype}; top-10 overlap with the fp32 plain path over "
        f"100 queries: {ov:.3f}"
    )
    print(
        f"\nfresh ingest speed-up vs plain: {t_plain / t_first:.2f}x; "
        f"re-ingest vs plain: {t_plain / t_again:.1f}x"
    )


if __name__ == "__main__":
    main()
