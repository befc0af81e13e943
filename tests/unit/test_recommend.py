"""Recommender behavior a shopper notices: reasons, no re-suggesting purchases, cold start."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from retrieval.recs.recommend import Recommender, is_repeat_purchase, recommend_for_user

TITLES = {
    "console": "Switch Console",
    "game": "Zelda Adventure Game",
    "case": "Carry Case for Switch",
    "beans": "Roastwell Coffee Beans",
    "mug": "Stoneware Mug",
    "lamp": "Oak Desk Lamp",
}


def _sequences() -> list[list[str]]:
    return (
        [["console", "game"]] * 12
        + [["game", "case"]] * 5
        + [["beans", "mug"]] * 6
        + [["lamp"]] * 2
    )


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return Recommender().fit(_sequences(), titles=TITLES)


def test_items_bought_next_come_first_with_a_reason_naming_the_history_item(rec):
    out = rec.recommend(["console"], k=3)
    assert out[0].product_id == "game"
    assert all(r.reasons for r in out)
    assert "often bought after Switch Console" in out[0].reasons


def test_history_items_are_left_out_unless_repeat_ok(rec):
    ids = [r.product_id for r in rec.recommend(["console", "game"], k=5)]
    assert "console" not in ids and "game" not in ids and ids[0] == "case"
    again = rec.recommend(["console", "game"], k=5, repeat_ok=lambda pid: pid == "game")
    assert "game" in [r.product_id for r in again]
    assert "case" not in [r.product_id for r in rec.recommend(["console"], exclude=["case"])]


def test_cold_start_gets_popular_items(rec):
    out = rec.recommend([], k=2)
    assert [r.product_id for r in out] == ["game", "console"]  # most bought, recently
    assert all("popular right now" in r.reasons for r in out)
    unknown = rec.recommend(["never-seen"], k=2)  # ids the model never saw count as no history
    assert [r.product_id for r in unknown] == ["game", "console"]


def test_repeat_purchase_categories():
    assert is_repeat_purchase("Food & Drink > Coffee Beans")
    assert not is_repeat_purchase("Electronics > Headphones")
    assert not is_repeat_purchase("")


class _FakeStore:
    """The parts of Store that recommend_for_user reads: SQL events and the product mirror."""

    def __init__(self, tmp_path, products):
        from retrieval.storage.mirror import ProductIndex
        from retrieval.storage.schema import make_engine

        self.engine = make_engine(f"sqlite:///{tmp_path / 'events.db'}")
        self.index = ProductIndex(dim=4)
        self.index.upsert(products, np.zeros((len(products), 4), np.float32), ["h"] * len(products))

    def get_product(self, pid):
        return self.index.get(pid)


def _store(tmp_path):
    from retrieval.storage.schema import events
    from retrieval.types import Product

    cats = {"console": "Electronics > Consoles", "game": "Electronics > Games",
            "case": "Electronics > Accessories", "beans": "Food & Drink > Coffee Beans",
            "mug": "Kitchen > Mugs", "lamp": "Home > Lamps"}  # fmt: skip
    products = [
        Product(pid, TITLES[pid], category=cats[pid], brand="Brand", price=10.0, in_stock=True)
        for pid in TITLES
    ]
    products[-1].in_stock = False  # the lamp
    store = _FakeStore(tmp_path, products)
    t0, rows = datetime(2026, 1, 1), []
    for u, seq in enumerate(_sequences()):
        for j, pid in enumerate(seq):
            rows.append(dict(event_key=f"{u}-{j}", user_id=f"s{u}", product_id=pid,
                             event="purchase", ts=t0 + timedelta(hours=j)))  # fmt: skip
    for j, (pid, kind) in enumerate([("beans", "purchase"), ("console", "purchase")]):
        rows.append(dict(event_key=f"me-{j}", user_id="me", product_id=pid, event=kind,
                         ts=t0 + timedelta(days=1, hours=j)))  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(events.insert(), rows)
    return store


def test_store_recommendations_skip_purchases_but_not_repeat_categories(tmp_path):
    store = _store(tmp_path)
    items = recommend_for_user(store, "me", k=10)
    ids = [i["product_id"] for i in items]
    assert "console" not in ids  # bought, not a repeat category
    assert "beans" in ids  # bought, but coffee beans are bought again
    assert "lamp" not in ids  # out of stock
    assert ids[0] == "game"
    first = items[0]
    assert set(first) >= {"product_id", "title", "price", "currency", "score", "reasons"}
    assert first["reasons"] and first["title"] == "Zelda Adventure Game"


def test_store_cold_start_user_gets_popular_in_stock_items(tmp_path):
    items = recommend_for_user(_store(tmp_path), "nobody", k=3)
    assert [i["product_id"] for i in items][:2] == ["game", "console"]
    assert all(i["reasons"] for i in items)
