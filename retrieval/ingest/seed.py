"""First-run preparation: generate the demo store's files and ingest them (idempotent)."""

from __future__ import annotations

from pathlib import Path


def demo_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "demo"


def prepare_demo(store, progress: bool = False, force: bool = False) -> dict:
    """Generate demo files once and ingest them; a rerun inserts nothing new."""
    from retrieval.demo import generate_demo
    from retrieval.ingest.events import ingest_events, ingest_orders, ingest_policies
    from retrieval.ingest.products import ingest_products

    out = demo_dir(store.config.data_dir)
    marker = out / "products.csv"
    if force or not marker.exists() or not (out / "store.json").exists():
        generate_demo(out)
    reports = {
        "products": ingest_products(store, out / "products.csv", progress=progress),
        "events": ingest_events(store, out / "events.csv", progress=progress),
        "orders": ingest_orders(store, out / "orders.csv", progress=progress),
        "policies": ingest_policies(store, out / "policies", progress=progress),
    }
    return {kind: r.to_dict() for kind, r in reports.items()}


def reindex(store, progress: bool = False) -> dict:
    """Rebuild every collection with the current embedding model, from stored data."""
    from retrieval.ingest.events import add_history_docs
    from retrieval.ingest.products import upsert_products
    from retrieval.storage.mirror import metadata_to_product
    from retrieval.storage.schema import events

    saved = {}
    for name in ("products", "policies"):
        col = store.client.get_collection(name)
        saved[name] = col.get(include=["metadatas", "documents"])
    for name in ("products", "user_history", "policies"):
        store.client.delete_collection(name)
    store.reopen_collections()
    prods = [
        metadata_to_product(i, m)
        for i, m in zip(saved["products"]["ids"], saved["products"]["metadatas"], strict=True)
    ]
    counts = upsert_products(store, prods, progress=progress)
    pol = saved["policies"]
    store.upsert_documents("policies", pol["ids"], pol["documents"], pol["metadatas"])
    with store.engine.connect() as conn:
        recs = [dict(r._mapping) for r in conn.execute(events.select())]
    add_history_docs(store, recs)
    return {
        "products": counts["embedded"],
        "policy_chunks": len(pol["ids"]),
        "history_docs": len(recs),
    }
