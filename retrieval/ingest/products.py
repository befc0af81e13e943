"""Catalog ingestion: read → validate → plan by content hash → embed what changed → upsert."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from retrieval.types import Product, Reject

CHUNK = 512


@dataclass
class IngestReport:
    """What an ingest did; the JSON shape of `shopassist ingest … --json`."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    embedded: int = 0
    rejects_file: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def write_rejects(data_dir: Path, kind: str, rejects: list[Reject]) -> str | None:
    """Write rejected rows (line, reason, row) to a JSONL report; None when there are none."""
    if not rejects:
        return None
    folder = Path(data_dir) / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{kind}-{stamp}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for r in rejects:
            fh.write(r.to_json() + "\n")
    return str(path)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="item",
        disable=not enabled or total == 0,
        file=sys.stderr,
        leave=False,
    )


def upsert_products(store, products: list[Product], progress: bool = False) -> dict[str, int]:
    """Insert/update products by content hash; embeds only new or re-worded ones."""
    plan = store.plan_products(products)
    store.write_products(plan["meta"])  # metadata-only changes keep their embeddings
    # Globally length-sorted, so each batch pads little (the order of writes doesn't matter).
    to_embed = sorted(plan["new"] + plan["reembed"], key=lambda p: len(p.embedding_text()))
    bar = _progress(len(to_embed), "embedding", progress)
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for start in range(0, len(to_embed), CHUNK):
            chunk = to_embed[start : start + CHUNK]
            vectors = store.embedder.encode([p.embedding_text() for p in chunk])
            if pending is not None:
                pending.result()
            pending = writer.submit(store.write_products, chunk, vectors)
            bar.update(len(chunk))
        if pending is not None:
            pending.result()
    bar.close()
    return {
        "inserted": len(plan["new"]),
        "updated": len(plan["reembed"]) + len(plan["meta"]),
        "unchanged": len(plan["unchanged"]),
        "embedded": len(to_embed),
    }


def ingest_products(
    store,
    path,
    fmt: str | None = None,
    mapping: dict | None = None,
    delete_missing: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Ingest a catalog file; bad rows go to the rejects report, good rows always land."""
    from retrieval.ingest.catalog import read_products

    t0 = time.perf_counter()
    got = read_products(path, fmt=fmt, mapping=mapping, currency=store.config.currency)
    report = IngestReport(read=got.read, rejected=len(got.rejects), warnings=list(got.warnings))
    counts = upsert_products(store, got.products, progress=progress)
    for key, value in counts.items():
        setattr(report, key, value)
    if delete_missing:
        keep = {p.product_id for p in got.products} | {
            str(r.row.get("product_id")) for r in got.rejects if r.row.get("product_id")
        }
        gone = [pid for pid in store.index.live_ids() if pid not in keep]
        report.deleted = store.delete_products(gone)
    report.rejects_file = write_rejects(store.config.data_dir, "products", got.rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return report
