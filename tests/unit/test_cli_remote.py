"""What the CLI sends to a server: rows that the server maps back to the very records a local
ingest stores (same content hash, same event key), in batches under the body limit."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from assistant.cli.remote import batches, encode, find_server, item_bytes, probe
from assistant.cli.via_server import event_wire, product_wire
from assistant.server.protocol import MAX_BODY_BYTES, EventRecord
from retrieval.ingest.catalog import normalize_product
from retrieval.ingest.events import _naive_utc
from retrieval.ingest.records import EVENT_FIELDS, EVENT_SYNONYMS, normalize_event
from retrieval.storage.schema import event_key
from retrieval.types import Product

ROWS = [
    {"product_id": "p1", "title": "Oak Train &amp; Track", "description": "Fish &amp;amp;notably <b>x</b>",
     "category": "Toys &gt; Wooden Toys", "brand": "Tinker &amp Co", "price": "£1,299.00",
     "rating": "8/10", "in_stock": "5 new", "attributes": '{"colour": "red", "size": [1, 2]}',
     "material": "oak"},
    {"product_id": "12.0", "title": " Café   Mug ", "price": "", "in_stock": "pre-order",
     "currency": "USD", "image_url": "http://x/a&amp;b.png"},
    {"product_id": "p3", "title": "Tea Tin", "price": 0, "in_stock": "sold out", "review_count": "1,234 reviews"},
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=["entities", "unknowns", "zero"])
def test_a_product_survives_the_servers_normalization_unchanged(row):
    local = normalize_product(row, 2, "GBP")
    assert isinstance(local, Product)
    wire = json.loads(encode(product_wire(local)))  # as the server reads the body
    again = normalize_product(wire, 1, "GBP")
    assert again == local and again.content_hash() == local.content_hash()


def test_an_event_keeps_its_key_through_the_wire_model():
    row = {"user_id": "u1", "product_id": "p1", "event": "Add to cart", "ts": "2024-03-01T10:00:00.25+02:00",
           "quantity": "2", "rating": "4,5", "text": "nice &amp; warm"}  # fmt: skip
    local = normalize_event(row, 2)
    assert isinstance(local, dict)
    rec = EventRecord.model_validate(json.loads(encode(event_wire(local)))).model_dump()
    assert set(rec) == set(EVENT_FIELDS)
    mine, theirs = dict(local), dict(rec)
    for r in (mine, theirs):
        r["ts"] = _naive_utc(r["ts"])
    assert theirs == mine and event_key(theirs) == event_key(mine)


def test_the_wire_model_takes_exactly_the_canonical_events():
    names = set(EventRecord.model_fields["event"].annotation.__args__)
    assert names == set(EVENT_SYNONYMS)
    with pytest.raises(ValueError, match="needs a product_id"):
        EventRecord(user_id="u1", event="view", ts=datetime.now(UTC))
    with pytest.raises(ValueError, match="needs a query"):
        EventRecord(user_id="u1", event="search", ts=datetime.now(UTC))


def test_batches_stay_under_the_body_limit_and_the_item_cap():
    items = [{"text": "x" * 5000, "n": i} for i in range(200)]
    got = list(batches(items, lambda x: len(encode(x)), max_items=1000))
    assert [x for b in got for x in b] == items
    assert all(len(encode({"upsert": b})) < MAX_BODY_BYTES * 0.8 for b in got)
    assert len(got) > 1
    capped = list(batches(range(25), lambda x: 1, max_items=10))
    assert [len(b) for b in capped] == [10, 10, 5]
    assert item_bytes() < MAX_BODY_BYTES


def test_no_server_is_found_fast_on_a_free_port(monkeypatch, tmp_path):
    import assistant.cli.remote as remote
    from assistant.llm.vllm_server import free_port

    (tmp_path / "chroma").mkdir()  # an embedded store here: the configured address is probed
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPASSIST_SERVE_PORT", str(free_port()))
    monkeypatch.delenv("SHOPASSIST_CHROMA_MODE", raising=False)
    seen = []
    monkeypatch.setattr(remote, "probe", lambda *a, **k: seen.append(a) or probe(*a, **k))
    t0 = time.monotonic()
    assert find_server(None, False, None) is None
    assert time.monotonic() - t0 < 2 and len(seen) == 1
    assert probe("http://127.0.0.1:1", 0.5, trust_env=False)[0].startswith("no answer")


@pytest.mark.parametrize("mode", ["memory", "persistent"])
def test_a_store_no_server_can_hold_is_never_probed(monkeypatch, tmp_path, mode):
    """A memory store, or an embedded one whose folder does not exist yet."""
    import assistant.cli.remote as remote

    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPASSIST_CHROMA_MODE", mode)
    monkeypatch.setattr(remote, "probe", lambda *a, **k: pytest.fail("probed"))
    assert find_server(None, False, None) is None
