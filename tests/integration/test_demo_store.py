"""The demo store end to end: generated, ingested, profiled and searched with personalization."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_loads_cleanly_and_reloading_adds_nothing(demo_store):
    from retrieval.ingest.seed import prepare_demo

    store, first = demo_store
    assert first["products"]["inserted"] >= 500 and first["products"]["rejected"] == 0
    assert first["events"]["inserted"] > 1000 and first["orders"]["inserted"] > 50
    again = prepare_demo(store)
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in again.values()), again
    assert again["products"]["embedded"] == 0


def test_two_shoppers_get_different_top_results_explained_by_their_history(demo_store):
    from retrieval.search.hybrid import Searcher
    from retrieval.search.profile import user_profile

    store, _ = demo_store
    searcher = Searcher(store)
    tops = {}
    for user in ("u001", "u003"):  # the coffee lover and the parent
        items = searcher.search("a gift under £30", profile=user_profile(store, user), k=5).items
        tops[user] = [i["product_id"] for i in items]
        assert all(i["price"] is not None and i["price"] < 30 for i in items)
        history = [r for i in items for r in i["reasons"] if r.startswith("you often")]
        assert history, f"{user}: no reason mentions their history: {items}"
    assert tops["u001"][:3] != tops["u003"][:3]
    assert len(set(tops["u001"]) & set(tops["u003"])) <= 2


def test_profile_reflects_behavior(demo_store):
    from retrieval.search.profile import user_profile

    store, _ = demo_store
    coffee, parent = user_profile(store, "u001"), user_profile(store, "u003")
    assert "coffee" in " ".join(coffee.top_categories(2))
    assert not any("coffee" in c for c in parent.top_categories(3))
    assert coffee.purchased and coffee.price_band["p25"] <= coffee.price_band["p75"]
    assert json.dumps(coffee.to_dict())


def test_history_documents_are_one_collection_keyed_by_user(demo_store):
    from retrieval.storage.schema import events

    store, _ = demo_store
    col = store.collection("user_history")
    with store.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(events).where(events.c.user_id == "u001")
        ).scalar_one()
    docs = col.get(where={"user_id": "u001"}, include=["metadatas", "documents"])
    assert len(docs["ids"]) == n
    assert all(m["user_id"] == "u001" for m in docs["metadatas"])
    qvec = store.embedder.encode_one("coffee I bought")
    hits = col.query(query_embeddings=[qvec], n_results=3, where={"user_id": "u001"})
    assert any("coffee" in d.lower() for d in hits["documents"][0])


def test_policy_chunks_keep_file_and_section(demo_store):
    store, _ = demo_store
    col = store.collection("policies")
    qvec = store.embedder.encode_one("how many days do I have to return an item")
    hit = col.query(query_embeddings=[qvec], n_results=1)
    meta = hit["metadatas"][0][0]
    assert meta["file"] == "returns.md" and meta["section"]
    assert "30" in hit["documents"][0][0]
