"""Conversation state, re-derived from the OpenAI-style messages on every call (the API is stateless).

`derive_state` replays the user turns: each turn's intent (in context), the constraints it
changes (only shopping turns change them: `assistant.turn.conversation_constraints` holds the rules)
and what it refers to (`assistant.turn.conversation_refs`). A message made only of constraints
("cheaper, under £20", "not Lego") continues the previous shopping intent; one about specific
items ("is the second one wooden?") changes no constraint.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.turn.conversation_constraints import apply_constraints
from assistant.turn.conversation_refs import (
    message_text,
    order_ids,
    ordinals,
    referenced_products,
    shown_items,
)
from assistant.turn.conversation_state import ConversationState
from assistant.turn.intents import SHOPPING, SUPPORT_WORDS, Intent, IntentClassifier, IntentResult
from retrieval.search.query import Vocabulary, parse_query


def _turn_intent(
    result: IntentResult, last_shopping: Intent | None, refinement: bool, refs: int, text: str
) -> IntentResult:
    """Context fixes: constraint-only turns continue shopping; one named item is no comparison."""
    if result.intent == Intent.COMPARE and result.source == "model" and refs == 1:
        return IntentResult(Intent.SEARCH, result.confidence, result.source)
    if refinement and last_shopping and not SUPPORT_WORDS.search(text):
        keep = Intent.SEARCH if last_shopping == Intent.COMPARE else last_shopping
        return IntentResult(keep, result.confidence, result.source)
    return result


def _catalog_hint(
    result: IntentResult, text: str, vocab: Vocabulary | None, currency: str
) -> IntentResult:
    """A model guess outside shopping yields to search when the text names catalog filters."""
    if result.source != "model" or result.intent in SHOPPING or SUPPORT_WORDS.search(text):
        return result
    if parse_query(text, vocab, currency).filters.to_dict():
        return IntentResult(Intent.SEARCH, result.confidence, "rules")
    return result


def _user_turn(
    state: ConversationState,
    text: str,
    result: IntentResult,
    vocab: Vocabulary | None,
    currency: str,
    subject: str | None = None,
) -> ConversationState:
    state = replace(state, filters=replace(state.filters), attributes=dict(state.attributes))
    state.notes, state.user_turns = [], state.user_turns + 1
    nums = ordinals(text, loose=result.intent == Intent.COMPARE)
    refs = referenced_products(text, nums, state.shown_ids)
    result = _catalog_hint(result, text, vocab, currency)
    shopping = result.intent in SHOPPING
    refinement = False
    if shopping and not refs:
        refinement = apply_constraints(state, text, vocab, currency, subject)
    state.intent = _turn_intent(result, state.shopping_intent, refinement, len(refs), text)
    if state.intent.intent in SHOPPING:
        state.shopping_intent = state.intent.intent
    if refs or state.intent.intent != Intent.COMPARE:
        state.product_ids, state.ordinals = refs, nums
    elif not state.product_ids:
        state.product_ids = state.shown_ids[:2]
    state.order_ids = order_ids(text) or state.order_ids
    return state


def derive_state(
    messages: list[dict],
    vocab: Vocabulary | None = None,
    currency: str = "GBP",
    classifier: IntentClassifier | None = None,
    subjects: list[str] | None = None,
) -> ConversationState:
    """Replay the user turns (and what the assistant showed) into the state now in force.

    `subjects`: per user turn, the words a tagger marked as the thing to search for."""
    if classifier is None:
        from assistant.turn.intents import default_classifier

        classifier = default_classifier()
    turns = [(m.get("role"), message_text(m)) for m in messages]
    user_texts = [t for role, t in turns if role == "user"]
    results = iter(classifier.classify_many(user_texts))
    tagged = iter(subjects if subjects is not None else [None] * len(user_texts))
    state = ConversationState()
    for role, text in turns:
        if role == "assistant":
            state.shown_ids, state.shown_prices = shown_items(text)
        elif role == "user":
            state = _user_turn(state, text, next(results), vocab, currency, next(tagged))
    return state
