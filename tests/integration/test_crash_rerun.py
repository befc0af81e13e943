"""A `kill -9` in the middle of an ingest or a forget-user, then the same command again: the
store ends exactly as one clean run leaves it (every row once, no duplicates) and a forgotten
user is gone. Real CLI processes on a real store (Chroma + SQLite) in a temporary data dir."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCTS, USERS, EVENTS_PER_USER = 3000, 150, 40


def _cli(data_dir: Path, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}  # fmt: skip
    exe = [sys.executable, "-m", "assistant.cli", *args]
    return subprocess.Popen(exe, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **popen)  # fmt: skip


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    return out


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # the table is not there yet
            return 0


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 600) -> bool:
    """SIGKILL the process group once `ready()` holds; False when the process ended first."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("crash-files")
    with open(d / "products.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["product_id", "title", "category", "price", "in_stock"])
        for i in range(PRODUCTS):
            kind = ("Kettle", "Mug", "Lamp", "Towel", "Puzzle")[i % 5]
            w.writerow([f"X{i:05d}", f"{kind} model {i} in colour {i % 17}",
                        f"Home > {kind}s", f"{5 + i % 90}.99", "true"])  # fmt: skip
    with open(d / "events.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "product_id", "event", "ts", "quantity", "rating", "query", "text"])
        for u in range(USERS):
            for k in range(EVENTS_PER_USER):
                w.writerow([f"c{u:03d}", f"X{(u * 7 + k) % PRODUCTS:05d}", "view",
                            f"2026-0{1 + k % 9}-1{k % 10}T10:{k % 60:02d}:00Z", "", "", "", ""])  # fmt: skip
    return d


def test_kill_mid_ingest_then_rerun_leaves_every_row_once(tmp_path, files):
    db = tmp_path / "shopassist.db"
    proc = _cli(tmp_path, "ingest", "products", str(files / "products.csv"))
    changes = "SELECT COUNT(*) FROM product_changes"
    killed = _kill_when(proc, lambda: 0 < _count(db, changes) < PRODUCTS)
    assert killed, "the ingest finished before it could be killed; make the file larger"
    partial = _count(db, "SELECT COUNT(DISTINCT product_id) FROM product_changes")
    assert 0 < partial < PRODUCTS

    report = json.loads(
        _finish(_cli(tmp_path, "ingest", "products", str(files / "products.csv"), "--json"))
    )
    assert report["inserted"] + report["unchanged"] + report["updated"] == PRODUCTS, report
    assert report["inserted"] == PRODUCTS - report["unchanged"] - report["updated"]
    stats = json.loads(_finish(_cli(tmp_path, "stats", "--json")))
    assert stats["products"] == PRODUCTS, stats

    proc = _cli(tmp_path, "ingest", "events", str(files / "events.csv"))
    # killed once its rows are in SQL, while it embeds the shoppers' history documents
    killed = _kill_when(proc, lambda: _count(db, "SELECT COUNT(*) FROM events") > 0)
    _finish(_cli(tmp_path, "ingest", "events", str(files / "events.csv"), "--json"))
    assert _count(db, "SELECT COUNT(*) FROM events") == USERS * EVENTS_PER_USER
    assert (
        _count(db, "SELECT COUNT(*) FROM (SELECT DISTINCT user_id, product_id, ts FROM events)")
        == USERS * EVENTS_PER_USER
    )
    print(f"\nkilled mid-ingest after {partial} of {PRODUCTS} products; events killed: {killed}")

    forget = _cli(tmp_path, "forget-user", "c007")  # killed once its SQL part is committed
    tombstone = "SELECT COUNT(*) FROM forgotten_users WHERE user_id = 'c007'"
    _kill_when(forget, lambda: _count(db, tombstone) == 1, timeout=300)
    report = json.loads(_finish(_cli(tmp_path, "forget-user", "c007")))
    assert report["remaining"] == 0, report
    assert _count(db, "SELECT COUNT(*) FROM events WHERE user_id = 'c007'") == 0
    assert _count(db, "SELECT COUNT(*) FROM forgotten_users WHERE user_id = 'c007'") == 1
    _finish(_cli(tmp_path, "ingest", "events", str(files / "events.csv")))  # the old file again
    assert _count(db, "SELECT COUNT(*) FROM events WHERE user_id = 'c007'") == 0
    assert _count(db, "SELECT COUNT(*) FROM events") == (USERS - 1) * EVENTS_PER_USER
