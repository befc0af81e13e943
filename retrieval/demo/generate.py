"""Seeded, deterministic demo store: catalog, shopper events, orders and policies."""

from __future__ import annotations

import csv
import json
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from string import Formatter
from typing import Any

from retrieval.demo_catalog import (
    BRANDS,
    COMPLEMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    MODEL_SUFFIXES,
    MODELS,
    MULTI_QTY_SUBS,
    POLICY_FACTS,
    REPEAT_SUBS,
    REVIEWS,
    SUBCATS,
    policy_documents,
)

__all__ = ["DEFAULT_NOW", "POLICY_FACTS", "STORE_RULES_FILE", "DemoManifest", "generate_demo"]

DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 183
STORE_RULES_FILE = "store.json"  # the store's rules (window, fees, exclusions) as data
PRODUCT_COLUMNS = [
    *("product_id", "title", "description", "category", "brand", "price", "currency"),
    *("rating", "review_count", "in_stock", "image_url", "attributes"),
]
EVENT_COLUMNS = ["user_id", "product_id", "event", "ts", "quantity", "rating", "query", "text"]
ORDER_COLUMNS = [
    *("order_id", "user_id", "product_id", "quantity", "status", "ordered_at", "delivered_at"),
]
SUB_NAMES = list(SUBCATS)
TIERS = {"budget": 0, "mid": 1, "premium": 2}
BAND_TARGET = {"budget": 0.15, "mid": 0.5, "premium": 0.85}  # preferred price percentile
BUDGET_SHARE = {"budget": 0.3, "mid": 0.6, "premium": 1.0}  # "under £X" within a price band
ACTIVITY = {"low": (5, 10), "medium": (12, 24), "high": (30, 48)}  # sessions in the window
# mode -> (p cart the first buyable item viewed, p buy a carted item)
MODES = {"browse": (0.5, 0.15), "complement": (0.6, 0.4), "repeat": (0.9, 0.8), "recent": (1, 1)}
SESSION_HOURS = [8, 9, 12, 13, 17, 18, 19, 20, 20, 21, 21, 22]
TIER_LINES = {
    "budget": "Everyday value from {brand}.",
    "mid": "{brand} quality at a fair price.",
    "premium": "From {brand}'s premium range, built to last.",
}
SHOWCASE: list[tuple[tuple[str, ...], str, str, str]] = [  # tastes, band, activity, description
    (("Coffee Beans", "Coffee Makers", "Mugs & Cups"), "premium", "high",
     "coffee lover: premium machines and mugs, buys beans again every few weeks"),
    (("Running Shoes", "Running Socks", "Smartwatches"), "mid", "high",
     "runner: running shoes, socks and GPS watches, mid-range budget"),
    (("Wooden Toys", "Board Games", "Children's Books"), "budget", "high",
     "parent: wooden toys, board games and picture books on a budget"),
    (("Tools", "Planters", "Seeds"), "mid", "medium", "gardener: tools, planters and seeds"),
    (("Skincare", "Hair Care", "Fragrance"), "premium", "medium",
     "beauty fan: premium skincare, hair care and fragrance"),
]  # fmt: skip
_SMALL_WORDS = {"de", "to", "of", "and", "the", "a", "in", "for"}
BRANDS_BY_TOP: dict[str, list[str]] = defaultdict(list)
for _name, (_tier, _quality, _tops) in BRANDS.items():
    for _top in _tops:
        BRANDS_BY_TOP[_top].append(_name)


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


@dataclass(eq=False)
class _Item:
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


@dataclass
class _Persona:
    user_id: str
    favorites: tuple[str, ...]
    brands: tuple[str, ...]
    band: str
    activity: str
    repeat_days: int
    description: str = ""


@dataclass
class _Purchase:
    key: tuple[str, int]  # (user, checkout number): items bought together share an order
    user_id: str
    item: _Item
    quantity: int
    ts: datetime


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
    rows, items = _make_catalog(random.Random(f"{seed}:catalog"), n_products)
    by_sub: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_sub[item.sub].append(item)
    personas = _make_personas(random.Random(f"{seed}:personas"), n_users)
    events: list[dict[str, Any]] = []
    purchases: list[_Purchase] = []
    for persona in personas:
        shopper = _Shopper(random.Random(f"{seed}:user:{persona.user_id}"), persona, by_sub, now)
        shopper.run()
        events += shopper.events
        purchases += shopper.purchases
    orders, later = _make_orders(random.Random(f"{seed}:orders"), purchases, now)
    events += _distinct_seconds(events, later)
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


