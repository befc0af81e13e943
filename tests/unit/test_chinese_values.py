"""The exact validators that read values out of Chinese messages: amounts with their bounds and
currencies, ratings, stated time spans, ages, counts and ordinals. Each is what the English
validators then read, so a wrong rewrite here is a wrong filter or a wrong eligibility."""

from __future__ import annotations

import pytest

from assistant.evals.conversations.oracle import numbers_in
from assistant.turn.chinese import is_chinese
from assistant.turn.chinese_values import number, value_phrases


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("三十英镑以下的围巾", ["under £30"]),
        ("不超过四十五镑", ["up to £45"]),
        ("低于12.5镑", ["under £12.5"]),
        ("至少二十镑的", ["at least £20"]),
        ("八十块以内", ["up to ¥80"]),
        ("三百元以上的手表", ["over ¥300"]),
        ("预算六十镑", ["up to £60"]),
        ("$25以下", ["under $25"]),
        ("七十欧元以内", ["up to €70"]),
        ("四星以上", ["rated 4 or more"]),
        ("评分至少4.5分", ["rated 4.5 or more"]),
        ("两周前寄到的", ["2 weeks ago"]),
        ("四十五天前收到", ["45 days ago"]),
        ("上个星期买的", ["last week"]),
        ("买了三个月了", ["3 months ago"]),
        ("适合6岁以下", ["under 6 years old"]),
        ("看看前三个", ["the first 3"]),
        ("第四款怎么样", ["the fourth one"]),
    ],
)
def test_values_are_read_as_the_english_validators_read_them(text, english):
    assert value_phrases(text) == english


@pytest.mark.parametrize(
    "text",
    ["一块蛋糕", "ORD-10233到了吗", "比较P00012和P00345", "我有两个孩子", "随便推荐点什么"],
)
def test_numbers_that_are_no_values_stay_words(text):
    """一块 is "a piece", an order id is an id, two children are no budget."""
    assert value_phrases(text) == []


def test_a_rating_above_five_is_no_rating():
    assert value_phrases("6分以上") == []


def test_chinese_numerals():
    assert [number(x) for x in ("两百", "三十五", "十", "4.5", "四点五")] == [200, 35, 10, 4.5, 4.5]
    assert number("东西") is None


def test_chinese_is_detected_in_mixed_messages():
    assert is_chinese("有没有 Bluetooth speakers")
    assert not is_chinese("bluetooth speakers under £50")


def test_the_oracle_reads_the_numbers_a_shopper_typed_in_chinese():
    """Independent of the reader: the eval's oracle accepts "rated 4" after "四星以上"."""
    assert {4.0, 25.0, 200.0} <= numbers_in(["四星以上", "二十五镑", "两百元"])
