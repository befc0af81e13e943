"""Catalog normalization: numbers parse exactly, bad rows are reported with line and reason."""

from __future__ import annotations

import json

import pytest

from retrieval.ingest.catalog import (
    clean_category,
    clean_text,
    normalize_product,
    parse_count,
    parse_price,
    parse_rating,
    parse_stock,
    read_products,
)
from retrieval.ingest.readers import parse_mapping
from retrieval.types import InputFileError, Product, Reject

HEADER = "product_id,title,price,rating,in_stock,category\n"


def _csv(tmp_path, body, header=HEADER, name="p.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "price", "code"),
    [
        ("£3.42", 3.42, "GBP"),
        ("$3.42", 3.42, "USD"),
        ("€3,42", 3.42, "EUR"),
        ("GBP 3.42", 3.42, "GBP"),
        ("3.42 EUR", 3.42, "EUR"),
        ("1,299.00", 1299.0, None),
        ("£1,299", 1299.0, "GBP"),
        ("3,42", 3.42, None),
        ("1.299,00", 1299.0, None),
        ("1 299,00 €", 1299.0, "EUR"),
        ("£3.42 - £5.00", 3.42, "GBP"),
        ("£5.00 – £3.42", 3.42, "GBP"),
        ("3.42 to 5", 3.42, None),
        ("12", 12.0, None),
        (7.5, 7.5, None),
        ("", None, None),
        ("n/a", None, None),
        (None, None, None),
    ],
)
def test_prices_parse_exactly(text, price, code):
    assert parse_price(text) == (price, code)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "'abc' is not a price"),
        ("-3.42", "negative price -3.42"),
        ("£-3.42", "negative price -3.42"),
        ("1,2,3", "not a price"),
        ("$3 £4", "two currencies"),
    ],
)
def test_bad_prices_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_price(text)


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("4.5 out of 5 stars", 4.5),
        ("4,5", 4.5),
        ("4.5/5", 4.5),
        ("4 stars", 4.0),
        ("8/10", 4.0),
        ("0", 0.0),
        ("5", 5.0),
        (4.9, 4.9),
        ("", None),
    ],
)
def test_ratings_parse(text, rating):
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text", ["7", "5.5", "-1", "great"])
def test_ratings_outside_0_to_5_or_garbage_are_errors(text):
    with pytest.raises(ValueError):
        parse_rating(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 new", (True, 5)),
        ("5\xa0new", (True, 5)),
        ("0", (False, 0)),
        ("out of stock", (False, 0)),
        ("Sold Out", (False, 0)),
        ("in stock", (True, None)),
        ("yes", (True, None)),
        ("true", (True, None)),
        ("12", (True, 12)),
        ("", (None, None)),
        ("3 used", (True, 3)),
        ("2 new 1 used", (True, 3)),
        ("1 collectible", (True, 1)),
        (True, (True, None)),
        (0, (False, 0)),
    ],
)
def test_stock_values(text, expected):
    assert parse_stock(text) == expected


def test_unreadable_stock_is_an_error():
    with pytest.raises(ValueError, match="'lots' is not a stock value"):
        parse_stock("lots")


@pytest.mark.parametrize(
    ("text", "count"),
    [("1,234", 1234), ("15", 15), ("1,234 reviews", 1234), (12.0, 12), ("", None)],
)
def test_review_counts(text, count):
    assert parse_count(text) == count


def test_text_is_cleaned():
    assert clean_text("Tom &amp; Jerry\x07\u200b   Cafe\u0301\n set") == "Tom & Jerry Café set"
    assert clean_category(" Games>Board  Games &gt; Family / Kids >") == (
        "Games > Board Games > Family / Kids"
    )
    assert clean_category(["Games", " Board Games "]) == "Games > Board Games"


def test_normalize_product_builds_typed_fields_and_keeps_extras():
    row = {
        "product_id": " p1 ",
        "title": "Hornby &amp; Co",
        "price": "£3.42",
        "rating": "4.9",
        "review_count": "1,234",
        "in_stock": "5 new",
        "brand": "Hornby",
        "colour": "red",
        "empty_extra": "",
        "attributes": '{"scale": "OO"}',
    }
    got = normalize_product(row, 2, "GBP")
    assert got == Product(
        product_id="p1",
        title="Hornby & Co",
        brand="Hornby",
        price=3.42,
        currency="GBP",
        rating=4.9,
        review_count=1234,
        in_stock=True,
        stock_qty=5,
        attributes={"colour": "red", "scale": "OO"},
    )


def test_foreign_currency_keeps_the_number_and_records_the_source():
    got = normalize_product({"product_id": "p", "title": "T", "price": "$3.42"}, 2, "GBP")
    assert got.price == 3.42 and got.currency == "GBP"
    assert got.attributes["source_currency"] == "USD"
    same = normalize_product({"product_id": "p", "title": "T", "price": "£3.42"}, 2, "GBP")
    assert "source_currency" not in same.attributes


