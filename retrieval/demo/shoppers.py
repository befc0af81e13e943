"""Simulated shoppers: personas with tastes and budgets, and their sessions of events."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from string import Formatter
from typing import Any

from retrieval.demo.catalog import (
    BRANDS,
    COMPLEMENTS,
    MULTI_QTY_SUBS,
    REPEAT_SUBS,
    SHOWCASE,
    SUBCATS,
)
from retrieval.demo.products import BRANDS_BY_TOP, SUB_NAMES, Item, as_text

HISTORY_DAYS = 183
EVENT_COLUMNS = ["user_id", "product_id", "event", "ts", "quantity", "rating", "query", "text"]
BAND_TARGET = {"budget": 0.15, "mid": 0.5, "premium": 0.85}  # preferred price percentile
BUDGET_SHARE = {"budget": 0.3, "mid": 0.6, "premium": 1.0}  # "under £X" within a price band
ACTIVITY = {"low": (5, 10), "medium": (12, 24), "high": (30, 48)}  # sessions in the window
# mode -> (p cart the first buyable item viewed, p buy a carted item)
MODES = {"browse": (0.5, 0.15), "complement": (0.6, 0.4), "repeat": (0.9, 0.8), "recent": (1, 1)}
SESSION_HOURS = [8, 9, 12, 13, 17, 18, 19, 20, 20, 21, 21, 22]


@dataclass
class Persona:
    user_id: str
    favorites: tuple[str, ...]
    brands: tuple[str, ...]
    band: str
    activity: str
    repeat_days: int
    description: str = ""


@dataclass
class Purchase:
    key: tuple[str, int]  # (user, checkout number): items bought together share an order
    user_id: str
    item: Item
    quantity: int
    ts: datetime


def make_personas(rng: random.Random, n_users: int) -> list[Persona]:
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
        out.append(Persona(uid, favorites, brands, band, activity, repeat_days, description))
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


class Shopper:
    """Simulates one persona's sessions over the history window."""

    def __init__(self, rng: random.Random, persona: Persona, by_sub: dict, now: datetime):
        self.rng, self.p, self.by_sub, self.now = rng, persona, by_sub, now
        self.events: list[dict[str, Any]] = []
        self.purchases: list[Purchase] = []
        self.pending: list[tuple[datetime, str]] = []  # (due, complementary subcategory)
        self.last_buy: dict[str, tuple[datetime, Item]] = {}  # repeat subcategories
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

    def carts(self, viewed: list[Item], mode: str) -> list[tuple[Item, int]]:
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

    def checkout(self, bought: list[tuple[Item, int]]) -> None:
        self.checkouts += 1
        for n, (item, qty) in enumerate(bought):
            ts = self.emit("purchase", item, quantity=qty, gap=(60, 300) if n == 0 else (1, 3))
            key = (self.p.user_id, self.checkouts)
            self.purchases.append(Purchase(key, self.p.user_id, item, qty, ts))
            staple = item.sub in self.p.favorites or item.sub in self.last_buy
            if item.sub in REPEAT_SUBS and (staple or self.rng.random() < 0.3):
                self.last_buy[item.sub] = (ts, item)
            for comp in COMPLEMENTS.get(item.sub, []):
                if self.rng.random() < 0.5:
                    self.pending.append((ts + timedelta(days=self.rng.uniform(1, 14)), comp))

    def cross_sell(self, bought: list[tuple[Item, int]]) -> None:
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

    def pick(self, sub: str, k: int) -> list[Item]:
        """k distinct products of a subcategory, drawn by this persona's affinity."""
        items = list(self.by_sub[sub])
        weights = [math.exp(self.affinity(i)) for i in items]
        chosen = []
        for _ in range(min(k, len(items))):
            j = self.rng.choices(range(len(items)), weights)[0]
            chosen.append(items.pop(j))
            weights.pop(j)
        return chosen

    def affinity(self, item: Item) -> float:
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
                ctx[name] = as_text(self.rng.choice(spec["attrs"][name]))
        text = template.format_map(ctx).lower()
        words = text.split()
        long = [i for i, w in enumerate(words) if len(w) >= 5]
        if long and self.rng.random() < 0.06:
            i = self.rng.choice(long)
            j = self.rng.randrange(len(words[i]) - 1)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)

    def emit(self, event: str, item: Item | None = None, gap=(20, 240), **values) -> datetime:
        self.t += timedelta(seconds=self.rng.randint(*gap))
        self.events.append(event_row(self.p.user_id, item, event, self.t, **values))
        return self.t


def event_row(user_id: str, item: Item | None, event: str, ts: datetime, **values) -> dict:
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(user_id=user_id, product_id=item.product_id if item else "", event=event, ts=ts)
    row.update(values)
    return row