# ---------------------------------------------------------------- catalog


def _make_catalog(rng: random.Random, n: int) -> tuple[list[dict[str, Any]], list[_Item]]:
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


def _make_product(rng: random.Random, pid: str, sub: str, seen: set[str]) -> tuple[dict, _Item]:
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
    return row, _Item(pid, sub, brand, price, stock, rating, reviews)


def _draw_variant(rng: random.Random, spec: dict, brand: str) -> tuple[dict, dict[str, str]]:
    """Attribute values (stored) and the text context for the templates."""
    attrs = {k: _author(rng) if v is None else rng.choice(v) for k, v in spec["attrs"].items()}
    ctx: dict[str, Any] = {k: rng.choice(v) for k, v in spec.get("extras", {}).items()}
    ctx.update(attrs)
    for name, (key, wording) in spec.get("phrases", {}).items():
        ctx[name] = wording[attrs[key]]
    ctx["brand"] = brand
    ctx["model"] = rng.choice(MODELS) + rng.choice(MODEL_SUFFIXES)
    text = {k: _text(v) for k, v in ctx.items()}
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


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cap(text: str) -> str:
    """Title-case words ("men's" -> "Men's") but keep small joining words lower case."""

    def up(m: re.Match[str]) -> str:
        word = m.group(0)
        return word if m.start() and word in _SMALL_WORDS else word[0].upper() + word[1:]

    return re.sub(r"\b[a-z][\w']*", up, text)


# ---------------------------------------------------------------- shoppers


def _make_personas(rng: random.Random, n_users: int) -> list[_Persona]:
    width = max(3, len(str(n_users)))
    out = []
    for i in range(n_users):
        if i < len(SHOWCASE):
            favorites, band, activity, description = SHOWCASE[i]
        else:
            favorites, description = _random_taste(rng), ""
            band = rng.choices(list(BAND_TARGET), weights=(35, 45, 20))[0]
            activity = rng.choices(list(ACTIVITY), weights=(35, 45, 20))[0]
        specs = [SUBCATS[s] for s in favorites]
        pool = sorted({b for sp in specs for b in sp.get("brands") or BRANDS_BY_TOP[sp["top"]]})
        weights = [3 if BRANDS[b][0] == band else 1 for b in pool]  # brands of their price band
        brands = tuple(sorted({rng.choices(pool, weights)[0] for _ in range(2)}))
        uid, repeat_days = f"u{i + 1:0{width}d}", rng.randint(14, 35)
        out.append(_Persona(uid, favorites, brands, band, activity, repeat_days, description))
    return out


def _random_taste(rng: random.Random) -> tuple[str, ...]:
    """An anchor subcategory plus one or two related ones (same department or complements)."""
    anchor = rng.choice(SUB_NAMES)
    top = SUBCATS[anchor]["top"]
    related = [s for s in SUB_NAMES if SUBCATS[s]["top"] == top] + COMPLEMENTS.get(anchor, [])
    picks = [anchor]
    for _ in range(rng.choice((1, 2))):
        pool = [s for s in (related if rng.random() < 0.75 else SUB_NAMES) if s not in picks]
        picks.append(rng.choice(pool))
    return tuple(picks)


