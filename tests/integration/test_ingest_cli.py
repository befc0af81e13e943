"""`shopassist ingest` as a user runs it: clear errors, rejects with line numbers, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

HEADER = "product_id,title,category,brand,price,rating,in_stock\n"


def cli(data_dir, *args):
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def ingest(data_dir, path, *extra):
    res = cli(data_dir, "ingest", "products", str(path), "--json", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "not found"), (b"", "empty"), (b"product_id,name\n1,Kettle\n", "title")],
    ids=["missing-file", "empty-file", "missing-column"],
)
def test_unusable_file_exits_nonzero_with_one_line_reason(tmp_path, content, needle):
    path = tmp_path / "catalog.csv"
    if content is not None:
        path.write_bytes(content)
    res = cli(tmp_path / "data", "ingest", "products", str(path))
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0].lower(), res.stderr


def test_bad_rows_are_reported_and_good_rows_land(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(
        HEADER.encode()
        + "p1,Blue Ceramic Kettle,Kitchen > Kettles,Hartwell,£34.99,4.5 out of 5 stars,5 new\n".encode()
        + b"p2,Caf\xe9 Mug,Kitchen > Mugs,Hartwell,3.50,4,2\n"  # invalid UTF-8 byte
        + b'p3,Oak Train &amp; Track,Toys > Wooden Toys,Tinker,"1,299.00",,\n'
        + "p1,Blue Ceramic Kettle,Kitchen > Kettles,Hartwell,£39.99,4.5,5 new\n".encode()
        + b"p4,Tea Tin,Food > Tea,Leafy,3,42\n"  # too few fields
        + b'p5,Chess Set,Games > Board Games,Woodly,"3,42",4.9,0\n'
        + b'p6,Broken Quote,"Games,12.00,4.0,1\n'  # truncated last line
    )
    report = ingest(tmp_path / "data", path)
    assert report["read"] == 7
    assert report["inserted"] == 3 and report["rejected"] == 4
    with open(report["rejects_file"], encoding="utf-8") as fh:
        rejects = {r["line"]: r["reason"] for r in map(json.loads, fh)}
    assert set(rejects) == {3, 5, 6, 8}
    assert "utf-8" in rejects[3].lower()
    assert "duplicate" in rejects[5].lower() and "34.99" in rejects[5]
    from retrieval.storage.store import StoreConfig, open_store

    store = open_store(StoreConfig(data_dir=tmp_path / "data"))
    assert store.get_product("p1").price == 34.99  # the first row of a conflicting pair lands
    assert (
        store.get_product("p3").price == 1299.0
        and store.get_product("p3").title == "Oak Train & Track"
    )
    assert store.get_product("p5").price == 3.42 and store.get_product("p5").in_stock is False


def test_changes_update_without_reembedding_and_delete_missing(tmp_path):
    data = tmp_path / "data"
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER + "a,Red Kettle,Kitchen,K,10,4,1\nb,Green Mug,Kitchen,K,5,4,1\n"
        "c,Blue Teapot,Kitchen,K,20,4,1\n",
        encoding="utf-8",
    )
    assert ingest(data, path)["inserted"] == 3
    path.write_text(
        HEADER + "a,Red Kettle,Kitchen,K,12,4,0\nb,Green Mug XL,Kitchen,K,5,4,1\n", encoding="utf-8"
    )
    report = ingest(data, path, "--delete-missing")
    assert (report["updated"], report["embedded"], report["deleted"]) == (2, 1, 1)
    res = cli(data, "search", "kettle", "--json")
    items = json.loads(res.stdout)["results"]
    assert [(i["product_id"], i["price"], i["in_stock"]) for i in items][:1] == [("a", 12.0, False)]
    assert "c" not in {i["product_id"] for i in items}


def test_reindex_rebuilds_and_search_still_works(tmp_path):
    data = tmp_path / "data"
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER + "a,Red Kettle,Kitchen,K,10,4,1\nb,Wooden Train,Toys,T,5,4,1\n", encoding="utf-8"
    )
    ingest(data, path)
    res = cli(data, "reindex", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["products"] == 2
    top = json.loads(cli(data, "search", "toy train", "--json").stdout)["results"][0]
    assert top["product_id"] == "b"


def test_conflicting_settings_fail_fast(tmp_path):
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(tmp_path), "SHOPASSIST_CHROMA_HOST": "db"}
    res = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "stats"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode != 0 and "CHROMA_MODE=http" in res.stderr


def test_events_build_a_profile_and_doctor_passes(tmp_path):
    data = tmp_path / "data"
    catalog = tmp_path / "c.csv"
    catalog.write_text(
        HEADER + "k1,Red Kettle,Kitchen > Kettles,Hartwell,30,4,1\n"
        "t1,Wooden Train,Toys > Wooden Toys,Tinker,12,4,1\n",
        encoding="utf-8",
    )
    ingest(data, catalog)
    events = tmp_path / "e.csv"
    events.write_text(
        "user_id,product_id,event,ts,quantity,rating,query,text\n"
        "u1,k1,view,2026-10-01T10:00:00Z,,,,\n"
        "u1,k1,purchase,2026-10-01T10:05:00Z,1,,,\n"
        "u1,,search,2026-10-02T09:00:00Z,,,blue kettle,\n"
        "u1,t1,teleport,2026-10-03T09:00:00Z,,,,\n",
        encoding="utf-8",
    )
    res = cli(data, "ingest", "events", str(events), "--json")
    report = json.loads(res.stdout)
    assert (report["inserted"], report["rejected"]) == (3, 1)
    again = json.loads(cli(data, "ingest", "events", str(events), "--json").stdout)
    assert (again["inserted"], again["unchanged"]) == (0, 3)
    prof = json.loads(cli(data, "profile", "--user", "u1", "--json").stdout)
    assert next(iter(prof["category_affinity"])) == "kettles"
    assert prof["purchased"] == ["k1"] and prof["recent_searches"] == ["blue kettle"]
    doctor = cli(data, "doctor", "--json")
    checks = {c["name"]: c["ok"] for c in json.loads(doctor.stdout)["checks"]}
    assert checks["store"] and checks["embedding model"], doctor.stdout
