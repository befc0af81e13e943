"""Events and orders files → typed dict records (keys = SQL columns) plus Rejects with line numbers.

Decisions:
- Times: ISO-8601 date or date-time (`Z`, offsets, or none), or unix epoch seconds (values above
  1e11 are read as milliseconds) → timezone-aware UTC datetimes. A time without a zone is UTC.
  Day-first / month-first forms like 05/01/2024 are ambiguous and rejected.
- Event names: synonyms map to the canonical ones (`EVENT_SYNONYMS`), e.g. add_to_cart → cart,
  click / detail → view, buy / order / transaction → purchase.
- Order status: synonyms map to placed|processing|shipped|delivered|cancelled|returned
  (`STATUS_SYNONYMS`); anything else rejects the row.
- An exact repeat of an earlier row is rejected as "duplicate of line N (identical)" and counted
  in `.duplicates`, so `read == len(records) + len(rejects)`. Order lines with the same
  (order_id, product_id) but different content are all kept, in file order: later ones update
  earlier ones (status history), and a warning says how many.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from retrieval.ingest.catalog import clean_id, clean_text, is_empty, parse_rating
from retrieval.ingest.readers import apply_mapping, read_rows, require_columns
from retrieval.types import Reject

EVENT_FIELDS = ("user_id", "product_id", "event", "ts", "quantity", "rating", "query", "text")
ORDER_FIELDS = (
    "order_id",
    "user_id",
    "product_id",
    "quantity",
    "status",
    "ordered_at",
    "delivered_at",
)
EVENT_SYNONYMS = {
    "view": (
        "view",
        "click",
        "detail",
        "detail_view",
        "product_view",
        "page_view",
        "pageview",
        "viewed",
    ),
    "cart": ("cart", "add_to_cart", "addtocart", "add", "added_to_cart", "basket", "add_to_basket"),
    "purchase": ("purchase", "buy", "order", "transaction", "checkout", "bought", "purchased"),
    "return": ("return", "returned", "refund"),
    "rating": ("rating", "rate", "rated"),
    "search": ("search", "query", "searched"),
    "review": ("review", "reviewed"),
}
STATUS_SYNONYMS = {
    "placed": ("placed", "new", "pending", "created", "ordered", "received", "open"),
    "processing": (
        "processing",
        "in_progress",
        "preparing",
        "packed",
        "packing",
        "confirmed",
        "paid",
        "awaiting_shipment",
    ),
    "shipped": ("shipped", "dispatched", "in_transit", "out_for_delivery", "sent", "on_the_way"),
    "delivered": ("delivered", "completed", "complete", "fulfilled"),
    "cancelled": ("cancelled", "canceled", "void", "voided"),
    "returned": ("returned", "refunded", "return", "refund"),
}
_EVENTS = {s: canon for canon, names in EVENT_SYNONYMS.items() for s in names}
_STATUSES = {s: canon for canon, names in STATUS_SYNONYMS.items() for s in names}


@dataclass
class RecordsRead:
    """What reading one events/orders file gave: records, rejects (line + reason), warnings."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0  # data rows seen: len(records) + len(rejects)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0  # identical repeats (also in rejects)
    lines: list[int] = field(default_factory=list)  # the file line of each record


def _name_key(value: Any) -> str:
    return "_".join(re.split(r"[\s\-]+", clean_text(value).lower()))


def _epoch(seconds: float) -> datetime:
    if abs(seconds) > 1e11:
        seconds /= 1000.0  # milliseconds
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        msg = f"{seconds:g} is out of range for a unix timestamp"
        raise ValueError(msg) from None


