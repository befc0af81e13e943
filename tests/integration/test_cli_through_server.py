"""One writer: `shopassist ingest` and `forget-user` write through a running server (real HTTP, a
real store) instead of opening its Chroma folder a second time; without a server they work as
before. The CLI runs as a real subprocess with its own data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.llm.vllm_server import free_port
from tests.integration.live import call, live_server

pytestmark = [pytest.mark.integration]

KEYS = "admin-key=admin,agent-key=agent,u001-key=shopper:u001"
HEADER = "product_id,title,category,brand,price,rating,in_stock\n"
CATALOG = HEADER + (
    "p1,Blue Ceramic Kettle,Kitchen > Kettles,Hartwell,34.99,4.5,5\n"
    "p2,Oak Train Set,Toys > Wooden Toys,Tinker,19.99,4.8,3\n"
    "p3,Chess Set,Games > Board Games,Woodly,24.00,4.6,0\n"
)
KEEP_ENV = ("SHOPASSIST_MODEL_CACHE", "SHOPASSIST_EMBEDDING_MODEL", "SHOPASSIST_EMBEDDING_DTYPE")


def cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`shopassist ARGS` in a subprocess with its own data dir and no inherited SHOPASSIST_*
    settings (a stray admin key or serve port must not change what is tested)."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("SHOPASSIST_") or k in KEEP_ENV}  # fmt: skip
    full = {**base, "SHOPASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **env}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True,
                          text=True, env=full, timeout=300)  # fmt: skip


def ok_json(res: subprocess.CompletedProcess) -> dict:
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def small_store(store, tmp_path):
    """A fresh store with three products (the shared demo store is never written)."""
    from retrieval.ingest.products import ingest_products

    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert ingest_products(store, path).inserted == 3
    return store


def test_ingest_and_forget_user_write_through_the_server(small_store, tmp_path):
    here = tmp_path / "cli-data"
    products = tmp_path / "update.csv"
    products.write_text(HEADER + "p1,Blue Ceramic Kettle,Kitchen > Kettles,Hartwell,29.50,4.5,5\n"
                        "p2,Oak Train Set,Toys > Wooden Toys,Tinker,19.99,4.8,3\n"
                        ",No Id,Kitchen,X,1.00,,\n"
                        "p4,Walnut Chess Board,Games > Board Games,Woodly,£45.00,4.9,2\n",
                        encoding="utf-8")  # fmt: skip
    events = tmp_path / "events.csv"
    events.write_text("user_id,product_id,event,ts\n"
                      "u100,p1,view,2024-05-01T10:00:00Z\n"
                      "u100,p4,purchase,2024-05-02T11:00:00Z\n"
                      "u100,p2,teleport,2024-05-03T09:00:00Z\n"
                      "u200,p2,cart,2024-05-03T09:00:00Z\n", encoding="utf-8")  # fmt: skip
    with live_server(small_store, None) as (url, _service):
        report = ok_json(cli(here, "ingest", "products", str(products), "--server", url, "--json"))
        assert report["via"] == url
        assert (report["read"], report["inserted"], report["updated"], report["unchanged"],
                report["rejected"]) == (4, 1, 1, 1, 1)  # fmt: skip
        assert Path(report["rejects_file"]).parent == here / "rejects"
        (reject,) = map(json.loads, Path(report["rejects_file"]).read_text().splitlines())
        assert reject["line"] == 4 and "product_id" in reject["reason"]
        status, p1, _ = call(f"{url}/v1/products/p1")
        assert status == 200 and p1["price"] == 29.50  # served at once, by the server
        assert call(f"{url}/v1/products/p4")[1]["title"] == "Walnut Chess Board"

        text = cli(here, "ingest", "products", str(products), "--server", url)
        assert text.returncode == 0 and f"via: {url}" in text.stdout
        assert "inserted 0, updated 0, unchanged 3, rejected 1" in text.stdout
        gone = ok_json(cli(here, "ingest", "products", str(products), "--server", url,
                           "--delete-missing", "--json"))  # fmt: skip
        assert gone["deleted"] == 1 and call(f"{url}/v1/products/p3")[0] == 404

        report = ok_json(cli(here, "ingest", "events", str(events), "--server", url, "--json"))
        assert (report["inserted"], report["rejected"], report["via"]) == (3, 1, url)
        export = call(f"{url}/v1/users/u100/export")[1]
        assert sorted(e["product_id"] for e in export["events"]) == ["p1", "p4"]
        assert len(export["history_documents"]) == 2
        again = ok_json(cli(here, "ingest", "events", str(events), "--server", url, "--json"))
        assert (again["inserted"], again["unchanged"]) == (0, 3)

        forgot = ok_json(cli(here, "forget-user", "u100", "--server", url))
        assert forgot["removed"]["events"] == 2 and forgot["remaining"] == 0
        assert forgot["local_rejects_rows"] == 2  # the 'teleport' row in both rejects reports
        export = call(f"{url}/v1/users/u100/export")[1]
        assert export["events"] == [] and export["history_documents"] == []
        after = ok_json(cli(here, "ingest", "events", str(events), "--server", url, "--json"))
        assert after["inserted"] == 0 and any("forgotten" in w for w in after["warnings"])
        assert after["rejects_file"] is None  # the only bad row is the forgotten user's
        assert len(call(f"{url}/v1/users/u200/export")[1]["events"]) == 1
    assert not (here / "chroma").exists()  # the CLI never opened a store of its own


def test_a_server_with_keys_needs_an_admin_key(small_store, tmp_path):
    here = tmp_path / "cli-data"
    products = tmp_path / "update.csv"
    products.write_text(HEADER + "p2,Oak Train Set,Toys > Wooden Toys,Tinker,17.25,4.8,3\n")
    with live_server(small_store, None, api_keys=KEYS) as (url, _service):
        args = ("ingest", "products", str(products), "--server", url, "--json")
        for refused in (cli(here, *args), cli(here, *args, "--key", "agent-key")):
            assert refused.returncode != 0
            assert "--key" in refused.stderr and "SHOPASSIST_ADMIN_KEY" in refused.stderr
            assert refused.stderr.count("error:") == 1 and "Traceback" not in refused.stderr
        assert call(f"{url}/v1/products/p2", key="admin-key")[1]["price"] == 19.99
        report = ok_json(cli(here, *args, "--key", "admin-key"))
        assert report["updated"] == 1
        assert call(f"{url}/v1/products/p2", key="admin-key")[1]["price"] == 17.25
        forgot = ok_json(cli(here, "forget-user", "u300", "--server", url,
                             SHOPASSIST_ADMIN_KEY="admin-key"))  # fmt: skip
        assert forgot["user_id"] == "u300" and forgot["remaining"] == 0


def test_the_server_on_the_configured_address_is_found_and_other_writers_refused(
    small_store, tmp_path
):
    here = small_store.config.data_dir  # the CLI's data dir is the server's: one Chroma folder
    products = tmp_path / "update.csv"
    products.write_text(HEADER + "p3,Chess Set,Games > Board Games,Woodly,21.00,4.6,0\n")
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,user_id,product_id,status,ordered_at\no1,u1,p1,placed,2024-05-01\n")
    with live_server(small_store, None) as (url, _service):
        port = url.rsplit(":", 1)[1]
        report = ok_json(cli(here, "ingest", "products", str(products), "--json",
                             SHOPASSIST_SERVE_PORT=port))  # fmt: skip
        assert report["via"] == url and call(f"{url}/v1/products/p3")[1]["price"] == 21.00
        for args in (("ingest", "orders", str(orders)), ("ingest", "policies", str(tmp_path)),
                     ("demo",), ("reindex",)):  # fmt: skip
            refused = cli(here, *args, SHOPASSIST_SERVE_PORT=port)
            assert refused.returncode != 0, args
            assert f"a server is running at {url}" in refused.stderr and "--local" in refused.stderr
        other = tmp_path / "other-data"  # another store: the server there is no reason to refuse
        (other / "chroma").mkdir(parents=True)
        done = ok_json(cli(other, "ingest", "orders", str(orders), "--json",
                           SHOPASSIST_SERVE_PORT=port))  # fmt: skip
        assert done["inserted"] == 1 and "via" not in done


def test_without_a_server_the_cli_writes_locally_as_before(tmp_path):
    from retrieval.storage.store import StoreConfig, open_store

    here = tmp_path / "cli-data"
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG)
    port = str(free_port())  # nothing listens there: the probe finds no server
    report = ok_json(cli(here, "ingest", "products", str(catalog), "--json",
                         SHOPASSIST_SERVE_PORT=port))  # fmt: skip
    assert "via" not in report and report["inserted"] == 3
    events = tmp_path / "events.csv"
    events.write_text("user_id,product_id,event,ts\nu100,p1,view,2024-05-01T10:00:00Z\n")
    assert ok_json(cli(here, "ingest", "events", str(events), "--json",
                       SHOPASSIST_SERVE_PORT=port))["inserted"] == 1  # fmt: skip
    forgot = ok_json(cli(here, "forget-user", "u100", SHOPASSIST_SERVE_PORT=port))
    assert "via" not in forgot and forgot["removed"]["events"] == 1
    assert open_store(StoreConfig(data_dir=here)).get_product("p2").price == 19.99
    missing = cli(here, "ingest", "products", str(catalog), "--server", f"http://127.0.0.1:{port}")
    assert missing.returncode != 0 and "no ShopAssist server" in missing.stderr


def test_the_bulk_events_route_is_for_admins_and_checks_its_body(small_store):
    event = {"user_id": "u9", "product_id": "p1", "event": "view", "ts": "2024-05-01T10:00:00Z"}
    with live_server(small_store, None, api_keys=KEYS) as (url, _service):
        route = f"{url}/v1/admin/events"
        assert call(route, "POST", {"events": [event]}, key="agent-key")[0] == 403
        assert call(f"{url}/v1/admin/products/ids", key="agent-key")[0] == 403
        status, body, _ = call(route, "POST", {"events": [{**event, "event": "click"}]},
                               key="admin-key")  # fmt: skip
        assert status == 400 and "events.0.event" in body["error"]["message"]
        status, body, _ = call(route, "POST", {"events": [{**event, "product_id": None}]},
                               key="admin-key")  # fmt: skip
        assert status == 400 and "needs a product_id" in body["error"]["message"]
        status, body, _ = call(route, "POST", {"events": [event] * 2001}, key="admin-key")
        assert status in (400, 413)
        status, body, _ = call(route, "POST", {"events": [event], "check_forgotten": ["u9"]},
                               key="admin-key")  # fmt: skip
        assert status == 200 and (body["inserted"], body["forgotten"]) == (1, [])
        again = call(route, "POST", {"events": [event]}, key="admin-key")[1]
        assert (again["inserted"], again["unchanged"]) == (0, 1)
        ids = call(f"{url}/v1/admin/products/ids", key="admin-key")[1]
        assert sorted(ids["ids"]) == ["p1", "p2", "p3"] and ids["count"] == 3


def test_ask_and_chat_ask_the_running_server(small_store, tmp_path):
    here = small_store.config.data_dir  # the server holds this data dir's store
    with live_server(small_store, None) as (url, service):
        port = url.rsplit(":", 1)[1]
        doc = ok_json(cli(here, "ask", "a kettle under £40", "--user", "u001", "--json",
                          SHOPASSIST_SERVE_PORT=port))  # fmt: skip
        assert doc["via"] == url and [c["product_id"] for c in doc["cards"]] == ["p1"]
        assert doc["message_id"].startswith("chatcmpl-") and "Blue Ceramic Kettle" in doc["answer"]
        with service.store.engine.connect() as conn:  # the server answered, and logged it
            from sqlalchemy import text

            logged = conn.execute(text("SELECT user_id FROM answer_log WHERE message_id = :m"),
                                  {"m": doc["message_id"]}).scalar_one()  # fmt: skip
        assert logged == "u001"
        talk = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "chat", "--server", url],
            input="a kettle under £40\nis it in stock?\n\n", capture_output=True, text=True,
            timeout=300, env={**os.environ, "SHOPASSIST_DATA_DIR": str(tmp_path / "elsewhere"),
                              "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
        assert talk.returncode == 0, talk.stderr
        assert f"asking the server at {url}" in talk.stderr
        assert talk.stdout.count("assistant> ") == 2 and "Blue Ceramic Kettle" in talk.stdout
    local = ok_json(
        cli(here, "ask", "a kettle under £40", "--json", "--local", "--backend", "none")
    )
    assert "via" not in local and [c["product_id"] for c in local["cards"]] == ["p1"]
