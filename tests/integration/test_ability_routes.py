"""The ability routes on a live server: each returns code-decided facts equal to the store's
values, under the same per-user rules as the rest of the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from retrieval.storage.schema import orders

from .live import call, live_server

pytestmark = pytest.mark.integration
KEYS = "adm=admin,s1=shopper:u001"


@pytest.fixture(scope="module")
def server(demo_store):
    store, _ = demo_store
    with live_server(store, None, api_keys=KEYS) as (url, service):
        yield url, service


def _order_of(store, user: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(orders.c.order_id).where(orders.c.user_id == user)).first()[0]


def test_product_and_compare_state_the_store_values(server):
    url, service = server
    a, b = service.store.index.live_ids()[:2]
    pa, pb = service.store.get_product(a), service.store.get_product(b)
    status, got, _ = call(f"{url}/v1/products/{a}", key="s1")
    assert status == 200 and got["price"] == pa.price and got["title"] == pa.title
    assert call(f"{url}/v1/products/NOPE-1", key="s1")[0] == 404
    status, cmp, _ = call(f"{url}/v1/compare", "POST", {"product_ids": [a, b, "NOPE-1"]}, key="s1")
    assert status == 200 and cmp["unknown"] == ["NOPE-1"] and len(cmp["items"]) == 2
    if pa.price != pb.price:
        gap = next(f for f in cmp["facts"] if f["kind"] == "PriceGap")
        assert {gap["low"], gap["high"]} == {pa.price, pb.price}
        assert f"{min(pa.price, pb.price):.2f}" in cmp["text"]
    assert call(f"{url}/v1/compare", "POST", {"product_ids": [a]}, key="s1")[0] == 400


def test_orders_and_returns_are_the_callers_own(server):
    url, service = server
    mine, theirs = _order_of(service.store, "u001"), _order_of(service.store, "u002")
    status, got, _ = call(f"{url}/v1/users/u001/orders", key="s1")
    assert status == 200 and got["orders"] and {o["user_id"] for o in got["orders"]} == {"u001"}
    assert call(f"{url}/v1/users/u002/orders", key="s1")[0] == 403
    _, other, _ = call(f"{url}/v1/users/u001/orders?order_id={theirs}", key="s1")
    assert other["orders"] == [] and f"no order {theirs}" in other["text"]
    _, verdict, _ = call(f"{url}/v1/returns/eligibility", "POST", {"order_id": mine}, key="s1")
    assert verdict["facts"] and verdict["facts"][0]["order_id"] == mine
    assert verdict["text"].split(":")[0] in ("Yes", "No", "Yes, if it is unopened")
    _, leak, _ = call(f"{url}/v1/returns/eligibility", "POST", {"order_id": theirs}, key="s1")
    assert leak["facts"][0]["kind"] == "NoSuchOrder"


def test_stated_returns_and_policies_cite_the_rules(server):
    url, service = server
    pid = service.store.index.live_ids()[0]
    window = service.engine.config.rules.return_window_days
    late = {"product_id": pid, "days_since_delivery": window + 5, "opened": False}
    status, got, _ = call(f"{url}/v1/returns/eligibility", "POST", late, key="s1")
    assert status == 200 and got["text"].startswith("No") and f"{window} days" in got["text"]
    assert got["policies"] and " › " in got["policies"][0]["citation"]
    bad = call(f"{url}/v1/returns/eligibility", "POST", {"days_since_delivery": 3}, key="s1")
    assert bad[0] == 400
    status, pol, _ = call(f"{url}/v1/policies?q=how+long+do+refunds+take", key="s1")
    assert status == 200 and pol["sections"] and all(s["text"] for s in pol["sections"])
