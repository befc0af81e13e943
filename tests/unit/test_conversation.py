"""Conversation state re-derived from messages: intents per turn and constraints that persist."""

from __future__ import annotations

import json

import pytest

from assistant.turn.conversation import derive_state
from assistant.turn.conversation_refs import order_ids, ordinals, referenced_products, shown_items
from assistant.turn.intents import Intent, IntentClassifier, IntentResult
from retrieval.search.query import Vocabulary

VOCAB = Vocabulary(
    brands={"lego", "hasbro", "sony", "playmobil"},
    categories={"games", "board games", "headphones", "electronics", "puzzles", "plush"},
)
RULES_ONLY = IntentClassifier(use_model=False)
SHOWN_3 = (
    "Here are three ideas:\n1. Ticket to Ride [P00012] £35.00\n2. Catan [P00040] £29.99\n"
    "3. Dobble [P00007] £12.50"
)
SHOWN_2 = "Under £20 I found:\n1. Dobble [P00007] £12.50\n2. Uno (P00090) £6.99"


class ScriptedClassifier:
    """Rules first; the 'model' answers from a script (what MiniLM would say, without loading it)."""

    def __init__(self, script: dict[str, Intent]) -> None:
        self.script = script

    def classify_many(self, texts: list[str]) -> list[IntentResult]:
        rules = RULES_ONLY.classify_many(texts)
        return [
            IntentResult(self.script[t], 0.9, "model") if t in self.script else r
            for t, r in zip(texts, rules, strict=True)
        ]


def chat(*turns: str) -> list[dict]:
    """Alternate user / assistant messages, starting with the user; a system prompt first."""
    roles = ["user", "assistant"]
    msgs = [{"role": "system", "content": "You are ShopAssist."}]
    return msgs + [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]


def state(*turns: str, classifier=RULES_ONLY, vocab=VOCAB):
    return derive_state(chat(*turns), vocab, "GBP", classifier)


def test_four_turn_conversation_keeps_the_budget_until_changed():
    t1 = "Can you recommend a board game for my nephew?"
    t2, t3, t4 = "cheaper, under £20", "compare the first two", "what's your return policy?"
    s1 = state(t1)
    assert s1.intent.intent == Intent.RECOMMEND
    assert s1.filters.categories == ("board games",) and "nephew" in s1.topic
    s2 = state(t1, SHOWN_3, t2)
    assert s2.intent.intent == Intent.RECOMMEND  # a constraint-only turn continues the request
    assert (s2.filters.price_max, s2.filters.price_max_inclusive) == (20.0, False)
    assert s2.topic == s1.topic and s2.filters.categories == ("board games",)
    s3 = state(t1, SHOWN_3, t2, SHOWN_2, t3)
    assert s3.intent.intent == Intent.COMPARE
    assert s3.product_ids == ["P00007", "P00090"] and s3.ordinals == [1, 2]
    assert s3.filters.price_max == 20.0
    s4 = state(t1, SHOWN_3, t2, SHOWN_2, t3, "Dobble is faster; Uno suits younger kids.", t4)
    assert s4.intent.intent == Intent.POLICY_QUESTION
    assert s4.filters.price_max == 20.0 and s4.filters.categories == ("board games",)
    json.dumps(s4.to_dict())


def test_a_support_detour_does_not_end_the_shopping_request():
    s = state("recommend a puzzle", SHOWN_3, "do you ship to Ireland?", "Yes.", "not Hasbro")
    assert s.intent.intent == Intent.RECOMMEND and s.filters.exclude_brands == ("hasbro",)


def test_cheaper_goes_below_the_cheapest_item_shown():
    s = state("board games", SHOWN_3, "anything cheaper?")
    assert (s.filters.price_max, s.filters.price_max_inclusive) == (12.5, False)
    assert s.intent.intent == Intent.SEARCH


def test_cheaper_without_shown_prices_lowers_the_budget_by_a_fifth():
    s = state("board games under £50", "Sorry, nothing matched.", "cheaper")
    assert s.filters.price_max == 40.0
    s = state("board games", "Sorry, nothing matched.", "cheaper please")
    assert s.filters.price_max is None and any("nothing to lower" in n for n in s.notes)


def test_more_expensive_sets_a_floor_above_what_was_shown():
    s = state("board games under £40", SHOWN_3, "something more expensive")
    assert (s.filters.price_min, s.filters.price_max) == (35.0, None)


def test_a_later_budget_replaces_the_earlier_one():
    assert state("puzzles under £30", "…", "under £15").filters.price_max == 15.0
    s = state("puzzles between £10 and £30", "…", "under £8")
    assert (s.filters.price_min, s.filters.price_max) == (None, 8.0)  # contradicting floor dropped
    s = state("puzzles under £30", "…", "over £10")
    assert (s.filters.price_min, s.filters.price_max) == (10.0, 30.0)


@pytest.mark.parametrize("clear", ["any price is fine", "forget the budget", "no budget"])
def test_clearing_the_budget(clear):
    s = state("lego under £20 rated 4+", "…", clear)
    assert (s.filters.price_max, s.filters.price_min) == (None, None)
    assert s.filters.rating_min == 4.0 and s.filters.brands == ("lego",)


