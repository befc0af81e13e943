"""Recommendations: the next-item model over the store's events, with reasons a shopper reads.

`Recommender` works on product-id sequences (fitted from every user's chronological events);
`recommend_for_user` adds the store's rules: purchased items are not suggested again unless their
category is bought repeatedly, returned and out-of-stock items never are, and the user's profile
affinities (category, brand) nudge the ranking. Users without history get what is popular now.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.recs.models import ShopAssistConfig, ShopAssistModel

# Category levels (any level of the path, lower-case) whose items people buy again and again.
REPEAT_CATEGORIES = frozenset(
    {"food & drink", "grocery", "groceries", "coffee beans", "coffee", "tea", "chocolate",
     "pet food", "household", "cleaning", "seeds", "batteries", "skincare", "hair care"}
)  # fmt: skip
SEQUENCE_EVENTS = ("view", "cart", "purchase", "review", "rating")
TREND_FLOOR = 0.05  # popularity prior at least this strong, so cold starts rank popular items
PROFILE_WEIGHT = 0.3  # how much category/brand affinity adds to a max-normalized model score
REASON_MIN = 0.3  # a component explains an item when its normalized score reaches this


@dataclass
class Recommendation:
    """One recommended product with its blended score and why."""

    product_id: str
    score: float
    reasons: list[str]


class Recommender:
    """Next-item recommender over product ids: ShopAssist blend + popularity prior + boosts."""

    def __init__(self, config: ShopAssistConfig | None = None) -> None:
        self.config = config or ShopAssistConfig()
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.titles: list[str] = []
        self.candidate: np.ndarray = np.zeros(0, dtype=bool)

    def fit(
        self,
        sequences: Iterable[Sequence[str]],
        titles: Mapping[str, str] | None = None,
        catalog: Iterable[str] | None = None,
    ) -> Recommender:
        """Fit from chronological product-id sequences; only `catalog` ids (default: all) are
        ever recommended."""
        titles = dict(titles or {})
        seqs = [list(s) for s in sequences]
        catalog_ids = list(catalog) if catalog is not None else None
        for pid in [*(catalog_ids or []), *(p for s in seqs for p in s)]:
            if pid not in self.index:
                self.index[pid] = len(self.ids)
                self.ids.append(pid)
        self.titles = [titles.get(pid, pid) for pid in self.ids]
        self.candidate = np.ones(len(self.ids), dtype=bool)
        if catalog_ids is not None:
            self.candidate[:] = False
            self.candidate[[self.index[p] for p in catalog_ids]] = True
        int_seqs = [[self.index[p] for p in s] for s in seqs if s]
        content = self.titles if titles else None
        self.model = ShopAssistModel(self.config).fit(int_seqs, len(self.ids), content)
        return self

    def recommend(
        self,
        history: Sequence[str],
        k: int = 10,
        exclude: Iterable[str] = (),
        repeat_ok: Callable[[str], bool] | None = None,
        boost: Mapping[str, float] | None = None,
    ) -> list[Recommendation]:
        """Top-k products after `history` (oldest first). History items are left out unless
        repeat_ok(id) says they may be bought again; `exclude` ids are always left out; `boost`
        adds to an item's score (e.g. profile affinity)."""
        known = [self.index[p] for p in history if p in self.index]
        weights = dict(self.config.weights)
        used = [n for n, w in weights.items() if w and n != "trend"]
        parts = self.model.component_scores([known], used) if known else {}
        trend_weight = max(weights.get("trend", 0.0), TREND_FLOOR)
        scores = trend_weight * self.model.trend.astype(np.float64)
        for name, part in parts.items():
            scores += weights[name] * part[0]
        for pid, extra in (boost or {}).items():
            if pid in self.index:
                scores[self.index[pid]] += extra
        blocked = ~self.candidate
        for pid in history:
            if pid in self.index and not (repeat_ok and repeat_ok(pid)):
                blocked[self.index[pid]] = True
        for pid in exclude:
            if pid in self.index:
                blocked[self.index[pid]] = True
        scores[blocked] = -np.inf
        top = _top(scores, k)
        return [
            Recommendation(self.ids[i], float(scores[i]), self.reasons(i, known, parts))
            for i in top
        ]

    def reasons(self, item: int, known: list[int], parts: dict[str, np.ndarray]) -> list[str]:
        """Why an item was recommended, naming the history item behind it when there is one."""
        out: list[str] = []
        recent = known[-self.config.query_last :]
        seq = parts.get("sequence")
        if seq is not None and seq[0, item] >= REASON_MIN:
            source = self._strongest(self.model.sequence, recent, item)
            if source is not None:
                out.append(f"often bought after {self.titles[source]}")
        cooc = parts.get("cooccurrence")
        if not out and cooc is not None and cooc[0, item] >= REASON_MIN:
            source = self._strongest(self.model.cooc, recent, item)
            if source is not None:
                out.append(f"often bought with {self.titles[source]}")
        content = parts.get("content")
        if content is not None and content[0, item] >= 2 * REASON_MIN and recent:
            sims = self.model.titles[recent] @ self.model.titles[item].T
            source = recent[int(np.argmax(sims.toarray().ravel()))]
            out.append(f"similar to {self.titles[source]} you viewed")
        if not out:
            out.append("popular right now" if self.model.trend[item] > 0 else "new in the catalog")
        return out

    def _strongest(self, matrix, recent: list[int], item: int) -> int | None:
        """The history item (newest wins ties) with the largest link to `item`, if any."""
        if not recent:
            return None
        links = matrix[recent, item].toarray().ravel()
        if links.max() <= 0:
            return None
        return recent[len(links) - 1 - int(np.argmax(links[::-1]))]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size <= k:
        return finite[np.argsort(-scores[finite], kind="stable")]
    part = finite[np.argpartition(-scores[finite], k)[:k]]
    return part[np.argsort(-scores[part], kind="stable")]


