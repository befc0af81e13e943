"""The shipped slot tagger (MiniLM word vectors + logistic head) on phrasings it was not trained on."""

from __future__ import annotations

import pytest

from assistant.turn.tagger import SlotTagger

# (message, the recipient's interest): none of these sentences is in the training pieces
GIFTS_FOR_FANS = [
    ("present for a bookworm friend", "bookworm"),
    ("something nice for a yoga fan", "yoga"),
    ("looking for something for an avid cyclist", "cyclist"),
    ("what would you get for a keen photographer?", "photographer"),
    ("birthday gift for my uncle who fishes", "fishes"),
    ("a stocking filler for a tea lover", "tea"),
    ("a present for a coffee snob under £25", "coffee"),
    ("gift ideas for a gardener please", "gardener"),
    ("christmas present for someone who loves cooking", "cooking"),
    ("what's good for a runner?", "runner"),
]


@pytest.fixture(scope="module")
def tagger():
    return SlotTagger()


def test_a_gift_recipients_interest_is_tagged_as_one(tagger):
    tagged = tagger.tag_many([text for text, _ in GIFTS_FOR_FANS])
    hits = [
        word in " ".join(t.runs("INTEREST"))
        for t, (_, word) in zip(tagged, GIFTS_FOR_FANS, strict=True)
    ]
    assert sum(hits) >= 8, [
        (t.words, t.labels) for t, hit in zip(tagged, hits, strict=True) if not hit
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [("have you got a mattress", "mattress"), ("ski boots under 100", "ski boots"),
     ("show me the cheapest kettle", "kettle")],
)  # fmt: skip
def test_a_product_asked_for_is_the_item(tagger, text, words):
    tagged = tagger.tag(text)
    assert words in " ".join(tagged.runs("ITEM")) and not tagged.has("INTEREST")


def test_a_reference_to_the_shoppers_past(tagger):
    tagged = tagger.tag("more like what I got last time")
    assert tagged.has("PAST") and "last time" in " ".join(tagged.runs("PAST"))
    assert not tagged.has("ITEM")


def test_a_recipient_alone_is_no_subject(tagger):
    tagged = tagger.tag("a gift for my mum")
    assert not tagged.has("ITEM") and not tagged.has("INTEREST")
