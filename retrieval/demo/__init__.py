"""Seeded, deterministic demo store: catalog, shopper events, orders and policies.

`generate` writes the store's files; `catalog` loads the template tables (subcategories, brands,
complements, texts and policies) from the data files in `data/`; `products`, `shoppers` and
`orders` draw the catalog, the shopper sessions and the orders that followed.
"""

from __future__ import annotations

from retrieval.demo.catalog import (
    BRANDS,
    COLORS,
    COMPLEMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    MODEL_SUFFIXES,
    MODELS,
    MULTI_QTY_SUBS,
    POLICY_FACTS,
    POLICY_TEMPLATES,
    REPEAT_SUBS,
    REVIEWS,
    SIZES,
    SUBCATS,
    money,
    policy_documents,
)
from retrieval.demo.generate import DEFAULT_NOW, STORE_RULES_FILE, DemoManifest, generate_demo

__all__ = [
    "BRANDS",
    "COLORS",
    "COMPLEMENTS",
    "DEFAULT_NOW",
    "FIRST_NAMES",
    "LAST_NAMES",
    "MODELS",
    "MODEL_SUFFIXES",
    "MULTI_QTY_SUBS",
    "POLICY_FACTS",
    "POLICY_TEMPLATES",
    "REPEAT_SUBS",
    "REVIEWS",
    "SIZES",
    "STORE_RULES_FILE",
    "SUBCATS",
    "DemoManifest",
    "generate_demo",
    "money",
    "policy_documents",
]
