"""`ingest products|events` and `forget-user` through a running server (see `remote.py`).

Files are read, normalized and validated here exactly as for a local ingest (rejects report with
line numbers in this data dir); only the good rows travel, in batches under the body limit."""

from __future__ import annotations

import html
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from assistant.cli.common import fail, settings
from assistant.cli.remote import Server, ServerError, batches, encode, item_bytes

MAX_PRODUCTS = 500  # per request: the server embeds them before it answers
MAX_DELETES = 2000
MAX_EVENTS = 1000
MAX_VALUES = 2000
_ESCAPED = ("title", "description", "brand", "category")  # the server html-unescapes these


def product_wire(product) -> dict:
    """A normalized Product as an `upsert` row that the server's normalization maps back to an
    equal Product (same content hash): text it unescapes goes escaped, numbers as numbers."""
    row = asdict(product)
    for name in _ESCAPED:
        row[name] = html.escape(row[name], quote=False)
    return row


def event_wire(rec: dict) -> dict:
    """A normalized event record as `POST /v1/admin/events` takes it (`ts` in ISO-8601)."""
    return {**rec, "ts": rec["ts"].isoformat()}


def _size(item) -> int:
    return len(encode(item[-1]))


def _too_big(line: int, wire: dict, row: dict):
    from retrieval.types import Reject

    n = len(encode(wire))
    return Reject(line, f"{n} bytes: too large to send through the server (at most "
                        f"{item_bytes()})", row)  # fmt: skip


def _lost(exc: ServerError, done: int, total: int, what: str):
    fail(f"{exc} ({done} of {total} {what} were sent; ingest is idempotent: run it again)")


def products(server: Server, path: Path, fmt, mapping, delete_missing: bool) -> dict:
    """`ingest products` through `server`; the report dict of a local ingest plus `via`."""
    from retrieval.ingest.catalog import read_products
    from retrieval.ingest.products import IngestReport, write_rejects
    from retrieval.types import InputFileError, Reject

    cfg, t0 = settings(), time.perf_counter()
    try:
        got = read_products(path, fmt=fmt, mapping=mapping, currency=cfg.currency)
    except InputFileError as exc:
        fail(str(exc))
    report = IngestReport(read=got.read, warnings=list(got.warnings))
    rejects, items, limit = list(got.rejects), [], item_bytes()
    for line, product in zip(got.lines, got.products, strict=True):
        wire = product_wire(product)
        if len(encode(wire)) > limit:
            rejects.append(_too_big(line, wire, asdict(product)))
        else:
            items.append((line, product, wire))
    sent = 0
    for batch in batches(items, _size, MAX_PRODUCTS):
        try:
            done = server.call("POST", "/v1/admin/products", {"upsert": [w for *_, w in batch]})
        except ServerError as exc:
            _lost(exc, sent, len(items), "products")
        for refused in done.get("rejected", []):
            line, product, _ = batch[refused["index"]]
            reason = f"refused by the server: {refused['reason']}"
            rejects.append(Reject(line, reason, asdict(product)))
        for key in ("inserted", "updated", "unchanged", "embedded"):
            setattr(report, key, getattr(report, key) + int(done.get(key, 0)))
        sent += len(batch)
    if delete_missing:
        keep = {p.product_id for p in got.products} | {
            str(r.row.get("product_id")) for r in got.rejects if r.row.get("product_id")
        }
        try:
            live = server.call("GET", "/v1/admin/products/ids")["ids"]
            gone = [pid for pid in live if pid not in keep]
            for batch in batches(gone, lambda x: len(encode(x)), MAX_DELETES):
                report.deleted += int(server.call("POST", "/v1/admin/products",
                                                  {"delete": batch})["deleted"])  # fmt: skip
        except ServerError as exc:
            fail(f"{exc} (all products were sent; {report.deleted} deletions were made)")
    rejects.sort(key=lambda r: r.line)
    report.rejected = len(rejects)
    report.rejects_file = write_rejects(cfg.data_dir, "products", rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return {**report.to_dict(), "via": server.url}


def events(server: Server, path: Path, fmt, mapping) -> dict:
    """`ingest events` through `server`; the report dict of a local ingest plus `via`."""
    from pydantic import ValidationError

    from assistant.server.protocol import EventRecord, describe_errors
    from retrieval.ingest.events import drop_forgotten_rejects, event_warnings, row_values
    from retrieval.ingest.products import IngestReport, write_rejects
    from retrieval.ingest.records import read_events
    from retrieval.types import InputFileError, Reject

    cfg, t0 = settings(), time.perf_counter()
    try:
        got = read_events(path, fmt=fmt, mapping=mapping)
    except InputFileError as exc:
        fail(str(exc))
    report = IngestReport(read=got.read, warnings=list(got.warnings))
    rejects, items, limit = list(got.rejects), [], item_bytes()
    for line, rec in zip(got.lines, got.records, strict=True):
        wire = event_wire(rec)
        try:
            EventRecord.model_validate(wire)
        except ValidationError as exc:
            reason = f"not accepted by the server's event model: {describe_errors(exc)}"
            rejects.append(Reject(line, reason, wire))
            continue
        if len(encode(wire)) > limit:
            rejects.append(_too_big(line, wire, wire))
        else:
            items.append((line, wire))
    sent, forgotten_rows, unknown = 0, 0, set()
    for batch in batches(items, _size, MAX_EVENTS):
        try:
            done = server.call("POST", "/v1/admin/events", {"events": [w for _, w in batch]})
        except ServerError as exc:
            _lost(exc, sent, len(items), "events")
        report.inserted += int(done["inserted"])
        report.unchanged += int(done["unchanged"])
        report.embedded += int(done.get("embedded", 0))
        forgotten_rows += int(done.get("forgotten_user_rows", 0))
        unknown.update(done.get("unknown_products", []))
        sent += len(batch)
    report.warnings += event_warnings(forgotten_rows, len(unknown))
    values = sorted(v for v in row_values(rejects) if 0 < len(v) <= 512)
    gone: set[str] = set()
    try:  # a forgotten user's rejected rows are not kept anywhere either
        for batch in batches(values, lambda x: len(encode(x)), MAX_VALUES):
            done = server.call("POST", "/v1/admin/events", {"check_forgotten": batch})
            gone.update(done.get("forgotten", []))
    except ServerError as exc:
        fail(f"{exc} (all events were sent; no rejects report was written)")
    report.rejected = len(rejects)  # as locally: a forgotten user's rows count, unwritten
    rejects = sorted(drop_forgotten_rejects(rejects, gone), key=lambda r: r.line)
    report.rejects_file = write_rejects(cfg.data_dir, "events", rejects)
    report.seconds = round(time.perf_counter() - t0, 3)
    return {**report.to_dict(), "via": server.url}


def forget(server: Server, user_id: str) -> dict:
    """`forget-user` through `server`: its reply, plus rows scrubbed from this data dir's
    rejects reports (where ingests through the server wrote theirs)."""
    from assistant.desk.privacy import scrub_rejects

    try:
        reply = server.call("DELETE", f"/v1/users/{quote(user_id, safe='')}")
    except ServerError as exc:
        fail(str(exc))
    local = scrub_rejects(settings().data_dir / "rejects", user_id)
    return {**reply, "via": server.url, "local_rejects_rows": local}
