"""Events and orders: times become UTC, synonyms map, bad rows are reported with line numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from retrieval.ingest.records import parse_ts, read_events, read_orders
from retrieval.types import InputFileError

EVENTS = "user_id,product_id,event,ts,quantity,rating,query\n"
ORDERS = "order_id,user_id,product_id,quantity,status,ordered_at,delivered_at\n"


def _write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:30:00Z", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("2024-05-01 10:30:00", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00+02:00", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("2024-05-01T10:30:00 UTC", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("1714559400", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        (1714559400, datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        (1714559400000, datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        (datetime(2024, 5, 1, 10, 30), datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        (date(2024, 5, 1), datetime(2024, 5, 1, tzinfo=UTC)),
        ("", None),
    ],
)
def test_times_become_aware_utc(value, expected):
    got = parse_ts(value)
    assert got == expected
    assert got is None or got.tzinfo == UTC


@pytest.mark.parametrize("value", ["05/01/2024", "yesterday", "2024-13-01"])
def test_unreadable_times_are_errors(value):
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_ts(value)


def test_events_map_synonyms_and_type_values(tmp_path):
    text = EVENTS + (
        "u1,p1,add_to_cart,2024-05-01,2,,\n"
        "u1,p1,Click,2024-05-01T10:00:00Z,,,\n"
        "u1,p2,buy,1714559400,1,,\n"
        "u1,,search,2024-05-02,,,red kettle\n"
        "u1,p2,rate,2024-05-03,,4.5 out of 5 stars,\n"
    )
    got = read_events(_write(tmp_path, text))
    assert got.rejects == []
    assert [r["event"] for r in got.records] == ["cart", "view", "purchase", "search", "rating"]
    cart, _, _, search, rating = got.records
    assert cart == {
        "user_id": "u1",
        "product_id": "p1",
        "event": "cart",
        "ts": datetime(2024, 5, 1, tzinfo=UTC),
        "quantity": 2,
        "rating": None,
        "query": None,
        "text": None,
    }
    assert search["product_id"] is None and search["query"] == "red kettle"
    assert rating["rating"] == 4.5


def test_bad_events_are_rejected_with_reasons_and_good_ones_land(tmp_path):
    text = EVENTS + (
        "u1,p1,view,2024-05-01,,,\n"
        ",p1,view,2024-05-01,,,\n"
        "u1,,view,2024-05-01,,,\n"
        "u1,,search,2024-05-01,,,\n"
        "u1,p1,wishlist,2024-05-01,,,\n"
        "u1,p1,view,someday,,,\n"
        "u1,p1,cart,2024-05-01,0,,\n"
        "u1,p1,rating,2024-05-01,,,\n"
        "u1,p1,view,2024-05-01,,,\n"
        "u2,p1,view,2024-05-01,,,\n"
    )
    got = read_events(_write(tmp_path, text))
    assert [(r.line, r.reason) for r in got.rejects] == [
        (3, "empty user_id"),
        (4, "a view event needs a product_id"),
        (5, "a search event needs a query"),
        (6, "unknown event 'wishlist' (use view, cart, purchase, return, rating, search, review)"),
        (7, "ts: 'someday' is not an ISO-8601 date/time or a unix timestamp"),
        (8, "quantity: quantity '0' is not a positive whole number"),
        (9, "a rating event needs a rating"),
        (10, "duplicate of line 2 (identical)"),
    ]
    assert [r["user_id"] for r in got.records] == ["u1", "u2"]
    assert got.duplicates == 1
    assert got.read == len(got.records) + len(got.rejects) == 10


def test_events_without_a_required_column_fail_with_a_map_hint(tmp_path):
    path = _write(tmp_path, "user,product_id,event,ts\nu1,p1,view,2024-05-01\n")
    with pytest.raises(InputFileError, match="no 'user_id' column.*--map user_id="):
        read_events(path)
    got = read_events(path, mapping={"user_id": "user"})
    assert got.records[0]["user_id"] == "u1"


def test_events_from_jsonl(tmp_path):
    text = '{"user_id": 7, "product_id": "p1", "event": "view", "ts": 1714559400}\n'
    got = read_events(_write(tmp_path, text, "e.jsonl"))
    assert got.records[0]["user_id"] == "7"
    assert got.records[0]["ts"] == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)


def test_orders_normalize_status_and_default_quantity(tmp_path):
    text = ORDERS + (
        "o1,u1,p1,,Dispatched,2024-05-01,\n"
        "o2,u1,p2,3,canceled,2024-05-02T09:00:00Z,\n"
        "o3,u1,p3,1,completed,2024-05-01,2024-05-04\n"
    )
    got = read_orders(_write(tmp_path, text))
    assert got.rejects == []
    assert [(r["order_id"], r["status"], r["quantity"]) for r in got.records] == [
        ("o1", "shipped", 1),
        ("o2", "cancelled", 3),
        ("o3", "delivered", 1),
    ]
    assert got.records[2]["delivered_at"] == datetime(2024, 5, 4, tzinfo=UTC)
    assert got.records[0]["delivered_at"] is None


def test_bad_orders_are_rejected_with_reasons(tmp_path):
    text = ORDERS + (
        "o1,u1,p1,1,lost,2024-05-01,\n"
        "o2,u1,p1,-2,placed,2024-05-01,\n"
        "o3,u1,p1,1.5,placed,2024-05-01,\n"
        "o4,u1,p1,1,delivered,2024-05-05,2024-05-01\n"
        "o5,u1,,1,placed,,\n"
        "o6,u1,p1,1,placed,2024-05-01,\n"
    )
    got = read_orders(_write(tmp_path, text))
    assert [(r.line, r.reason) for r in got.rejects] == [
        (
            2,
            "unknown status 'lost' (use placed, processing, shipped, delivered, cancelled, "
            "returned)",
        ),
        (3, "quantity: quantity '-2' is not a positive whole number"),
        (4, "quantity: quantity '1.5' is not a positive whole number"),
        (5, "delivered_at 2024-05-01 is before ordered_at 2024-05-05"),
        (6, "empty product_id; empty ordered_at"),
    ]
    assert [r["order_id"] for r in got.records] == ["o6"]


def test_repeated_order_lines_keep_file_order_and_warn(tmp_path):
    text = ORDERS + (
        "o1,u1,p1,1,placed,2024-05-01,\n"
        "o1,u1,p1,1,placed,2024-05-01,\n"
        "o1,u1,p1,1,shipped,2024-05-01,\n"
    )
    got = read_orders(_write(tmp_path, text))
    assert [r["status"] for r in got.records] == ["placed", "shipped"]
    assert [(r.line, r.reason) for r in got.rejects] == [(3, "duplicate of line 2 (identical)")]
    assert len(got.warnings) == 1 and "order o1, product p1" in got.warnings[0]


def test_orders_missing_status_column(tmp_path):
    path = _write(tmp_path, "order_id,user_id,product_id,ordered_at\no1,u1,p1,2024-05-01\n")
    with pytest.raises(InputFileError, match="no 'status' column"):
        read_orders(path)
