"""The real 10k amazon.co.uk toys catalog: ingestion counts, idempotence and filter exactness.

The oracle parses the file with Python's csv module and its own rules, never the project's.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import shared_file

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.shared_data]

MAPPING = [
    "product_id=uniq_id",
    "title=product_name",
    "category=amazon_category_and_sub_category",
    "brand=manufacturer",
    "price=price_gbp",
    "in_stock=number_available_in_stock",
    "review_count=number_of_reviews",
    "rating=average_rating",
]


def cli(data_dir, *args):
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "assistant.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def toys_path():
    return shared_file("amazon_uk_toys", "products.csv")


@pytest.fixture(scope="module")
def loaded(toys_path, tmp_path_factory):
    """The toys file ingested once through the CLI, as a user would."""
    data_dir = tmp_path_factory.mktemp("toys")
    args = ["ingest", "products", str(toys_path), "--json"]
    for m in MAPPING:
        args += ["--map", m]
    first = cli(data_dir, *args)
    assert first.returncode == 0, first.stderr
    second = cli(data_dir, *args)
    assert second.returncode == 0, second.stderr
    return data_dir, json.loads(first.stdout), json.loads(second.stdout)


@pytest.fixture(scope="module")
def searcher(loaded, embedder):
    from retrieval.search.hybrid import Searcher
    from retrieval.storage.store import StoreConfig, open_store

    return Searcher(open_store(StoreConfig(data_dir=loaded[0]), embedder))


def test_every_row_is_inserted_or_rejected_with_a_reason(loaded):
    data_dir, first, _ = loaded
    assert first["read"] == 10_000
    assert first["inserted"] + first["rejected"] == 10_000
    assert first["inserted"] >= 9_900
    if first["rejected"]:
        with open(first["rejects_file"], encoding="utf-8") as fh:
            rejects = [json.loads(line) for line in fh]
        assert len(rejects) == first["rejected"]
        assert all(r["reason"] and r["line"] >= 2 for r in rejects)


def test_second_ingest_changes_and_embeds_nothing(loaded):
    second = loaded[2]
    assert (second["inserted"], second["updated"], second["embedded"]) == (0, 0, 0)
    assert second["unchanged"] == loaded[1]["inserted"]


def test_prices_are_numbers_and_empty_prices_are_null(searcher, toys_path):
    store = searcher.store
    with open(toys_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[:300]:
        product = store.get_product(row["uniq_id"])
        assert product is not None
        if row["price_gbp"].strip():
            assert product.price == pytest.approx(float(row["price_gbp"].replace("£", "")))
        else:
            assert product.price is None


def _oracle_rows(toys_path):
    out = []
    with open(toys_path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            price = row["price_gbp"].strip().replace("£", "")
            stock = row["number_available_in_stock"].replace("\xa0", " ").split()
            out.append(
                {
                    "id": row["uniq_id"],
                    "price": float(price) if price else None,
                    "rating": float(row["average_rating"])
                    if row["average_rating"].strip()
                    else None,
                    "levels": {
                        p.strip().lower()
                        for p in row["amazon_category_and_sub_category"].split(">")
                    },
                    "brand": row["manufacturer"].strip().lower(),
                    "in_stock": bool(stock) and stock[0].isdigit() and int(stock[0]) > 0,
                }
            )
    return out


def _price(lo=None, hi=None, lo_incl=True, hi_incl=True):
    def ok(r):
        p = r["price"]
        if p is None:
            return False
        if lo is not None and (p < lo or (p == lo and not lo_incl)):
            return False
        return not (hi is not None and (p > hi or (p == hi and not hi_incl)))

    return ok


CASES = {
    "board games under £20 rated at least 4.5": lambda r: (
        "board games" in r["levels"]
        and _price(hi=20, hi_incl=False)(r)
        and (r["rating"] or 0) >= 4.5
    ),
    "card games under £10 rated 4.5+": lambda r: (
        "card games" in r["levels"]
        and _price(hi=10, hi_incl=False)(r)
        and (r["rating"] or 0) >= 4.5
    ),
    "lego sets between £10 and £30": lambda r: r["brand"] == "lego" and _price(10, 30)(r),
    "playmobil in stock": lambda r: r["brand"] == "playmobil" and r["in_stock"],
    "die-cast & toy vehicles over £50 rated at least 4": lambda r: (
        "die-cast & toy vehicles" in r["levels"]
        and _price(lo=50, lo_incl=False)(r)
        and (r["rating"] or 0) >= 4
    ),
    "hornby trains in stock": lambda r: (
        "trains" in r["levels"]
        and (r["brand"] == "hornby" or "hornby" in r["levels"])
        and r["in_stock"]
    ),
}


@pytest.mark.parametrize("question", list(CASES))
def test_filtered_search_equals_the_oracle(searcher, toys_path, question):
    expected = {r["id"] for r in _oracle_rows(toys_path) if CASES[question](r)}
    result = searcher.search(question, k=10_000)
    got = {item["product_id"] for item in result.items}
    assert expected, f"oracle found nothing for {question!r}: the case tests nothing"
    assert got == expected, (
        f"{question!r}: {len(got - expected)} extra, {len(expected - got)} missing"
    )


def test_explicit_flags_filter_like_words(searcher, toys_path):
    from retrieval.storage.mirror import Filters

    f = Filters(price_max=5.0, categories=("card games",), rating_min=4.0)
    expected = {
        r["id"]
        for r in _oracle_rows(toys_path)
        if "card games" in r["levels"] and _price(hi=5)(r) and (r["rating"] or 0) >= 4
    }
    got = {i["product_id"] for i in searcher.search("cards", k=10_000, filters=f).items}
    assert expected and got == expected


def test_top_results_are_relevant_to_the_words(searcher):
    items = searcher.search("wooden train set", k=10).items
    assert sum("train" in i["title"].lower() for i in items) >= 6