# --- the store ---------------------------------------------------------------------------------
def load_sequences(engine) -> dict[str, list[str]]:
    """Every user's product events, oldest first, repeats of the same product in a row merged."""
    from sqlalchemy import or_, select

    from retrieval.storage.schema import events

    query = (
        select(events.c.user_id, events.c.product_id)
        .where(events.c.event.in_(SEQUENCE_EVENTS), events.c.product_id.is_not(None))
        .where(or_(events.c.quantity.is_(None), events.c.quantity > 0))  # not basket removals
        .order_by(events.c.user_id, events.c.ts)
    )
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for user_id, product_id in conn.execute(query):
            seq = out.setdefault(user_id, [])
            if not seq or seq[-1] != product_id:
                seq.append(product_id)
    return out


_CACHE: dict[int, tuple[tuple, Recommender, dict]] = {}
_CACHE_LOCK = threading.Lock()


def drop_recommender_cache(store) -> None:
    """Forget the fitted recommender (and the user sequences it holds) for this store."""
    with _CACHE_LOCK:
        _CACHE.pop(id(store), None)


def store_recommender(store) -> tuple[Recommender, dict[str, list[str]]]:
    """A Recommender fitted on the store's events and live catalog (cached until either changes)."""
    from sqlalchemy import func, select

    from retrieval.storage.schema import events

    with store.engine.connect() as conn:
        n_events, last = conn.execute(select(func.count(), func.max(events.c.ts))).one()
    index = store.index
    key = (n_events, last, index.version, len(index))
    with _CACHE_LOCK:
        hit = _CACHE.get(id(store))
        if hit and hit[0] == key:
            return hit[1], hit[2]
        products = [p for p in index.products if p is not None]
        sequences = load_sequences(store.engine)
        rec = Recommender().fit(
            sequences.values(),
            titles={p.product_id: p.title for p in products},
            catalog=[p.product_id for p in products],
        )
        _CACHE[id(store)] = (key, rec, sequences)
        return rec, sequences


def is_repeat_purchase(category: str, repeat_categories: Iterable[str] = REPEAT_CATEGORIES) -> bool:
    """Whether any level of a category path is one people buy again."""
    levels = {lv.strip().lower() for lv in (category or "").split(">") if lv.strip()}
    return bool(levels & set(repeat_categories))


def recommend_for_user(
    store, user_id: str, k: int = 10, profile=None, repeat_categories=REPEAT_CATEGORIES
) -> list[dict]:
    """Item JSON (search.item_json) of the top-k recommendations for a user of the store."""
    from retrieval.search.hybrid import item_json
    from retrieval.search.profile import user_profile

    rec, sequences = store_recommender(store)
    prof = profile if profile is not None else user_profile(store, user_id)
    purchased, get = set(prof.purchased), store.get_product

    def repeat_ok(pid: str) -> bool:
        product = get(pid)
        return pid not in purchased or bool(
            product and is_repeat_purchase(product.category, repeat_categories)
        )

    unavailable = [p.product_id for p in store.index.products if p and p.in_stock is False]
    boost, why = _profile_boost(store, prof)
    picks = rec.recommend(
        sequences.get(user_id, []),
        k=k,
        exclude=[*prof.returned, *unavailable],
        repeat_ok=repeat_ok,
        boost=boost,
    )
    items = []
    for r in picks:
        product = get(r.product_id)
        if product is None:
            continue
        reasons = r.reasons + [w for w in why.get(r.product_id, []) if w not in r.reasons]
        items.append(item_json(product, r.score, reasons or ["popular right now"]))
    return items


def _profile_boost(store, prof) -> tuple[dict[str, float], dict[str, list[str]]]:
    """PROFILE_WEIGHT x (0.6 category + 0.4 brand affinity) per product, and the reasons."""
    boost: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    if prof is None or prof.is_empty:
        return boost, why
    for p in store.index.products:
        if p is None:
            continue
        levels = p.category_levels()
        cat = max((prof.category_affinity.get(lv, 0.0) for lv in levels), default=0.0)
        brand = prof.brand_affinity.get(p.brand, 0.0) if p.brand else 0.0
        if cat or brand:
            boost[p.product_id] = PROFILE_WEIGHT * (0.6 * cat + 0.4 * brand)
            reasons = []
            if levels and prof.category_affinity.get(levels[-1], 0.0) >= 0.5:
                reasons.append(f"you often browse {p.category.split('>')[-1].strip()}")
            if brand >= 0.5:
                reasons.append(f"you often look at {p.brand}")
            why[p.product_id] = reasons
    return boost, why
