"""Plain records shared by ingestion, the store and search."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Product:
    """One normalized catalog row. Numbers are numbers; unknowns are None."""

    product_id: str
    title: str
    description: str = ""
    category: str = ""  # path "A > B > C", "" when unknown
    brand: str = ""
    price: float | None = None
    currency: str = "GBP"
    rating: float | None = None
    review_count: int | None = None
    in_stock: bool | None = None
    stock_qty: int | None = None
    image_url: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """Stable hash of every field; unchanged rows hash the same across ingests."""
        blob = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def embedding_text(self) -> str:
        """The text that is embedded: title first, then what helps meaning."""
        parts = [self.title]
        if self.brand:
            parts.append(f"Brand: {self.brand}")
        if self.category:
            parts.append(f"Category: {self.category}")
        if self.description:
            parts.append(self.description[:500])
        return ". ".join(parts)

    def category_levels(self) -> list[str]:
        """Each level of the category path, lower-cased."""
        return [p.strip().lower() for p in self.category.split(">") if p.strip()]

    def category_names(self) -> list[str]:
        """The names a shopper may use for this product's category, lower-cased: each level, each
        part of a compound level below the top ("Paper & Stickers": "stickers"), a level without its
        leading possessive ("Children's Craft Kits": "craft kits"), and each
        parent-child pair ("fancy dress > accessories", said "fancy dress accessories")."""
        levels = self.category_levels()
        names = list(levels)
        for level in levels[1:]:
            parts = [p.strip() for p in re.split(r"[,&]", level) if p.strip()]
            names += parts if len(parts) > 1 else []
            who, _, rest = level.partition(" ")  # "children's craft kits": "craft kits"
            names += [rest] if who.endswith(("'s", "s'")) and rest else []
        names += [f"{a} > {b}" for a, b in zip(levels, levels[1:], strict=False)]
        return list(dict.fromkeys(names))


@dataclass
class Reject:
    """A row that could not be ingested, with where and why."""

    line: int
    reason: str
    row: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"line": self.line, "reason": self.reason, "row": self.row},
            ensure_ascii=False,
            default=str,
        )


class InputFileError(ValueError):
    """The input file as a whole cannot be read (missing, empty, no required column)."""
