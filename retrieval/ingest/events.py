"""Events, orders and policies ingestion: SQL rows plus Chroma documents for semantic recall."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select

from retrieval.ingest.products import IngestReport, write_rejects
from retrieval.storage.schema import event_key, events, insert_new, orders

_VERBS = {
    "view": "viewed",
    "cart": "added to cart",
    "purchase": "bought",
    "return": "returned",
    "rating": "rated",
    "review": "reviewed",
    "search": "searched for",
}
_BATCH = 2000


def _naive_utc(ts: datetime | None) -> datetime | None:
    if ts is None or ts.tzinfo is None:
        return ts
    return ts.astimezone(UTC).replace(tzinfo=None)


def history_text(rec: dict, product) -> str:
    """A sentence a person would recognize: 'bought Hartwell Blue Kettle (Kitchen > Kettles)…'."""
    verb = _VERBS.get(rec["event"], rec["event"])
    day = rec["ts"].strftime("%Y-%m-%d")
    if rec["event"] == "search":
        return f"{verb} '{rec.get('query') or ''}' on {day}"
    what = product.title if product else f"product {rec.get('product_id')}"
    where = f" ({product.category})" if product and product.category else ""
    extra = f", {rec['rating']:g} stars" if rec.get("rating") is not None else ""
    note = f": {rec['text'][:200]}" if rec.get("text") else ""
    return f"{verb} {what}{where} on {day}{extra}{note}"


def ingest_events(store, path, fmt=None, mapping=None, progress: bool = False) -> IngestReport:
    """Events into SQL (deduplicated by content) and the user_history collection."""
    from retrieval.ingest.records import read_events

    t0 = time.perf_counter()
    got = read_events(path, fmt=fmt, mapping=mapping)
    report = IngestReport(read=got.read, rejected=len(got.rejects), warnings=list(got.warnings))
    done = store_event_records(store, got.records)
    report.inserted, report.unchanged = done["inserted"], done["unchanged"]
    report.embedded = done["embedded"]
    report.warnings += event_warnings(done["forgotten_user_rows"], len(done["unknown_products"]))
    rejects = _not_forgotten(store, got.rejects)  # a forgotten user's rows are not kept anywhere
    report.rejects_file = write_rejects(store.config.data_dir, "events", rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def event_warnings(forgotten_rows: int, unknown_products: int) -> list[str]:
    """The warnings an events ingest reports (the same locally and through a server)."""
    out = []
    if forgotten_rows:
        out.append(f"{forgotten_rows} events of forgotten users were not ingested")
    if unknown_products:
        out.append(f"{unknown_products} events name products not in the catalog")
    return out


def store_event_records(store, records: list[dict]) -> dict:
    """Already-normalized event records (the keys of `retrieval.ingest.records.EVENT_FIELDS`; `ts` a
    datetime, UTC when naive) into SQL and the user_history collection: keyed by content hash
    (a record stored before is `unchanged`), and a forgotten user's records dated up to their
    forgetting are dropped. The file ingest and `POST /v1/admin/events` both write through here."""
    recs = []
    for rec in records:
        rec = dict(rec)
        rec["ts"] = _naive_utc(rec["ts"])
        rec["event_key"] = event_key(rec)
        recs.append(rec)
    recs, skipped = drop_forgotten(store, recs)
    unique = {r["event_key"]: r for r in recs}
    known = _existing_event_keys(store, list(unique))
    new = [r for k, r in unique.items() if k not in known]
    cols = [c.name for c in events.columns]
    with store.write_lock, store.engine.begin() as conn:
        for start in range(0, len(new), _BATCH):
            batch = [{c: r.get(c) for c in cols} for r in new[start : start + _BATCH]]
            conn.execute(insert_new(conn, events), batch)
    add_history_docs(store, new)
    embedded = sum(1 for r in new if r["event"] == "search" or not _has_vec(store, r))
    unknown = {r["product_id"] for r in new if r.get("product_id")} - set(store.index.row_of)
    return {"inserted": len(new), "unchanged": len(recs) - len(new), "embedded": embedded,
            "forgotten_user_rows": skipped, "unknown_products": sorted(unknown)}  # fmt: skip


def record_events(store, rows: list[dict]) -> dict:
    """Events from a live source (the HTTP API): validated like a file's rows, deduplicated."""
    from retrieval.ingest.records import normalize_event
    from retrieval.types import Reject

    recs, rejects = [], []
    for n, row in enumerate(rows, start=1):
        rec = normalize_event({**row, "ts": row.get("ts") or datetime.now(UTC).isoformat()}, n)
        if isinstance(rec, Reject):
            rejects.append({"index": n - 1, "reason": rec.reason})
            continue
        rec["ts"] = _naive_utc(rec["ts"])
        rec["event_key"] = event_key(rec)
        recs.append(rec)
    recs, skipped = drop_forgotten(store, recs)
    cols = [c.name for c in events.columns]
    with store.write_lock:  # check and write as one step here; ON CONFLICT across processes
        known = _existing_event_keys(store, [r["event_key"] for r in recs])
        new = list({r["event_key"]: r for r in recs if r["event_key"] not in known}.values())
        with store.engine.begin() as conn:
            if new:
                conn.execute(insert_new(conn, events), [{c: r.get(c) for c in cols} for r in new])
        add_history_docs(store, new)
    return {"inserted": len(new), "unchanged": len(recs) - len(new), "rejected": rejects,
            "forgotten_user_rows": skipped}  # fmt: skip


def drop_forgotten(store, recs: list[dict]) -> tuple[list[dict], int]:
    """The records minus those of forgotten users dated up to their forgetting; (kept, dropped)."""
    from retrieval.storage.schema import forgotten_before

    with store.engine.connect() as conn:
        gone = forgotten_before(conn, [r["user_id"] for r in recs])
    if not gone:
        return recs, 0
    kept = [r for r in recs if r["user_id"] not in gone or r["ts"] > gone[r["user_id"]]]
    return kept, len(recs) - len(kept)


