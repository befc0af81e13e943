"""Typos corrected before understanding, against English and the catalog's own words."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.turn.spelling import Speller


@pytest.fixture(scope="module")
def speller():
    return Speller(lambda: Counter({"smartwatch": 3, "kettles": 2, "hartwell": 4, "zestra": 1}))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("what's the chaepest planter?", "what's the cheapest planter?"),
        ("loewst price jacket you have", "lowest price jacket you have"),
        ("best rated smarwtatch under £235", "best rated smartwatch under £235"),  # a catalog word
        ("the 2 highest rated ketltes", "the 2 highest rated kettles"),
        ("can I canecl an order?", "can I cancel an order?"),
        ("Wararnty on a jumper", "Warranty on a jumper"),  # the capital is kept
    ],
)
def test_typos_are_corrected(speller, typed, meant):
    assert speller.correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "Zestra kettle P00012 under £30, order ORD-10010",  # brands, ids, amounts as typed
        "hiw about tea",  # three letters: too short to correct safely
        "add the first one to my basket",
    ],
)
def test_known_words_ids_and_short_words_are_left_as_typed(speller, text):
    assert speller.correct(text) == text


@pytest.mark.parametrize("word", ["bitcoin", "amex", "klarna"])
def test_a_word_no_typing_slip_explains_is_left_alone(speller, word):
    assert speller.correct(f"can i pay with {word}") == f"can i pay with {word}"
