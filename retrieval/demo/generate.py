"""Seeded, deterministic demo store: catalog, shopper events, orders and policies."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrieval.demo.catalog import POLICY_FACTS, SUBCATS, policy_documents
from retrieval.demo.orders import ORDER_COLUMNS, distinct_seconds, make_orders
from retrieval.demo.products import PRODUCT_COLUMNS, Item, make_catalog
from retrieval.demo.shoppers import EVENT_COLUMNS, Purchase, Shopper, make_personas

__all__ = ["DEFAULT_NOW", "POLICY_FACTS", "STORE_RULES_FILE", "DemoManifest", "generate_demo"]

DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
STORE_RULES_FILE = "store.json"  # the store's rules (window, fees, exclusions) as data


@dataclass(frozen=True)
class DemoManifest:
    """What generate_demo wrote: paths, counts, the seed and users worth demoing."""

    out_dir: Path
    products_path: Path
    events_path: Path
    orders_path: Path
    policies_dir: Path
    policy_paths: tuple[Path, ...]
    seed: int
    now: datetime
    counts: dict[str, int]  # products, users, events, orders, order_items
    event_counts: dict[str, int]  # per event type
    showcase_users: dict[str, str]  # user_id -> one-line description

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (paths and times as strings)."""
        return {
            "out_dir": str(self.out_dir),
            "files": {
                "products": str(self.products_path),
                "events": str(self.events_path),
                "orders": str(self.orders_path),
                "policies": [str(p) for p in self.policy_paths],
            },
            "seed": self.seed,
            "now": _iso(self.now),
            "counts": dict(self.counts),
            "event_counts": dict(self.event_counts),
            "showcase_users": dict(self.showcase_users),
        }


def generate_demo(
    out_dir: Path,
    seed: int = 7,
    n_products: int = 600,
    n_users: int = 60,
    now: datetime | None = None,
) -> DemoManifest:
    """Write products.csv, events.csv, orders.csv and policies/*.md into out_dir."""
    if n_products < 2 * len(SUBCATS) or n_users < 1:
        msg = (
            f"n_products must be >= {2 * len(SUBCATS)} (two per subcategory) and n_users >= 1; "
            f"got n_products={n_products}, n_users={n_users}"
        )
        raise ValueError(msg)
    now = DEFAULT_NOW if now is None else now
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, items = make_catalog(random.Random(f"{seed}:catalog"), n_products)
    by_sub: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_sub[item.sub].append(item)
    personas = make_personas(random.Random(f"{seed}:personas"), n_users)
    events: list[dict[str, Any]] = []
    purchases: list[Purchase] = []
    for persona in personas:
        shopper = Shopper(random.Random(f"{seed}:user:{persona.user_id}"), persona, by_sub, now)
        shopper.run()
        events += shopper.events
        purchases += shopper.purchases
    orders, later = make_orders(random.Random(f"{seed}:orders"), purchases, now)
    events += distinct_seconds(events, later)
    events.sort(key=lambda e: (e["ts"], e["user_id"]))
    paths = {name: out_dir / f"{name}.csv" for name in ("products", "events", "orders")}
    _write_csv(paths["products"], PRODUCT_COLUMNS, rows)
    _write_csv(paths["events"], EVENT_COLUMNS, events)
    _write_csv(paths["orders"], ORDER_COLUMNS, orders)
    policy_paths = _write_policies(out_dir / "policies")
    _write_store_rules(out_dir / STORE_RULES_FILE)
    n_orders = len({o["order_id"] for o in orders})
    counts = dict(products=len(rows), users=len(personas), events=len(events), orders=n_orders)
    counts["order_items"] = len(orders)
    return DemoManifest(
        out_dir=out_dir,
        products_path=paths["products"],
        events_path=paths["events"],
        orders_path=paths["orders"],
        policies_dir=out_dir / "policies",
        policy_paths=policy_paths,
        seed=seed,
        now=now,
        counts=counts,
        event_counts=dict(sorted(Counter(e["event"] for e in events).items())),
        showcase_users={p.user_id: p.description for p in personas if p.description},
    )


# ---------------------------------------------------------------- files


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [_iso(row[c]) if isinstance(row[c], datetime) else row[c] for c in columns]
            )


def _write_store_rules(path: Path) -> None:
    """The store's rules as data (`store.json`): the engine and evaluation oracles read these
    numbers; the policy Markdown states the same ones."""
    path.write_text(json.dumps(POLICY_FACTS, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_policies(folder: Path) -> tuple[Path, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(policy_documents().items()):
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return tuple(paths)
