"""The same event sent at once by several clients (a retrying SDK, a double click) is stored once
and every sender gets 200 (issue 18, item 3: idempotent inserts)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.live import call

from .conftest import ADMIN, SHOPPER1, keyed_server

pytestmark = pytest.mark.integration


def test_identical_events_at_once_are_stored_once(store):
    lamp = {"product_id": "P9", "title": "Brass lamp", "price": 20, "category": "Home > Lighting"}
    event = {"user_id": "u001", "product_id": "P9", "event": "cart", "ts": "2026-11-30T10:00:00"}
    with keyed_server(store) as (url, _):
        call(f"{url}/v1/admin/products", "POST", {"upsert": [lamp]}, key=ADMIN)
        for _ in range(3):  # a few rounds: the race needs two inserts in the same moment
            with ThreadPoolExecutor(8) as pool:
                got = list(pool.map(lambda _: call(f"{url}/v1/events", "POST", event,
                                                   key=SHOPPER1), range(8)))  # fmt: skip
            assert [s for s, _, _ in got] == [200] * 8, got
        _, export, _ = call(f"{url}/v1/users/u001/export", key=SHOPPER1)
    assert len([e for e in export["events"] if e["product_id"] == "P9"]) == 1
