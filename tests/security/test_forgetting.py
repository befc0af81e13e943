"""Forgetting that lasts (issue 18, item 2): a forgotten user is not brought back by re-ingesting
an old events file, and nothing of theirs stays in rejects reports, caches or database pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.live import call

from .conftest import ADMIN, keyed_server

pytestmark = pytest.mark.integration
MARK = "zebramarker4711"


def _events(path):
    rows = [
        {"user_id": "u005", "product_id": "P1", "event": "view", "ts": "2026-10-01T10:00:00"},
        {"user_id": "u005", "product_id": "P2", "event": "review", "ts": "2026-10-02T10:00:00",
         "text": f"{MARK} lovely lamp", "rating": 5},
        {"user_id": "u005", "product_id": "P3", "event": "teleport", "ts": "2026-10-03T10:00:00",
         "text": f"{MARK} a row that is rejected"},
        {"user_id": "u006", "product_id": "P1", "event": "view", "ts": "2026-10-01T11:00:00"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _files_holding(folder, needle: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_forgotten_user_stays_forgotten(store, tmp_path):
    from retrieval.ingest.events import ingest_events
    from retrieval.recs.recommend import store_recommender

    path = _events(tmp_path / "events.jsonl")
    first = ingest_events(store, path)
    assert (
        first.inserted == 3 and first.rejected == 1 and MARK in Path(first.rejects_file).read_text()
    )
    assert "u005" in store_recommender(store)[1]
    with keyed_server(store) as (url, _):
        status, summary, _ = call(f"{url}/v1/users/u005", "DELETE", key=ADMIN)
        again = ingest_events(store, path)  # the same file, ingested again
        _, export, _ = call(f"{url}/v1/users/u005/export", key=ADMIN)
        _, other, _ = call(f"{url}/v1/users/u006/export", key=ADMIN)
        p9 = {"product_id": "P9", "title": "Brass lamp", "price": 20, "category": "Home > Lighting"}
        call(f"{url}/v1/admin/products", "POST", {"upsert": [p9]}, key=ADMIN)
        now = datetime.now(UTC).isoformat()
        back = call(f"{url}/v1/events", "POST", {"user_id": "u005", "product_id": "P9",
                                                 "event": "view", "ts": now}, key=ADMIN)  # fmt: skip
    assert status == 200 and summary["remaining"] == 0
    assert export["events"] == [] and export["history_documents"] == []
    assert again.inserted == 0 and any("forgotten" in w for w in again.warnings)
    assert len(other["events"]) == 1  # other users' rows still land
    assert back[0] == 200 and back[1]["inserted"] == 1  # new activity after forgetting is kept
    assert "u005" not in store_recommender(store)[1] or store_recommender(store)[1]["u005"] == [
        "P9"
    ]
    assert _files_holding(store.config.data_dir / "rejects", MARK.encode()) == []
    sql_files = [p for p in store.config.data_dir.glob("shopassist.db*")]
    assert sql_files and not [p for p in sql_files if MARK.encode() in p.read_bytes()]
