"""Orders from the simulated purchases, and the returns, ratings and reviews that followed."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from retrieval.demo.catalog import POLICY_FACTS, REVIEWS, SUBCATS
from retrieval.demo.shoppers import Purchase, event_row

ORDER_COLUMNS = [
    *("order_id", "user_id", "product_id", "quantity", "status", "ordered_at", "delivered_at"),
]


def make_orders(
    rng: random.Random, purchases: list[Purchase], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One row per purchased item, plus the returns, ratings and reviews that followed."""
    groups: dict[tuple[str, int], list[Purchase]] = defaultdict(list)
    for pu in purchases:
        groups[pu.key].append(pu)
    rows: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    for n, group in enumerate(sorted(groups.values(), key=lambda g: (g[0].ts, g[0].user_id))):
        placed = group[0].ts
        delivered = _delivery_time(rng, placed)
        cancelled = rng.random() < 0.03
        for pu in group:
            status = _status(placed, delivered, cancelled, now)
            if status == "delivered":
                status = _after_delivery(rng, pu, delivered, now, later)
            rows.append(
                {
                    "order_id": f"ORD-{10001 + n}",
                    "user_id": pu.user_id,
                    "product_id": pu.item.product_id,
                    "quantity": pu.quantity,
                    "status": status,
                    "ordered_at": pu.ts,
                    "delivered_at": delivered if status in {"delivered", "returned"} else "",
                }
            )
    return rows, later


def _delivery_time(rng: random.Random, placed: datetime) -> datetime:
    """Delivery per the shipping policy: express next business day, else standard."""
    f = POLICY_FACTS
    if rng.random() < 0.15:
        days = f["express_delivery_business_days"]
    else:
        days = rng.randint(
            f["standard_delivery_business_days_min"], f["standard_delivery_business_days_max"]
        )
    in_time = placed.weekday() < 5 and placed.hour < f["express_cutoff_hour"]
    day = _add_business_days(placed.date(), days + (0 if in_time else 1))
    return datetime.combine(day, time(rng.randint(8, 19), rng.randrange(60)), UTC)


def _add_business_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _status(placed: datetime, delivered: datetime, cancelled: bool, now: datetime) -> str:
    if cancelled:
        return "cancelled"
    if delivered <= now:
        return "delivered"
    age = now - placed
    if age < timedelta(hours=4):
        return "placed"
    return "processing" if age < timedelta(hours=24) else "shipped"


def _after_delivery(
    rng: random.Random,
    pu: Purchase,
    delivered: datetime,
    now: datetime,
    later: list[dict[str, Any]],
) -> str:
    """Maybe a return (inside the window, never opened-only categories), rating and review."""
    status, item = "delivered", pu.item
    window = POLICY_FACTS["return_window_days"]
    if item.top not in POLICY_FACTS["non_returnable_if_opened"] and rng.random() < 0.1:
        ts = delivered + timedelta(days=rng.uniform(1, window - 1))
        if ts < now:
            later.append(event_row(pu.user_id, item, "return", ts, quantity=pu.quantity))
            status = "returned"
    if rng.random() < 0.45:
        ts = delivered + timedelta(days=rng.uniform(0.5, 21))
        if ts < now:
            base = 1.5 if status == "returned" else item.rating
            stars = min(5, max(1, round(rng.gauss(base, 0.8))))
            later.append(event_row(pu.user_id, item, "rating", ts, rating=stars))
            review_ts = ts + timedelta(minutes=rng.randint(1, 30))
            if rng.random() < 0.45 and review_ts < now:
                mood = "good" if stars >= 4 else "ok" if stars == 3 else "bad"
                noun = SUBCATS[item.sub]["noun"]
                text = rng.choice(REVIEWS[mood]).format(noun=noun)
                later.append(
                    event_row(pu.user_id, item, "review", review_ts, rating=stars, text=text)
                )
    return status


def distinct_seconds(events: list[dict], later: list[dict]) -> list[dict]:
    """Move follow-up events off any second their user already has an event in."""
    taken = {(e["user_id"], e["ts"]) for e in events}
    for e in later:
        e["ts"] = e["ts"].replace(microsecond=0)
        while (e["user_id"], e["ts"]) in taken:
            e["ts"] += timedelta(seconds=1)
        taken.add((e["user_id"], e["ts"]))
    return later
