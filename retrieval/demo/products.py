"""The demo catalog: products spread over the subcategories, with titles, texts and prices."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from retrieval.demo.catalog import (
    BRANDS,
    FIRST_NAMES,
    LAST_NAMES,
    MODEL_SUFFIXES,
    MODELS,
    POLICY_FACTS,
    SUBCATS,
    TIER_LINES,
)

PRODUCT_COLUMNS = [
    *("product_id", "title", "description", "category", "brand", "price", "currency"),
    *("rating", "review_count", "in_stock", "image_url", "attributes"),
]
SUB_NAMES = list(SUBCATS)
TIERS = {"budget": 0, "mid": 1, "premium": 2}
_SMALL_WORDS = {"de", "to", "of", "and", "the", "a", "in", "for"}
BRANDS_BY_TOP: dict[str, list[str]] = defaultdict(list)
for _name, (_tier, _quality, _tops) in BRANDS.items():
    for _top in _tops:
        BRANDS_BY_TOP[_top].append(_name)


@dataclass(eq=False)
class Item:
    product_id: str
    sub: str
    brand: str
    price: float | None
    stock: int
    rating: float
    review_count: int
    pos: float = 0.5  # price percentile within its subcategory

    @property
    def top(self) -> str:
        return SUBCATS[self.sub]["top"]

    @property
    def buyable(self) -> bool:
        return self.price is not None and self.stock > 0


def make_catalog(rng: random.Random, n: int) -> tuple[list[dict[str, Any]], list[Item]]:
    """Products spread evenly over the subcategories, in shuffled id order."""
    per, extra = divmod(n, len(SUB_NAMES))
    subs = [s for i, s in enumerate(SUB_NAMES) for _ in range(per + (i < extra))]
    rng.shuffle(subs)
    seen: set[str] = set()
    rows, items = [], []
    for i, sub in enumerate(subs):
        row, item = _make_product(rng, f"P{i + 1:05d}", sub, seen)
        rows.append(row)
        items.append(item)
    for i in rng.sample(range(n), round(0.02 * n)):  # the real world has products without price
        rows[i]["price"], items[i].price = "", None
    for i in rng.sample(range(n), round(0.08 * n)):  # and sold-out ones
        rows[i]["in_stock"], items[i].stock = "0", 0
    for sub in SUB_NAMES:  # price percentile within the subcategory
        priced = sorted(
            (it for it in items if it.sub == sub and it.price is not None),
            key=lambda it: (it.price, it.product_id),
        )
        for rank, it in enumerate(priced):
            it.pos = rank / max(1, len(priced) - 1)
    return rows, items


def _make_product(rng: random.Random, pid: str, sub: str, seen: set[str]) -> tuple[dict, Item]:
    spec = SUBCATS[sub]
    brand = rng.choice(spec.get("brands") or BRANDS_BY_TOP[spec["top"]])
    tier, quality, _ = BRANDS[brand]
    for _ in range(30):  # titles stay unique: redraw the variant on a clash
        attrs, ctx = _draw_variant(rng, spec, brand)
        title = spec["title"].format_map(ctx)
        if title not in seen:
            break
    else:
        title = f"{title} ({pid})"
    seen.add(title)
    idx = [0, *sorted(rng.sample(range(1, len(spec["desc"])), 2))]
    sentences = [spec["desc"][i].format_map(ctx) for i in idx]
    sentences.append(TIER_LINES[tier].format(brand=brand))
    description = " ".join(s[0].upper() + s[1:] for s in sentences)
    price = _price(rng, spec["band"], TIERS[tier])
    rating = round(min(5.0, max(1.0, 2.7 + 2.2 * quality + rng.gauss(0, 0.35))), 1)
    reviews = int(rng.lognormvariate(2.8 + 1.2 * quality, 1.1))
    stock = rng.randint(1, 80)
    row = {
        "product_id": pid,
        "title": title,
        "description": description,
        "category": f"{spec['top']} > {sub}",
        "brand": brand,
        "price": f"{price:.2f}",
        "currency": POLICY_FACTS["currency"],
        "rating": f"{rating:.1f}",
        "review_count": reviews,
        "in_stock": f"{stock} new",
        "image_url": "",
        "attributes": json.dumps(attrs, ensure_ascii=False),
    }
    return row, Item(pid, sub, brand, price, stock, rating, reviews)


def _draw_variant(rng: random.Random, spec: dict, brand: str) -> tuple[dict, dict[str, str]]:
    """Attribute values (stored) and the text context for the templates."""
    attrs = {k: _author(rng) if v is None else rng.choice(v) for k, v in spec["attrs"].items()}
    ctx: dict[str, Any] = {k: rng.choice(v) for k, v in spec.get("extras", {}).items()}
    ctx.update(attrs)
    for name, (key, wording) in spec.get("phrases", {}).items():
        ctx[name] = wording[attrs[key]]
    ctx["brand"] = brand
    ctx["model"] = rng.choice(MODELS) + rng.choice(MODEL_SUFFIXES)
    text = {k: as_text(v) for k, v in ctx.items()}
    text.update({k[0].upper() + k[1:]: _cap(v) for k, v in text.items()})
    return attrs, text


def _price(rng: random.Random, band: tuple[int, int], tier: int) -> float:
    """A shelf price in the band, higher for higher brand tiers."""
    lo, hi = band
    frac = 0.65 * (tier + rng.random()) / 3 + 0.35 * rng.random()
    whole = max(lo + 1, round(lo + (hi - lo) * frac**1.3))
    return round(whole - rng.choice((0.01, 0.01, 0.01, 0.51, 0.0)), 2)


def _author(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def as_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cap(text: str) -> str:
    """Title-case words ("men's" -> "Men's") but keep small joining words lower case."""

    def up(m: re.Match[str]) -> str:
        word = m.group(0)
        return word if m.start() and word in _SMALL_WORDS else word[0].upper() + word[1:]

    return re.sub(r"\b[a-z][\w']*", up, text)
