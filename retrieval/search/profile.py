"""User behavior analysis: affinities with recency decay, price band, purchases, sizes."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select

from retrieval.storage.schema import events

# How much one event says about taste; returns count against the item's category and brand.
EVENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0, "review": 2.0, "return": -4.0}
HALF_LIFE_DAYS = 30.0
PARENT_CREDIT = 0.5  # a category's parents get this share of the credit


@dataclass
class UserProfile:
    """What a user's behavior says about them; affinities are scaled to [0, 1]."""

    user_id: str
    n_events: int = 0
    category_affinity: dict[str, float] = field(default_factory=dict)
    brand_affinity: dict[str, float] = field(default_factory=dict)
    brands_bought: list[str] = field(default_factory=list)
    price_band: dict[str, float] | None = None  # p25, median, p75 of carted/bought prices
    purchased: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    recent_items: list[str] = field(default_factory=list)  # newest first, distinct
    recent_searches: list[str] = field(default_factory=list)
    sizes: dict[str, str] = field(default_factory=dict)  # attribute -> most frequent value
    last_active: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.n_events == 0

    def to_dict(self) -> dict:
        return asdict(self)

    def top_categories(self, n: int = 3) -> list[str]:
        return [c for c, _ in sorted(self.category_affinity.items(), key=lambda kv: -kv[1])[:n]]


def load_user_events(engine, user_id: str) -> list[dict]:
    """A user's events, oldest first."""
    query = select(events).where(events.c.user_id == user_id).order_by(events.c.ts)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _decay(ts: datetime, now: datetime) -> float:
    age_days = max((now - ts).total_seconds() / 86400.0, 0.0)
    return math.pow(0.5, age_days / HALF_LIFE_DAYS)


def _scaled(scores: dict[str, float]) -> dict[str, float]:
    top = max((v for v in scores.values() if v > 0), default=0.0)
    if top <= 0:
        return {}
    return {k: round(v / top, 4) for k, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v > 0}


def build_profile(user_id: str, rows: list[dict], get_product, now: datetime | None = None):
    """Profile from a user's events; get_product(id) gives the catalog item or None."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    prof = UserProfile(user_id=user_id, n_events=len(rows))
    cat: defaultdict[str, float] = defaultdict(float)
    brand: defaultdict[str, float] = defaultdict(float)
    prices: list[float] = []
    sizes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    bought_brands: Counter[str] = Counter()
    recent: list[str] = []
    for row in rows:
        kind, pid = row["event"], row.get("product_id")
        if kind == "search" and row.get("query"):
            prof.recent_searches.insert(0, row["query"])
            continue
        product = get_product(pid) if pid else None
        if pid:
            recent = [pid] + [p for p in recent if p != pid]
        if kind == "purchase" and pid:
            prof.purchased.append(pid)
        elif kind == "return" and pid:
            prof.returned.append(pid)
        weight = _event_weight(row) * _decay(row["ts"], now)
        if product is None:
            continue
        levels = product.category_levels()
        for depth, level in enumerate(levels):
            credit = 1.0 if depth == len(levels) - 1 else PARENT_CREDIT
            cat[level] += weight * credit
        if product.brand:
            brand[product.brand] += weight
            if kind == "purchase":
                bought_brands[product.brand] += 1
        if kind in ("cart", "purchase") and product.price is not None and weight > 0:
            prices.append(product.price)
        if kind == "purchase":
            for key in ("size", "shoe_size", "clothing_size"):
                if key in product.attributes:
                    sizes[key][str(product.attributes[key])] += 1
    prof.category_affinity, prof.brand_affinity = _scaled(cat), _scaled(brand)
    prof.brands_bought = [b for b, _ in bought_brands.most_common()]
    if prices:
        p25, p50, p75 = np.percentile(prices, [25, 50, 75])
        prof.price_band = {"p25": round(p25, 2), "median": round(p50, 2), "p75": round(p75, 2)}
    prof.sizes = {k: c.most_common(1)[0][0] for k, c in sizes.items()}
    prof.recent_items = recent[:20]
    prof.recent_searches = prof.recent_searches[:10]
    prof.last_active = rows[-1]["ts"].isoformat() + "Z" if rows else None
    return prof


def _event_weight(row: dict) -> float:
    if row["event"] == "cart" and (row.get("quantity") or 1) <= 0:
        return 0.0  # taken out of the basket: no interest either way
    if row["event"] == "rating" and row.get("rating") is not None:
        return (float(row["rating"]) - 3.0) * 1.5
    return EVENT_WEIGHTS.get(row["event"], 0.0)


def user_profile(store, user_id: str, now: datetime | None = None) -> UserProfile:
    """The profile of one user from the store's events and catalog."""
    rows = load_user_events(store.engine, user_id)
    return build_profile(user_id, rows, store.get_product, now)