class _Shopper:
    """Simulates one persona's sessions over the history window."""

    def __init__(self, rng: random.Random, persona: _Persona, by_sub: dict, now: datetime):
        self.rng, self.p, self.by_sub, self.now = rng, persona, by_sub, now
        self.events: list[dict[str, Any]] = []
        self.purchases: list[_Purchase] = []
        self.pending: list[tuple[datetime, str]] = []  # (due, complementary subcategory)
        self.last_buy: dict[str, tuple[datetime, _Item]] = {}  # repeat subcategories
        self.t = now - timedelta(days=HISTORY_DAYS)
        self.checkouts = 0
        for sub in [s for s in persona.favorites if s in REPEAT_SUBS]:  # a staple bought before
            usual = next((i for i in self.pick(sub, 4) if i.buyable), None)
            if usual:
                self.last_buy[sub] = (self.t - timedelta(days=rng.randint(0, 20)), usual)

    def run(self) -> None:
        rng = self.rng
        day0 = datetime.combine((self.now - timedelta(days=HISTORY_DAYS)).date(), time(), UTC)
        starts = []
        for _ in range(rng.randint(*ACTIVITY[self.p.activity])):
            day, hour = rng.randrange(1, HISTORY_DAYS), rng.choice(SESSION_HOURS)
            starts.append(day0 + timedelta(days=day, hours=hour, seconds=rng.randrange(3600)))
        starts.sort()
        for start in starts:
            self.t = max(start, self.t + timedelta(minutes=45))
            if self.t > self.now - timedelta(hours=3):
                break
            self.session(*self.target())
        if self.p.description:  # showcase users get one recent order that is still on its way
            recent = self.now - timedelta(seconds=rng.randint(2 * 3600, 40 * 3600))
            self.t = max(recent, self.t + timedelta(minutes=45))
            if self.t < self.now - timedelta(hours=1):
                self.session(self.p.favorites[0], "recent")

    def target(self) -> tuple[str, str]:
        """Which subcategory this session is about, and why."""
        rng, t = self.rng, self.t
        for sub, (ts, _) in self.last_buy.items():
            if t - ts >= timedelta(days=self.p.repeat_days) and rng.random() < 0.85:
                return sub, "repeat"
        self.pending = [(d, s) for d, s in self.pending if t - d < timedelta(days=30)]
        due = [x for x in self.pending if x[0] <= t]
        if due and rng.random() < 0.7:
            self.pending.remove(due[0])
            return due[0][1], "complement"
        if rng.random() < 0.85:
            weights = (5, 3, 2)[: len(self.p.favorites)]
            return rng.choices(self.p.favorites, weights)[0], "browse"
        return rng.choice(SUB_NAMES), "browse"

    def session(self, sub: str, mode: str) -> None:
        if mode == "repeat":
            last = self.last_buy[sub][1]
            viewed = [last] if last.buyable else self.pick(sub, 2)
        else:
            if self.rng.random() < 0.7:
                self.emit("search", query=self.query(sub))
            viewed = self.pick(sub, self.rng.randint(2, 6))
        for item in viewed:
            self.emit("view", item)
        bought = self.carts(viewed, mode)
        if bought:
            self.checkout(bought)
            self.cross_sell(bought)

    def carts(self, viewed: list[_Item], mode: str) -> list[tuple[_Item, int]]:
        """Cart up to two viewed items; return those that get bought."""
        p_cart, p_buy = MODES[mode]
        carted = []
        for rank, item in enumerate([i for i in viewed if i.buyable][:2]):
            if self.rng.random() < p_cart * (1.0 if rank == 0 else 0.4):
                multi = item.sub in MULTI_QTY_SUBS
                qty = self.rng.choice((1, 1, 2, 3)) if multi else 1 + (self.rng.random() < 0.04)
                self.emit("cart", item, quantity=qty)
                carted.append((item, qty))
        staple = mode == "browse" and viewed and viewed[0].sub in REPEAT_SUBS  # beans, tea
        p_buy = 0.45 if staple else p_buy
        return [(item, qty) for item, qty in carted if self.rng.random() < p_buy]

    def checkout(self, bought: list[tuple[_Item, int]]) -> None:
        self.checkouts += 1
        for n, (item, qty) in enumerate(bought):
            ts = self.emit("purchase", item, quantity=qty, gap=(60, 300) if n == 0 else (1, 3))
            key = (self.p.user_id, self.checkouts)
            self.purchases.append(_Purchase(key, self.p.user_id, item, qty, ts))
            staple = item.sub in self.p.favorites or item.sub in self.last_buy
            if item.sub in REPEAT_SUBS and (staple or self.rng.random() < 0.3):
                self.last_buy[item.sub] = (ts, item)
            for comp in COMPLEMENTS.get(item.sub, []):
                if self.rng.random() < 0.5:
                    self.pending.append((ts + timedelta(days=self.rng.uniform(1, 14)), comp))

    def cross_sell(self, bought: list[tuple[_Item, int]]) -> None:
        """Right after buying, often look at (and sometimes buy) a complementary item."""
        subs = [c for item, _ in bought for c in COMPLEMENTS.get(item.sub, [])]
        if not subs or self.rng.random() > 0.5:
            return
        viewed = self.pick(self.rng.choice(subs), self.rng.randint(1, 3))
        for item in viewed:
            self.emit("view", item)
        extra = self.carts(viewed, "complement")
        if extra:
            self.checkout(extra)

    def pick(self, sub: str, k: int) -> list[_Item]:
        """k distinct products of a subcategory, drawn by this persona's affinity."""
        items = list(self.by_sub[sub])
        weights = [math.exp(self.affinity(i)) for i in items]
        chosen = []
        for _ in range(min(k, len(items))):
            j = self.rng.choices(range(len(items)), weights)[0]
            chosen.append(items.pop(j))
            weights.pop(j)
        return chosen

    def affinity(self, item: _Item) -> float:
        score = 1.6 if item.brand in self.p.brands else 0.0
        score -= 2.5 * abs(item.pos - BAND_TARGET[self.p.band])
        return score + 0.8 * (item.rating - 4.0) + 0.15 * math.log1p(item.review_count)

    def query(self, sub: str) -> str:
        """A search a person would type for this subcategory (now and then with a typo)."""
        spec = SUBCATS[sub]
        template = self.rng.choice(spec["queries"])
        ctx = {}
        for _, name, _, _ in Formatter().parse(template):
            if name == "budget":
                lo, hi = spec["band"]
                ctx[name] = str(5 * math.ceil((lo + BUDGET_SHARE[self.p.band] * (hi - lo)) / 5))
            elif name:
                ctx[name] = _text(self.rng.choice(spec["attrs"][name]))
        text = template.format_map(ctx).lower()
        words = text.split()
        long = [i for i, w in enumerate(words) if len(w) >= 5]
        if long and self.rng.random() < 0.06:
            i = self.rng.choice(long)
            j = self.rng.randrange(len(words[i]) - 1)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)

    def emit(self, event: str, item: _Item | None = None, gap=(20, 240), **values) -> datetime:
        self.t += timedelta(seconds=self.rng.randint(*gap))
        self.events.append(_event(self.p.user_id, item, event, self.t, **values))
        return self.t


