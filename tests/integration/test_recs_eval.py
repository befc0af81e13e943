"""`shopassist eval recs` on the real amazon_games split, and `recommend` on the demo store
(the session `demo_store` fixture of tests/integration/conftest.py)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import shared_file

pytestmark = pytest.mark.integration


@pytest.mark.shared_data
def test_eval_recs_cli_on_a_user_sample_beats_popularity(tmp_path):
    from assistant.cli.eval import app

    folder = shared_file("amazon_games", "test.tsv").parent
    args = ["recs", str(folder), "--json", "--sample-users", "2000", "--out", str(tmp_path)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    models = doc["models"]
    assert set(models) == {"shopassist", "popularity", "cooccurrence"}
    for m in models.values():
        assert set(m) == {"HR@10", "NDCG@10", "MRR@100"} and all(0 <= v <= 1 for v in m.values())
    assert models["shopassist"]["NDCG@10"] > 3 * models["popularity"]["NDCG@10"]
    assert models["shopassist"]["NDCG@10"] > models["cooccurrence"]["NDCG@10"]
    assert doc["dataset"]["scored_users"] == 2000 and doc["dataset"]["items"] == 16859
    assert "test target" in doc["protocol"] and doc["blend"]["weights"]["sequence"] == 1.0
    assert (tmp_path / "recs_eval.png").stat().st_size > 1000
    assert "| shopassist |" in (tmp_path / "recs_eval.md").read_text()


@pytest.mark.slow
def test_recommend_cli_on_the_demo_store(demo_store, monkeypatch):
    from assistant.cli import recommend as recommend_cli

    store, _ = demo_store
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(store.config.data_dir))
    app = typer.Typer()
    app.callback()(lambda: None)
    recommend_cli.register(app)
    res = CliRunner().invoke(app, ["recommend", "--user", "u001", "--k", "8", "--json"])
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)["results"]
    assert len(items) == 8
    keys = {"product_id", "title", "price", "currency", "rating", "category", "brand",
            "in_stock", "image_url", "score", "reasons"}  # fmt: skip
    assert all(set(i) == keys and i["reasons"] for i in items)
    bought = {p for p in store_profile(store, "u001").purchased}
    repeat = [i for i in items if i["product_id"] in bought]
    assert all("Food & Drink" in (i["category"] or "") for i in repeat), repeat
    assert all(i["in_stock"] is not False for i in items)
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)


def store_profile(store, user):
    from retrieval.search.profile import user_profile

    return user_profile(store, user)
