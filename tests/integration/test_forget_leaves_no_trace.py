"""A forgotten user leaves no trace in the store's files: their history text nowhere (SQLite:
secure_delete, WAL checkpointed; Chroma: its write log and free pages would otherwise keep the
deleted documents), and their id only in the tombstone that keeps them forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.desk.privacy import forget_user
from retrieval.storage.store import StoreConfig, open_store

pytestmark = [pytest.mark.integration]

USER = "forgetme-7f3a9"


def _copies(folder: Path, needle: bytes) -> int:
    return sum(p.read_bytes().count(needle) for p in folder.rglob("*") if p.is_file())


def test_a_forgotten_users_history_text_and_id_leave_the_files(tmp_path, embedder):
    store = open_store(StoreConfig(data_dir=tmp_path), embedder)
    secret = b"ZQXJ-secret-note"

    def history(user: str, n: int, text: str) -> None:
        ids = [f"doc-{abs(hash(user)) % 10**8}-{i}" for i in range(n)]  # like event keys
        texts = [f"{text} {i}" for i in range(n)]
        store.upsert_documents("user_history", ids, texts, [{"user_id": user}] * n)

    history(USER, 30, secret.decode())
    for k in range(3):  # other shoppers keep writing afterwards
        history(f"other-{k}", 60, "viewed a kettle")
    assert _copies(tmp_path, USER.encode()) > 0 and _copies(tmp_path, secret) > 0

    report = forget_user(store, USER)
    assert report["remaining"] == 0, report
    assert _copies(tmp_path, secret) == 0
    assert _copies(tmp_path / "chroma", USER.encode()) == 0
    assert store.collection("user_history").count() == 180  # the others' documents stay
