"""Shown text back in the prompt's tag form: the training target of a liked answer or a sent
reply must cite items and policies as the prompt does ([P1], [S1]), not as the UI shows them."""

from __future__ import annotations

from assistant.prompts import Evidence
from assistant.turn.grounding import Grounder
from finetune.feedback import tag_form

ITEMS = [
    {"product_id": "P00337", "title": "Sumatra Light Roast Coffee 500g", "price": 15.49,
     "currency": "GBP", "rating": 4.2, "in_stock": True},
    {"product_id": "P00466", "title": "Kenya Dark Roast Coffee 1000g", "price": 15.0,
     "currency": "GBP", "rating": 4.3, "in_stock": True},
]  # fmt: skip
POLICY = {"id": "returns.md#return-window", "section": "Returns > Return window",
          "file": "returns.md", "text": "You can return most items within 30 days of delivery."}  # fmt: skip


def test_every_way_the_grounder_shows_an_item_or_a_policy_goes_back_to_its_tag():
    ev = Evidence("search", items=ITEMS, policies=[POLICY])
    model = "[P1] is a great fit, rated 4.2. [P2] also matches at £15.00. Returns: 30 days [S1]."
    shown = Grounder(ev).ground(model).text
    assert "[P00337]" in shown and "›" in shown  # what a shopper saw
    back = tag_form(shown, ev)
    assert back == model  # the same words, cited as the prompt cites
    assert Grounder(ev).ground(back).dropped == []  # and it still grounds


def test_items_not_in_the_evidence_keep_their_real_ids():
    ev = Evidence("search", items=ITEMS[1:])
    said = "Sumatra Light Roast Coffee 500g (£15.49) [P00337] is a great fit."
    assert tag_form(said, ev) == said  # not retagged: the grounding check then drops it
    assert Grounder(ev).ground(tag_form(said, ev)).dropped
