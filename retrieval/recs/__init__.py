"""Next-item recommendation: models on item sequences, full-ranking metrics, the re-ranker, and
`recommend` (the store's recommendations with reasons). The eval harness is `assistant.evals.recs`."""

from retrieval.recs.models import (
    CooccurrenceBaseline,
    PopularityModel,
    ShopAssistConfig,
    ShopAssistModel,
)

__all__ = ["CooccurrenceBaseline", "PopularityModel", "ShopAssistConfig", "ShopAssistModel"]
