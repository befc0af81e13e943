"""The conversation's state: the last intent and the constraints and references in force, as
`assistant.turn.conversation.derive_state` re-derives them from the messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.turn.intents import Intent, IntentResult
from retrieval.storage.mirror import Filters


@dataclass
class ConversationState:
    """What the conversation means now: the last intent and the constraints in force."""

    intent: IntentResult | None = None
    filters: Filters = field(default_factory=Filters)
    topic: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # colour / size, soft
    excluded_terms: tuple[str, ...] = ()  # "not X" where X is no known brand/category
    product_ids: list[str] = field(default_factory=list)  # items this turn is about
    ordinals: list[int] = field(default_factory=list)  # 1-based positions the user named
    order_ids: list[str] = field(default_factory=list)
    shown_ids: list[str] = field(default_factory=list)  # ids in the last assistant message
    shown_prices: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what this turn changed, for humans
    shopping_intent: Intent | None = None  # the last recommend/search/compare turn's intent
    user_turns: int = 0

    def search_text(self) -> str:
        """The free text to rank by: topic plus soft attributes."""
        return " ".join([self.topic, *self.attributes.values()]).strip()

    def to_dict(self) -> dict:
        """JSON form (the `constraints` of `ask --json`)."""
        return {
            "intent": self.intent.to_dict() if self.intent else None,
            "filters": self.filters.to_dict(),
            "topic": self.topic,
            "attributes": dict(self.attributes),
            "excluded_terms": list(self.excluded_terms),
            "product_ids": list(self.product_ids),
            "ordinals": list(self.ordinals),
            "order_ids": list(self.order_ids),
            "notes": list(self.notes),
        }
