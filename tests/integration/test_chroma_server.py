"""Scale-out path: the same ingest and search against a real Chroma server over HTTP (loopback),
and every process's product mirror following writes another process makes on the same store."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.storage.store import StoreConfig, open_store
from retrieval.types import Product

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    beside = Path(sys.executable).parent / "chroma"  # the venv's, when the venv isn't on PATH
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        pytest.skip("the `chroma` server command is neither beside python nor on PATH")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path, embedder):
    from retrieval.ingest.products import ingest_products
    from retrieval.search.hybrid import Searcher
    from retrieval.storage.store import StoreConfig, open_store

    cfg = StoreConfig(data_dir=tmp_path, chroma_mode="http", chroma_host="127.0.0.1",
                      chroma_port=chroma_server)  # fmt: skip
    catalog = tmp_path / "c.csv"
    catalog.write_text(
        "product_id,title,category,price\n"
        "a,Red Kettle,Kitchen > Kettles,30\nb,Wooden Train,Toys > Wooden Toys,12\n"
        "c,Steel Kettle,Kitchen > Kettles,18\n",
        encoding="utf-8",
    )
    report = ingest_products(open_store(cfg, embedder), catalog)
    assert report.inserted == 3
    fresh = open_store(cfg, embedder)  # a second process would see the same: state is server-side
    assert fresh.collection("products").count() == 3
    items = Searcher(fresh).search("kettle under £20").items
    assert [i["product_id"] for i in items] == ["c"]


# --- the mirror follows other processes' writes (retrieval.storage.changes) ----------------
WRITER = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from pathlib import Path
    from retrieval.storage.store import StoreConfig, open_store
    from retrieval.types import Product
    store = open_store(StoreConfig(data_dir=Path(sys.argv[1]), chroma_mode="http",
                                   chroma_host="127.0.0.1", chroma_port=int(sys.argv[2])))
    old = store.get_product("K1")
    store.write_products([replace(old, price=9.5)])  # a price change: metadata only
    new = Product("K3", "Copper kettle 1.7L", category="Kitchen > Kettles", price=55.0)
    store.write_products([new], store.embedder.encode([new.embedding_text()]))
    store.delete_products(["K2"])
    print("written")
    """
)


def _seen_within(check, seconds: float = 2.0) -> float | None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        if check():
            return time.perf_counter() - t0
        time.sleep(0.05)
    return None


def test_a_write_by_another_process_reaches_this_mirror(chroma_server, tmp_path, embedder):
    """Two processes on one Chroma server and one SQL database (SQLite here; PostgreSQL in the
    scale-out test): the writer's price change, new product and deletion reach this mirror."""
    cfg = StoreConfig(data_dir=tmp_path, chroma_mode="http", chroma_host="127.0.0.1",
                      chroma_port=chroma_server)  # fmt: skip
    store = open_store(cfg, embedder)
    products = [
        Product("K1", "Steel kettle 1.5L", category="Kitchen > Kettles", price=30.0),
        Product("K2", "Glass kettle 1.2L", category="Kitchen > Kettles", price=40.0),
    ]
    store.write_products(products, embedder.encode([p.embedding_text() for p in products]))
    assert store.get_product("K1").price == 30.0
    before = len(store.index)  # the server's collection may hold the other test's products too

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    run = subprocess.run([sys.executable, "-c", WRITER, str(tmp_path), str(chroma_server)], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0 and "written" in run.stdout, run.stderr[-2000:]

    waited = _seen_within(lambda: store.get_product("K1").price == 9.5)
    assert waited is not None, "the other process's price change was not served within 2 s"
    assert store.get_product("K3") is not None and store.get_product("K3").price == 55.0
    assert store.get_product("K2") is None and len(store.index) == before
    assert store.index.vector_of("K3") is not None  # searchable: its embedding came too
    print(f"\nanother process's writes served after {waited:.2f} s")


def test_this_process_does_not_reread_its_own_writes(tmp_path, embedder, monkeypatch):
    """An ingest of many products must not make the next request re-read them all."""
    store = open_store(StoreConfig(data_dir=tmp_path), embedder)
    items = [Product(f"P{i}", f"Mug {i}", category="Kitchen > Mugs", price=5.0 + i)
             for i in range(50)]  # fmt: skip
    store.write_products(items, embedder.encode([p.embedding_text() for p in items]))
    store.write_products([replace(items[0], price=1.0)])
    reads: list = []
    monkeypatch.setattr(store, "_load_into", lambda *a, **k: reads.append(k))
    time.sleep(0.6)
    assert store.index.get("P0").price == 1.0
    assert reads == []
