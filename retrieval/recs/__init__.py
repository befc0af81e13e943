"""Next-item recommendation: models on item sequences, full-ranking metrics, the eval harness."""

from retrieval.recs.models import (
    CooccurrenceBaseline,
    PopularityModel,
    ShopAssistConfig,
    ShopAssistModel,
)

__all__ = ["CooccurrenceBaseline", "PopularityModel", "ShopAssistConfig", "ShopAssistModel"]