def parse_ts(value: Any) -> datetime | None:
    """ISO-8601 date/date-time or unix epoch seconds → aware UTC datetime; None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _epoch(float(value))
    text = clean_text(value, unescape=False)
    if re.fullmatch(r"-?\d{9,}(?:\.\d+)?", text):
        return _epoch(float(text))
    text = re.sub(r"\s*(?:UTC|GMT)$", "+00:00", text, flags=re.I)
    try:
        got = datetime.fromisoformat(text)
    except ValueError:
        msg = f"'{value}' is not an ISO-8601 date/time or a unix timestamp"
        raise ValueError(msg) from None
    return got.replace(tzinfo=UTC) if got.tzinfo is None else got.astimezone(UTC)


def parse_quantity(value: Any, default: int | None = None) -> int | None:
    """A positive whole number ('2', 2.0); `default` when empty."""
    if is_empty(value):
        return default
    try:
        number = float(clean_text(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or number < 1:
        msg = f"quantity '{value}' is not a positive whole number"
        raise ValueError(msg)
    return int(number)


def _field(out: dict, errors: list[str], name: str, parse: Callable, value: Any) -> None:
    try:
        out[name] = parse(value)
    except ValueError as exc:
        errors.append(f"{name}: {exc}")


def normalize_event(row: dict[str, Any], line: int) -> dict[str, Any] | Reject:
    """One canonical-keyed event row → a typed record, or a Reject naming every problem."""
    errors: list[str] = []
    rec: dict[str, Any] = {
        "user_id": clean_id(row.get("user_id")) or None,
        "product_id": clean_id(row.get("product_id")) or None,
        "query": clean_text(row.get("query")) or None,
        "text": clean_text(row.get("text")) or None,
    }
    name = _name_key(row.get("event"))
    rec["event"] = _EVENTS.get(name)
    _field(rec, errors, "ts", parse_ts, row.get("ts"))
    _field(rec, errors, "quantity", parse_quantity, row.get("quantity"))
    _field(rec, errors, "rating", parse_rating, row.get("rating"))
    if not rec["user_id"]:
        errors.append("empty user_id")
    if not name:
        errors.append("empty event")
    elif rec["event"] is None:
        errors.append(f"unknown event '{row.get('event')}' (use {', '.join(EVENT_SYNONYMS)})")
    if "ts" in rec and rec["ts"] is None:
        errors.append("empty ts")
    if rec["event"] == "search" and not rec["query"]:
        errors.append("a search event needs a query")
    if rec["event"] not in (None, "search") and not rec["product_id"]:
        errors.append(f"a {rec['event']} event needs a product_id")
    if rec["event"] == "rating" and "rating" in rec and rec["rating"] is None:
        errors.append("a rating event needs a rating")
    if errors:
        return Reject(line, "; ".join(errors), row)
    return {k: rec[k] for k in EVENT_FIELDS}


def normalize_order(row: dict[str, Any], line: int) -> dict[str, Any] | Reject:
    """One canonical-keyed order row → a typed record, or a Reject naming every problem."""
    errors: list[str] = []
    rec: dict[str, Any] = {
        k: clean_id(row.get(k)) or None for k in ("order_id", "user_id", "product_id")
    }
    errors += [f"empty {k}" for k, v in rec.items() if not v]
    status = _name_key(row.get("status"))
    rec["status"] = _STATUSES.get(status)
    if not status:
        errors.append("empty status")
    elif rec["status"] is None:
        errors.append(f"unknown status '{row.get('status')}' (use {', '.join(STATUS_SYNONYMS)})")
    _field(rec, errors, "quantity", lambda v: parse_quantity(v, default=1), row.get("quantity"))
    _field(rec, errors, "ordered_at", parse_ts, row.get("ordered_at"))
    _field(rec, errors, "delivered_at", parse_ts, row.get("delivered_at"))
    if "ordered_at" in rec and rec["ordered_at"] is None:
        errors.append("empty ordered_at")
    placed, delivered = rec.get("ordered_at"), rec.get("delivered_at")
    if placed and delivered and delivered < placed:
        errors.append(f"delivered_at {delivered:%Y-%m-%d} is before ordered_at {placed:%Y-%m-%d}")
    if errors:
        return Reject(line, "; ".join(errors), row)
    return {k: rec[k] for k in ORDER_FIELDS}


def _read(
    path: str | Path,
    fmt: str | None,
    mapping: dict[str, str] | None,
    fields: tuple[str, ...],
    required: tuple[str, ...],
    normalize: Callable[[dict, int], dict | Reject],
) -> RecordsRead:
    """Shared loop: read rows, check columns, normalize, reject exact repeats."""
    source = read_rows(path, fmt)
    items = list(source)
    out = RecordsRead(read=len(items), warnings=list(source.warnings))
    if source.columns or not all(isinstance(i, Reject) for i in items):
        require_columns(source.path.name, source.columns, required, mapping, fields)
    seen: dict[tuple, int] = {}
    for item in items:
        if isinstance(item, Reject):
            out.rejects.append(item)
            continue
        line, raw = item
        row = apply_mapping(raw, mapping, fields)
        got = normalize(row, line)
        if isinstance(got, dict):
            key = tuple(got.values())
            if key in seen:
                out.duplicates += 1
                got = Reject(line, f"duplicate of line {seen[key]} (identical)", row)
            else:
                seen[key] = line
        if isinstance(got, Reject):
            out.rejects.append(got)
        else:
            out.records.append(got)
            out.lines.append(line)
    return out


def read_events(
    path: str | Path, fmt: str | None = None, mapping: dict[str, str] | None = None
) -> RecordsRead:
    """Read an events file; raises InputFileError when user_id, event or ts is missing."""
    return _read(path, fmt, mapping, EVENT_FIELDS, ("user_id", "event", "ts"), normalize_event)


def read_orders(
    path: str | Path, fmt: str | None = None, mapping: dict[str, str] | None = None
) -> RecordsRead:
    """Read an orders file; raises InputFileError when a required column is missing."""
    required = ("order_id", "user_id", "product_id", "status", "ordered_at")
    out = _read(path, fmt, mapping, ORDER_FIELDS, required, normalize_order)
    lines: dict[tuple[str, str], int] = {}
    for rec in out.records:
        key = (rec["order_id"], rec["product_id"])
        lines[key] = lines.get(key, 0) + 1
    repeated = [key for key, n in lines.items() if n > 1]
    if repeated:
        order, product = repeated[0]
        out.warnings.append(
            f"{len(repeated)} order line(s) appear more than once with different content "
            f"(e.g. order {order}, product {product}); later rows update earlier ones"
        )
    return out