def _event(user_id: str, item: _Item | None, event: str, ts: datetime, **values) -> dict:
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(user_id=user_id, product_id=item.product_id if item else "", event=event, ts=ts)
    row.update(values)
    return row


# ---------------------------------------------------------------- orders


def _make_orders(
    rng: random.Random, purchases: list[_Purchase], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One row per purchased item, plus the returns, ratings and reviews that followed."""
    groups: dict[tuple[str, int], list[_Purchase]] = defaultdict(list)
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
    pu: _Purchase,
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
            later.append(_event(pu.user_id, item, "return", ts, quantity=pu.quantity))
            status = "returned"
    if rng.random() < 0.45:
        ts = delivered + timedelta(days=rng.uniform(0.5, 21))
        if ts < now:
            base = 1.5 if status == "returned" else item.rating
            stars = min(5, max(1, round(rng.gauss(base, 0.8))))
            later.append(_event(pu.user_id, item, "rating", ts, rating=stars))
            review_ts = ts + timedelta(minutes=rng.randint(1, 30))
            if rng.random() < 0.45 and review_ts < now:
                mood = "good" if stars >= 4 else "ok" if stars == 3 else "bad"
                noun = SUBCATS[item.sub]["noun"]
                text = rng.choice(REVIEWS[mood]).format(noun=noun)
                later.append(_event(pu.user_id, item, "review", review_ts, rating=stars, text=text))
    return status


def _distinct_seconds(events: list[dict], later: list[dict]) -> list[dict]:
    """Move follow-up events off any second their user already has an event in."""
    taken = {(e["user_id"], e["ts"]) for e in events}
    for e in later:
        e["ts"] = e["ts"].replace(microsecond=0)
        while (e["user_id"], e["ts"]) in taken:
            e["ts"] += timedelta(seconds=1)
        taken.add((e["user_id"], e["ts"]))
    return later


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
