"""The raw store for the conversation eval's oracle: loading a demo folder or a toys CSV, the
user's orders and the dates the rules compute for them, and the case's constraints on products.
Standard library only, like the rest of the oracle (a unit test enforces it).
"""

from __future__ import annotations

import csv
import itertools
import json
from datetime import date, timedelta
from pathlib import Path

from assistant.evals.conversations.oracle_reading import (
    parse_price,
    parse_rating,
    parse_stock,
    stock_count,
)

TOYS_COLUMNS = {"product_id": "uniq_id", "title": "product_name", "price": "price_gbp",
                "category": "amazon_category_and_sub_category", "rating": "average_rating",
                "in_stock": "number_available_in_stock"}  # fmt: skip


# --- raw store -----------------------------------------------------------------------------------
def load_store(path: Path, rows: int | None = None) -> dict:
    """A demo folder (products/orders/events.csv, store.json) or a toys products CSV."""
    path = Path(path)
    folder = path if path.is_dir() else None
    cols = {k: k for k in TOYS_COLUMNS} if folder else TOYS_COLUMNS
    with open(folder / "products.csv" if folder else path, encoding="utf-8", newline="") as fh:
        raw = list(itertools.islice(csv.DictReader(fh), rows))
    products = {}
    for r in raw:
        pid = r[cols["product_id"]]
        products[pid] = {"product_id": pid, "title": r[cols["title"]].strip(), "price": parse_price(r[cols["price"]]),
                         "rating": parse_rating(r[cols["rating"]]), "in_stock": parse_stock(r[cols["in_stock"]]),
                         "stock": stock_count(r[cols["in_stock"]]),
                         "levels": [c.strip().lower() for c in r[cols["category"]].split(">") if c.strip()]}  # fmt: skip
    store = {"products": products, "orders": [], "events": [], "rules": {}}
    if folder:
        for name in ("orders", "events"):
            with open(folder / f"{name}.csv", encoding="utf-8", newline="") as fh:
                store[name] = list(csv.DictReader(fh))
        store["rules"] = json.loads((folder / "store.json").read_text(encoding="utf-8"))
    return store


def add_business_days(start: date, days: int) -> date:
    d = start
    while days > 0:
        d += timedelta(days=1)
        days -= d.weekday() < 5
    return d


def user_orders(store: dict, user: str | None) -> list[dict]:
    """The user's order lines, newest first."""
    return sorted(
        (r for r in store["orders"] if r["user_id"] == user),
        key=lambda r: r["ordered_at"],
        reverse=True,
    )


def newest_order_ids(store: dict, user: str | None, n: int = 3) -> list[str]:
    return list(dict.fromkeys(r["order_id"] for r in user_orders(store, user)))[:n]


def line_dates(line: dict, rules: dict) -> set[date]:
    """Dates a sentence about this order line may state: its own and the ones the rules compute."""
    placed = date.fromisoformat(line["ordered_at"][:10])
    out = {placed}
    lo, hi = (
        rules.get("standard_delivery_business_days_min", 3),
        rules.get("standard_delivery_business_days_max", 5),
    )
    out |= {add_business_days(placed, lo), add_business_days(placed, hi)}
    if line["delivered_at"]:
        got = date.fromisoformat(line["delivered_at"][:10])
        out |= {got, got + timedelta(days=rules.get("return_window_days", 30))}
    return out


# --- constraints ---------------------------------------------------------------------------------
def in_category(p: dict, category) -> bool:
    wanted = [category] if isinstance(category, str) else category
    return any(w.lower() in p["levels"] for w in wanted)


def breaks(p: dict, spec: dict) -> str | None:
    """Why product `p` does not qualify under the case's constraints (None when it does)."""
    price, rating = p["price"], p["rating"]
    if spec.get("category") and not in_category(p, spec["category"]):
        return f"category {' > '.join(p['levels'])} is not {spec['category']}"
    if "price_max" in spec and (price is None or price > spec["price_max"]
                                or (price == spec["price_max"] and not spec.get("price_max_inclusive"))):  # fmt: skip
        return f"price {price} is not under {spec['price_max']}"
    if "price_min" in spec and (price is None or price < spec["price_min"]):
        return f"price {price} is below {spec['price_min']}"
    if "rating_min" in spec and (rating is None or rating < spec["rating_min"]):
        return f"rating {rating} is below {spec['rating_min']}"
    if p["in_stock"] is not True:
        return "not in stock"
    return None


def qualifying(store: dict, spec: dict) -> list[dict]:
    return [p for p in store["products"].values() if breaks(p, spec) is None]


def ranked(items: list[dict], which: str) -> list[dict]:
    key = "price" if which == "cheapest" else "rating"
    have = [p for p in items if p[key] is not None]
    return sorted(have, key=lambda p: p[key], reverse=which == "best_rated")


def value(p: dict, which: str) -> float | None:
    return p["price"] if which == "cheapest" else p["rating"]


def constraints(expect: dict) -> dict:
    keys = ("category", "price_max", "price_max_inclusive", "price_min", "rating_min")
    return {k: expect[k] for k in keys if k in expect}