def test_every_bad_field_is_named_in_one_reject():
    got = normalize_product({"product_id": "p", "title": " ", "price": "abc", "rating": "7"}, 9)
    assert isinstance(got, Reject) and got.line == 9
    assert got.reason == "empty title; price: 'abc' is not a price; rating: 7 is outside 0-5"


def test_invalid_attributes_keep_the_row_and_warn():
    warnings: list[str] = []
    got = normalize_product(
        {"product_id": "p", "title": "T", "attributes": "{bad"}, 4, "GBP", warnings
    )
    assert isinstance(got, Product) and got.attributes == {}
    assert len(warnings) == 1 and warnings[0].startswith("line 4: attributes dropped")


def test_read_products_reports_bad_rows_and_keeps_good_rows_after_them(tmp_path):
    body = (
        "p1,Kettle,£3.42,4.5 out of 5 stars,5 new,Kitchen>Kettles\n"
        "p2,Toaster,abc,,,\n"
        "p3,,2.00,,,\n"
        "p4,Lamp,,,,\n"
        "p5,Mug,-1,,,\n"
        "p6,Cup,1,2\n"
        "p7,Plate,3,42,,\n"
    )
    got = read_products(_csv(tmp_path, body))
    assert [p.product_id for p in got.products] == ["p1", "p4"]
    assert [(r.line, r.reason) for r in got.rejects] == [
        (3, "price: 'abc' is not a price"),
        (4, "empty title"),
        (6, "price: negative price -1"),
        (7, "4 fields, header has 6"),
        (8, "rating: 42 is outside 0-5"),
    ]
    assert got.read == 7 == len(got.products) + len(got.rejects)
    kettle, lamp = got.products
    assert (kettle.price, kettle.rating, kettle.in_stock, kettle.stock_qty) == (3.42, 4.5, True, 5)
    assert kettle.category == "Kitchen > Kettles"
    assert (lamp.price, lamp.rating, lamp.in_stock) == (None, None, None)
    assert got.rejects[0].row["product_id"] == "p2"


def test_duplicate_ids_first_wins_and_later_copies_are_reported(tmp_path):
    body = "p1,Kettle,3.42,,,\np2,Mug,1,,,\np1,Kettle,£3.42,,,\np1,Kettle,4.10,,,\n"
    got = read_products(_csv(tmp_path, body))
    assert [(p.product_id, p.price) for p in got.products] == [("p1", 3.42), ("p2", 1.0)]
    assert [(r.line, r.reason) for r in got.rejects] == [
        (4, "duplicate of line 2 (identical)"),
        (5, "duplicate product_id p1: differs from line 2 (price 3.42 vs 4.1)"),
    ]
    assert got.duplicates == 1


def test_missing_required_column_names_it_and_suggests_map(tmp_path):
    path = _csv(tmp_path, "u1,Kettle\n", header="uniq_id,product_name\n")
    with pytest.raises(InputFileError) as err:
        read_products(path)
    assert "no 'product_id' column; columns are: uniq_id, product_name" in str(err.value)
    assert "--map product_id=" in str(err.value)


def test_mapping_adapts_a_foreign_file(tmp_path):
    path = _csv(
        tmp_path,
        "u1,Kettle,3.42,2 new,7\n",
        header="uniq_id,product_name,price_gbp,number_available_in_stock,answered\n",
    )
    mapping = parse_mapping(
        [
            "product_id=uniq_id",
            "title=product_name",
            "price=price_gbp",
            "in_stock=number_available_in_stock",
        ]
    )
    (product,) = read_products(path, mapping=mapping).products
    assert (product.product_id, product.title, product.price, product.stock_qty) == (
        "u1",
        "Kettle",
        3.42,
        2,
    )
    assert product.attributes == {"answered": "7"}


def test_header_names_match_fields_regardless_of_case(tmp_path):
    path = _csv(tmp_path, "p1,Kettle\n", header="Product ID,Title\n")
    assert read_products(path).products[0].title == "Kettle"


def test_jsonl_catalog_with_typed_values(tmp_path):
    rows = [
        {
            "product_id": 101,
            "title": "Kettle",
            "price": 3.42,
            "in_stock": False,
            "category": ["Kitchen", "Kettles"],
            "attributes": {"watts": 2000},
        },
        {"product_id": "p2"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    got = read_products(path)
    (p,) = got.products
    assert (p.product_id, p.price, p.in_stock, p.category) == (
        "101",
        3.42,
        False,
        "Kitchen > Kettles",
    )
    assert p.attributes == {"watts": 2000}
    assert [(r.line, r.reason.split(":")[0]) for r in got.rejects] == [
        (2, "empty title"),
        (3, "invalid JSON"),
    ]


def test_parquet_catalog(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    table = pa.table({"product_id": ["a", "b"], "title": ["Kettle", "Mug"], "price": [3.42, None]})
    pq.write_table(table, path)
    got = read_products(path)
    assert [(p.product_id, p.price) for p in got.products] == [("a", 3.42), ("b", None)]