def row_values(rejects: list) -> set[str]:
    """Every value in rejected rows, as stripped text (any of them may name a user)."""
    return {str(v).strip() for r in rejects for v in (r.row or {}).values() if v is not None}


def forgotten_among(store, values) -> set[str]:
    """Those of `values` that are forgotten users."""
    from retrieval.storage.schema import forgotten_before

    values = set(values)
    if not values:
        return set()
    with store.engine.connect() as conn:
        return set(forgotten_before(conn, values))


def drop_forgotten_rejects(rejects: list, gone: set[str]) -> list:
    """Rejected rows, minus any with a value in `gone` (forgotten users)."""
    return [r for r in rejects if not gone or not any(
        str(v).strip() in gone for v in (r.row or {}).values())]  # fmt: skip


def _not_forgotten(store, rejects: list) -> list:
    """Rejected rows, minus any that name a forgotten user."""
    return drop_forgotten_rejects(rejects, forgotten_among(store, row_values(rejects)))


def _has_vec(store, rec: dict) -> bool:
    return (
        rec.get("product_id") is not None and store.index.vector_of(rec["product_id"]) is not None
    )


def _existing_event_keys(store, keys: list[str]) -> set[str]:
    found: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            q = select(events.c.event_key).where(events.c.event_key.in_(chunk))
            found.update(row[0] for row in conn.execute(q))
    return found


def add_history_docs(store, recs: list[dict]) -> None:
    """One user_history document per event; product events reuse the product's embedding."""
    if not recs:
        return
    texts, metas, vectors, to_encode = [], [], [], []
    for i, rec in enumerate(recs):
        product = store.get_product(rec["product_id"]) if rec.get("product_id") else None
        texts.append(history_text(rec, product))
        meta = {
            "user_id": rec["user_id"],
            "event": rec["event"],
            "ts": int(rec["ts"].replace(tzinfo=UTC).timestamp()),
        }
        if rec.get("product_id"):
            meta["product_id"] = rec["product_id"]
        metas.append(meta)
        vec = store.index.vector_of(rec["product_id"]) if product else None
        vectors.append(vec)
        if vec is None:
            to_encode.append(i)
    encoded = store.embedder.encode([texts[i] for i in to_encode])
    for j, i in enumerate(to_encode):
        vectors[i] = encoded[j]
    stacked = np.stack([v for v in vectors if v is not None])  # every slot is filled above
    store.upsert_documents("user_history", [r["event_key"] for r in recs], texts, metas, stacked)


def ingest_orders(store, path, fmt=None, mapping=None, progress: bool = False) -> IngestReport:
    """Order lines into SQL, keyed by (order_id, product_id): new, changed or unchanged."""
    from retrieval.ingest.records import read_orders

    t0 = time.perf_counter()
    got = read_orders(path, fmt=fmt, mapping=mapping)
    report = IngestReport(read=got.read, rejected=len(got.rejects), warnings=list(got.warnings))
    cols = [c.name for c in orders.columns]
    with store.write_lock, store.engine.begin() as conn:
        existing = {
            (r.order_id, r.product_id): dict(r._mapping) for r in conn.execute(select(orders))
        }
        for rec in got.records:
            row = {c: rec.get(c) for c in cols}
            for key in ("ordered_at", "delivered_at"):
                row[key] = _naive_utc(row[key])
            old = existing.get((row["order_id"], row["product_id"]))
            if old is None:
                conn.execute(orders.insert(), [row])
                report.inserted += 1
            elif old != row:
                conn.execute(
                    orders.update()
                    .where(
                        (orders.c.order_id == row["order_id"])
                        & (orders.c.product_id == row["product_id"])
                    )
                    .values(**row)
                )
                report.updated += 1
            else:
                report.unchanged += 1
            existing[(row["order_id"], row["product_id"])] = row
    report.rejects_file = write_rejects(store.config.data_dir, "orders", got.rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def ingest_policies(store, folder, progress: bool = False) -> IngestReport:
    """Markdown policies chunked by heading into the policies collection (re-embeds changes only)."""
    from retrieval.ingest.policies import chunk_policies

    t0 = time.perf_counter()
    got = chunk_policies(folder)
    chunks, rejects = got.chunks, got.rejects
    report = IngestReport(read=len(chunks) + len(rejects), rejected=len(rejects))
    col = store.collection("policies")
    ids = [c.chunk_id for c in chunks]
    old = col.get(ids=ids, include=["documents"]) if ids else {"ids": [], "documents": []}
    before = dict(zip(old["ids"], old["documents"], strict=True))
    changed = [c for c in chunks if before.get(c.chunk_id) != c.text]
    report.unchanged = len(chunks) - len(changed)
    report.inserted = sum(1 for c in changed if c.chunk_id not in before)
    report.updated = len(changed) - report.inserted
    metas = [
        {
            "file": c.file,
            "section": c.section,
            "heading_path": " > ".join(c.heading_path)
            if isinstance(c.heading_path, list | tuple)
            else str(c.heading_path),
        }
        for c in changed
    ]
    store.upsert_documents(
        "policies", [c.chunk_id for c in changed], [c.text for c in changed], metas
    )
    report.embedded = len(changed)
    files = {c.file for c in chunks}
    stale = col.get(where={"file": {"$in": sorted(files)}}, include=[]) if files else {"ids": []}
    gone = [i for i in stale["ids"] if i not in set(ids)]
    if gone:
        col.delete(ids=gone)
        report.deleted = len(gone)
    report.rejects_file = write_rejects(store.config.data_dir, "policies", rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return report
