"""What the conversation case generators build: the case record and how many per category, and
what they build from: CSV rows, the demo store as a generator sees it, budgets from its prices,
Bitext rows of an intent."""

from __future__ import annotations

import csv
import itertools
import random
import re
from pathlib import Path

PER_CATEGORY = 33
TOYS_PER_CATEGORY = 10


def case(cat, catalog, user, turns, expect, source="written"):
    return {"category": cat, "catalog": catalog, "user": user, "turns": turns, "expect": expect,
            "source": source}  # fmt: skip


def read_csv(path: Path, limit: int | None = None) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(itertools.islice(csv.DictReader(fh), limit))


def num(text: str) -> float | None:
    text = re.sub(r"[£,\s]", "", text or "").split("out")[0]
    try:
        return float(text)
    except ValueError:
        return None


def products(rows: list[dict], cat_col: str, price_col: str, stock_col: str) -> list[dict]:
    """Priced, in-stock products with their category levels (a generator's view, not the oracle)."""
    out = []
    for r in rows:
        stock = re.findall(r"\d+", r[stock_col] or "")
        price = num(r[price_col])
        if price is not None and stock and int(stock[0]) > 0:
            out.append({"price": price, "levels": [c.strip() for c in r[cat_col].split(">")]})
    return out


def budget(items: list[dict], level: str, rng: random.Random) -> int:
    prices = sorted(p["price"] for p in items if level in p["levels"])
    pick = prices[min(len(prices) - 1, max(1, int(len(prices) * rng.uniform(0.3, 0.7))))]
    return int(pick // 5 + 1) * 5


def load_demo(folder: Path) -> dict:
    rows = read_csv(folder / "products.csv")
    orders = read_csv(folder / "orders.csv")
    items = products(rows, "category", "price", "in_stock")
    by_leaf: dict[str, list[str]] = {}
    for r in rows:
        if num(r["price"]) is not None and re.match(r"[1-9]", r["in_stock"]):
            by_leaf.setdefault(r["category"].split(" > ")[-1], []).append(r["product_id"])
    by_user: dict[str, list[dict]] = {}
    for r in orders:
        by_user.setdefault(r["user_id"], []).append(r)
    return {"items": items, "by_leaf": by_leaf, "titles": {r["product_id"]: r["title"] for r in rows},
            "orders": orders, "orders_by_user": by_user, "users": sorted(by_user)}  # fmt: skip


def bitext(
    pairs: list[dict], intents: tuple[str, ...], rng, n: int, keep=lambda r: True
) -> list[dict]:
    rows = sorted(
        (r for r in pairs if r["intent"] in intents and keep(r)), key=lambda r: r["instruction"]
    )
    return rng.sample(rows, n)
