"""Decided facts: typed records of what code made true for one turn, each with one rendering.

Code decides a fact once, as values (an order's status and dates, a return verdict, which item is
cheapest and by how much). `str(fact)` is its only English rendering, and every consumer uses it:
the prompt's FACTS block, the code-written lead and fallback answers, and the grounding check
(the numbers a sentence may state about an item). Fine-tuning targets read the typed fields and
never parse the sentence back. `tags` are the evidence tags ([P1]) a fact is about.
"""

from assistant.facts.base import NOTHING, Fact, Note, render
from assistant.facts.items import (
    AttributeDiff,
    BestFor,
    Comparing,
    ItemDetails,
    LikePurchase,
    NothingFound,
    PriceGap,
    RatingGap,
    SamePrice,
    SameRating,
    SizeGap,
    Superlative,
)
from assistant.facts.service import (
    RETURN_VERDICTS,
    BasketChange,
    Cancellable,
    Handoff,
    NoSuchOrder,
    OrderStatus,
    PolicyRule,
    ReturnVerdict,
    StatedReturn,
    Warranty,
)

__all__ = [
    "NOTHING",
    "RETURN_VERDICTS",
    "Fact",
    "Note",
    "render",
    "AttributeDiff",
    "BestFor",
    "Comparing",
    "ItemDetails",
    "LikePurchase",
    "NothingFound",
    "PriceGap",
    "RatingGap",
    "SamePrice",
    "SameRating",
    "SizeGap",
    "Superlative",
    "BasketChange",
    "Cancellable",
    "Handoff",
    "NoSuchOrder",
    "OrderStatus",
    "PolicyRule",
    "ReturnVerdict",
    "StatedReturn",
    "Warranty",
]
