"""Filters parsed from a shopper's words."""

import pytest

from retrieval.search.query import Vocabulary, parse_query

VOCAB = Vocabulary(
    brands={"Hornby", "LEGO", "Hasbro", "Star", "Melissa & Doug", "The", "Games"},
    categories={"Board Games", "Games", "Hobbies", "Wooden Toys", "Kettles", "Hornby"},
)


def parse(q):
    return parse_query(q, VOCAB, "GBP")


def test_board_games_under_20_rated_at_least_4_5():
    p = parse("board games under £20 rated at least 4.5")
    f = p.filters
    assert (f.price_max, f.price_max_inclusive, f.rating_min) == (20.0, False, 4.5)
    assert f.categories == ("board games",)
    assert p.text == "board games"


@pytest.mark.parametrize(
    ("query", "lo", "hi"),
    [
        ("kettle between 50 and 100", 50, 100),
        ("kettle £20-£40", 20, 40),
        ("from £10 to £30", 10, 30),
    ],
)
def test_price_ranges_are_inclusive(query, lo, hi):
    f = parse(query).filters
    assert (f.price_min, f.price_max, f.price_min_inclusive, f.price_max_inclusive) == (
        lo,
        hi,
        True,
        True,
    )


def test_up_to_is_inclusive_and_under_is_strict():
    assert parse("up to 25 pounds").filters.price_max_inclusive is True
    assert parse("under 25").filters.price_max_inclusive is False


def test_european_decimal_comma():
    assert parse("under £3,50").filters.price_max == 3.5


def test_age_is_not_a_price():
    f = parse("toys for kids under 5 years").filters
    assert f.price_max is None


def test_other_currency_is_read_in_store_currency_with_a_note():
    p = parse("lego under $15")
    assert p.filters.price_max == 15.0
    assert "GBP" in p.currency_note


def test_star_ratings():
    assert parse("lego 4+ stars").filters.rating_min == 4.0
    assert parse("kettle rated 4.5+").filters.rating_min == 4.5
    assert parse("4 stars and up kettle").filters.rating_min == 4.0
    assert parse("at least 4 stars").filters.price_min is None


def test_in_stock():
    assert parse("hornby trains in stock").filters.in_stock is True


def test_common_word_brands_never_filter():
    f = parse("the best star wars toys").filters
    assert f.brands == ()


def test_multi_word_brand_with_and():
    assert parse("melissa and doug puzzle").filters.brands == ("melissa & doug",)


def test_negated_brand_is_excluded_and_removed_from_text():
    p = parse("board games but not hasbro")
    assert p.filters.exclude_brands == ("hasbro",)
    assert "hasbro" not in p.text


def test_name_that_is_both_brand_and_category_matches_either():
    assert parse("hornby").filters.brands_or_categories == ("hornby",)


def test_plain_query_has_no_filters():
    p = parse("a gift for a coffee lover")
    assert p.filters.to_dict() == {}
    assert p.text == "a gift for a coffee lover"


def test_a_category_answers_to_the_names_shoppers_use_for_it():
    from retrieval.types import Product

    names = Product("x", "x", category="Arts & Crafts > Paper & Stickers").category_names()
    assert {"paper & stickers", "stickers", "paper", "arts & crafts > paper & stickers"} <= set(
        names
    )
    assert "crafts" not in names  # a top level's parts are too broad ("Food & Drink": "drink")
    kits = Product("x", "x", category="Fancy Dress > Accessories > Children's Craft Kits")
    assert {"craft kits", "fancy dress > accessories"} <= set(kits.category_names())
    vocab = Vocabulary(brands={"Fancy Dress Accessories"}, categories=set(kits.category_names()))
    f = parse_query("the two cheapest fancy dress accessories", vocab, "GBP").filters
    assert f.brands_or_categories == ("fancy dress > accessories", "fancy dress accessories")
    assert parse_query(
        "stickers please", Vocabulary(set(), set(names)), "GBP"
    ).filters.categories == ("stickers",)


def test_a_shorter_category_alias_counts_only_where_its_words_point_to_that_category():
    from types import SimpleNamespace

    from retrieval.search.hybrid import _category_names, lexical_tokens
    from retrieval.types import Product

    products = [
        Product("a", "Glitter stickers", category="Arts & Crafts > Paper & Stickers"),
        Product("b", "Star stickers", category="Arts & Crafts > Paper & Stickers"),
        Product("c", "Pirate hat set", category="Fancy Dress > Sets & Kits"),
        Product("d", "LEGO City fire station set", category="Construction > Building Sets"),
        Product("e", "LEGO Friends cafe set", category="Construction > Building Sets"),
    ]
    rows: dict[str, set[int]] = {}
    for n, p in enumerate(products):
        for name in p.category_names():
            rows.setdefault(name, set()).add(n)
    index = SimpleNamespace(products=products, category_rows=rows)
    docs = [lexical_tokens(f"{p.title} {p.category.replace('>', ' ')}") for p in products]
    names = _category_names(index, docs)
    assert "stickers" in names  # every row with "stickers" is in Paper & Stickers
    assert "sets" not in names  # most "set" rows are lego sets, not Sets & Kits
    assert {"sets & kits", "fancy dress > sets & kits"} <= names
