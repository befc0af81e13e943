"""Scale-out path: the same ingest and search against a real Chroma server over HTTP (loopback)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    from retrieval.ingest import ingest_products
    from retrieval.search import Searcher
    from retrieval.store import StoreConfig, open_store

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