def test_not_x_excludes_a_brand_until_named_again():
    s = state("toys", "…", "not Lego")
    assert s.filters.exclude_brands == ("lego",) and s.intent.intent == Intent.SEARCH
    s = state("toys", "…", "not Lego", "…", "ok, Lego then")
    assert s.filters.exclude_brands == () and s.filters.brands == ("lego",)


def test_not_x_outside_the_vocabulary_becomes_an_excluded_term():
    s = state("a soft toy", "…", "no batteries please", vocab=None)
    assert s.excluded_terms == ("batteries",) and s.topic == "a soft toy"


def test_changing_topic_replaces_category_and_brand_but_keeps_budget():
    s = state("lego board games under £25", SHOWN_3, "actually show me headphones")
    assert s.filters.categories == ("headphones",) and s.filters.brands == ()
    assert s.filters.price_max == 25.0 and s.topic == "headphones"


def test_new_words_refine_the_topic():
    s = state("board games", "…", "for two players", vocab=None)
    assert s.topic == "board games for two players"
    s = state("board games", "…", "what about jigsaws", vocab=None)
    assert s.topic == "jigsaws"


def test_colour_and_size_persist_until_replaced_or_cleared():
    s = state("a dress", "…", "in red", "…", "size 10")
    assert s.attributes == {"color": "red", "size": "10"} and "red" in s.search_text()
    s = state("a dress", "…", "in red", "…", "any colour")
    assert s.attributes == {}


def test_question_about_one_shown_item_is_a_search_and_changes_nothing():
    text = "is the second one in stock under £10?"
    s = state(
        "board games under £40",
        SHOWN_3,
        text,
        classifier=ScriptedClassifier({text: Intent.COMPARE}),
    )
    assert s.intent.intent == Intent.SEARCH
    assert s.product_ids == ["P00040"] and s.filters.price_max == 40.0


def test_support_turns_leave_the_shopping_constraints_alone():
    text = "my order over £50 hasn't arrived"
    clf = ScriptedClassifier({text: Intent.ORDER_STATUS})
    s = state("puzzles under £30", SHOWN_3, text, classifier=clf)
    assert s.intent.intent == Intent.ORDER_STATUS
    assert (s.filters.price_min, s.filters.price_max) == (None, 30.0)


def test_catalog_words_turn_a_model_guess_into_a_search():
    clf = ScriptedClassifier({"pink unicorn plush": Intent.SMALL_TALK})
    s = state("pink unicorn plush", classifier=clf)
    assert s.intent.intent == Intent.SEARCH and s.filters.categories == ("plush",)


def test_order_ids_persist_for_follow_ups():
    s = state("where is ORD-10001?", "It shipped yesterday.", "cancel it please")
    assert s.order_ids == ["ORD-10001"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's the status of ORD-10001", ["ORD-10001"]),
        ("cancel order 113542617735902", ["113542617735902"]),
        ("my order number 12345 is late", ["12345"]),
        ("ord10007 and ORD-10008", ["ORD-10007", "ORD-10008"]),
        ("I paid £129999 for it", []),
    ],
)
def test_order_id_extraction(text, expected):
    assert order_ids(text) == expected


@pytest.mark.parametrize(
    ("text", "loose", "expected"),
    [
        ("compare the first two", True, [1, 2]),
        ("the top 3 please", False, [1, 2, 3]),
        ("is the second one wooden?", False, [2]),
        ("compare the first and the last", True, [1, -1]),
        ("items 1 and 3", False, [1, 3]),
        ("how do both compare", True, [1, 2]),
        ("first time buying here", False, []),
    ],
)
def test_ordinals(text, loose, expected):
    assert ordinals(text, loose) == expected


def test_references_resolve_against_the_last_assistant_message():
    shown, prices = shown_items(SHOWN_3)
    assert shown == ["P00012", "P00040", "P00007"] and prices == [35.0, 29.99, 12.5]
    assert referenced_products("compare p00012 and P00099", [], shown) == ["P00012", "P00099"]
    assert referenced_products("the last one", [-1], shown) == ["P00007"]
    assert referenced_products("the fifth one", [5], shown) == []
    s = state("board games", SHOWN_3, "compare P00012 and P00040")
    assert s.intent.intent == Intent.COMPARE and s.product_ids == ["P00012", "P00040"]


def test_content_parts_and_unknown_roles_are_handled():
    msgs = [
        {"role": "user", "content": [{"type": "text", "text": "show me puzzles"}]},
        {"role": "tool", "content": "ignored"},
    ]
    s = derive_state(msgs, VOCAB, "GBP", RULES_ONLY)
    assert s.intent.intent == Intent.SEARCH and s.filters.categories == ("puzzles",)
    assert s.user_turns == 1


def test_a_name_outside_the_tagged_subject_is_no_filter():
    from retrieval.types import Product

    names = {n for c in ("Arts & Crafts > Children's Craft Kits", "Handbags > Kids'",
                         "Fancy Dress > Accessories > Sets & Kits") for n in Product("x", "x", category=c).category_names()}  # fmt: skip
    vocab = Vocabulary(brands=set(), categories=names)
    turns = chat("the cheapest craft kits for kids")
    tagged = derive_state(turns, vocab, "GBP", RULES_ONLY, subjects=["craft kits"])
    assert tagged.filters.categories == ("craft kits",)  # "for kids" is who it is for
    untagged = derive_state(turns, vocab, "GBP", RULES_ONLY)  # no tagger: every name found
    assert set(untagged.filters.categories) == {"craft kits", "kids'"}
