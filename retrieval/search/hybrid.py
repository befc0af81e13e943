"""Hybrid product search: exact filters, dense + BM25 fusion, personalization, MMR, reasons."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from retrieval import textre
from retrieval.search.profile import UserProfile
from retrieval.search.query import STOP_WORDS, ParsedQuery, Vocabulary, _stem, parse_query
from retrieval.search.ranking import fuse, minmax, mmr, top_k
from retrieval.storage.mirror import Filters
from retrieval.types import Product

SYMBOL = {"GBP": "£", "USD": "$", "EUR": "€"}
_TOKEN = textre.compile(r"[a-z0-9]+")
_STOP = STOP_WORDS
MMR_POOL = 50


_WORD = textre.compile(r"[a-z]{4,}")  # catalog words the spelling corrector knows


def lexical_tokens(text: str) -> list[str]:
    """Lower-case, singularized tokens without stop words (BM25 and reason matching)."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP]


def _category_names(index, docs: list[list[str]]) -> set[str]:
    """The category names a query may use: every level name and parent-child pair, and each
    shorter alias (a part of "Paper & Stickers", "craft kits" of "Children's Craft Kits") only
    when most catalog rows whose text has its words are in that category: "stickers" names
    Paper & Stickers, while "sets" (lego sets, train sets, "Sets & Kits") names none."""
    levels = {lv for p in index.products if p is not None for lv in p.category_levels()}
    holders: dict[str, set[int]] = {}
    for row, tokens in enumerate(docs):
        for t in set(tokens):
            holders.setdefault(t, set()).add(row)
    out = set()
    for name, rows in index.category_rows.items():
        if not rows:
            continue
        if name in levels or " > " in name:
            out.add(name)
            continue
        tokens = lexical_tokens(name)
        having = set.intersection(*(holders.get(t, set()) for t in tokens)) if tokens else set()
        if having and 2 * len(having & rows) >= len(having):
            out.add(name)
    return out


def money(value: float, currency: str) -> str:
    """£3.42 style."""
    sym = SYMBOL.get(currency)
    return f"{sym}{value:,.2f}" if sym else f"{value:,.2f} {currency}"


def item_json(p: Product, score: float, reasons: list[str]) -> dict:
    """The item JSON contract shared by search, recommend and cards."""
    return {
        "product_id": p.product_id,
        "title": p.title,
        "price": p.price,
        "currency": p.currency,
        "rating": p.rating,
        "category": p.category or None,
        "brand": p.brand or None,
        "in_stock": p.in_stock,
        "image_url": p.image_url or None,
        "score": round(float(score), 4),
        "reasons": reasons,
    }


@dataclass
class SearchResult:
    """Ranked items plus what the query was understood to mean."""

    items: list[dict]
    filters: Filters
    parsed: ParsedQuery
    matched_total: int = 0  # how many products satisfy the filters
    extras: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "results": self.items,
            "filters": self.filters.to_dict(),
            "understood": self.parsed.matched,
            "text": self.parsed.text,
            "matched_total": self.matched_total,
            "currency_note": self.parsed.currency_note,
        }


class Searcher:
    """Search over the store's product mirror; caches BM25 and vocabulary per index version."""

    def __init__(
        self,
        store,
        lexical_weight: float = 0.6,
        personal_weight: float = 0.15,
        mmr_lambda: float = 0.75,
        dense_weight: float = 1.0,
    ) -> None:
        self.store = store
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.personal_weight = personal_weight
        self.mmr_lambda = mmr_lambda
        self._lock = threading.Lock()
        self._cache_version = -1
        self._bm25 = None
        self._vocab: Vocabulary | None = None
        self._words: Counter = Counter()
        self._categories: tuple[int, list[str], np.ndarray] | None = None

    def _refresh(self) -> None:
        index = self.store.index
        with self._lock:
            if self._cache_version == index.version:
                return
            import bm25s

            docs, words = [], Counter()
            for p in index.products:
                text = "" if p is None else f"{p.title} {p.brand} {p.category.replace('>', ' ')}"
                docs.append(lexical_tokens(text) or ["__empty__"])
                words.update(_WORD.findall(text.lower()))
            self._words = words
            bm25 = bm25s.BM25()
            bm25.index(docs, show_progress=False) if docs else None
            self._bm25 = bm25 if docs else None
            brands = {b for b, rows in index.brand_rows.items() if rows}
            cats = _category_names(index, docs)
            self._vocab = Vocabulary(brands, cats)
            self._cache_version = index.version

    def catalog_words(self) -> Counter:
        """Every word of the live catalog's titles, brands and categories, with its count (the
        spelling corrector's catalog vocabulary)."""
        self._refresh()
        return self._words

    def vocabulary(self) -> Vocabulary:
        """Brand and category names of the live catalog."""
        self._refresh()
        assert self._vocab is not None
        return self._vocab

    def token_hits(self, text: str) -> tuple[np.ndarray, int]:
        """Per product row, how many of the text's lexical tokens its title, brand or category
        contains (from the BM25 index: a score above 0 means present), and the token count."""
        self._refresh()
        tokens = list(dict.fromkeys(lexical_tokens(text)))
        hits = np.zeros(len(self.store.index.ids), dtype=np.int32)
        if self._bm25 is not None:
            for token in tokens:
                hits += self._bm25.get_scores([token])[: hits.size] > 0
        return hits, len(tokens)

    def category_vectors(self) -> tuple[list[str], np.ndarray]:
        """The catalog's category paths and, per path, MiniLM vectors of the whole path and of
        its leaf name ((n, 2, d)); computed once per index version."""
        self._refresh()
        with self._lock:
            if self._categories is None or self._categories[0] != self._cache_version:
                index, embed = self.store.index, self.store.embedder
                cats = sorted({p.category for p in index.products if p is not None and p.category})
                paths = embed.encode([c.replace(">", " ") for c in cats], dtype="float32")
                leaves = embed.encode([c.split(">")[-1].strip() for c in cats], dtype="float32")
                vecs = np.stack([paths, leaves], axis=1) if cats else np.zeros((0, 2, 384))
                self._categories = (self._cache_version, cats, vecs)
            return self._categories[1], self._categories[2]

    def parse(self, query: str) -> ParsedQuery:
        """Filters in a query, against this catalog's brands and categories."""
        return parse_query(query, self.vocabulary(), self.store.config.currency)

    def search(
        self,
        query: str,
        profile: UserProfile | None = None,
        k: int = 10,
        filters: Filters | None = None,
        parse: bool = True,
    ) -> SearchResult:
        """Rank products for a query; every item satisfies every filter."""
        self._refresh()
        index = self.store.index
        parsed = self.parse(query) if parse else ParsedQuery(query, Filters())
        merged = merge_filters(parsed.filters, filters)
        rows = np.flatnonzero(index.mask(merged))
        scores = self._relevance(parsed.text, rows)
        personal = self._personal(rows, profile) if profile and not profile.is_empty else None
        if personal is not None:
            scores = scores + self.personal_weight * personal
        order = self._diversify(rows, scores, k)
        ctx = _ReasonContext(parsed, merged, profile, self.store.config.currency)
        items = []
        for i in order:
            product = index.products[rows[i]]
            items.append(item_json(product, scores[i], ctx.reasons(product)))
        return SearchResult(items, merged, parsed, matched_total=int(rows.size))

    def _relevance(self, text: str, rows: np.ndarray) -> np.ndarray:
        index = self.store.index
        if rows.size == 0:
            return np.zeros(0)
        if not text.strip():
            return 0.5 * _quality(index, rows)
        qvec = self.store.embedder.encode_one(text)
        n = len(index.ids)
        if rows.size * 4 < n:  # a selective filter: gather the few rows
            dense = index.vectors[rows] @ qvec
        else:  # most rows: multiply the whole matrix view (no copy), then select
            dense = (index.vectors[:n] @ qvec)[rows]
        tokens = lexical_tokens(text)
        bm25 = self._bm25
        lexical = bm25.get_scores(tokens)[rows] if tokens and bm25 else np.zeros(rows.size)
        fused = fuse(self.dense_weight * dense.astype(np.float64), lexical, self.lexical_weight)
        return fused + 0.05 * _quality(index, rows)

    def _personal(self, rows: np.ndarray, profile: UserProfile) -> np.ndarray:
        """0.6 category affinity + 0.4 brand affinity + 0.2 inside the usual price band."""
        index = self.store.index
        n = len(index.ids)
        cat, brand = np.zeros(n), np.zeros(n)
        for level, aff in profile.category_affinity.items():
            hit = index.rows_of("category", level)
            cat[hit] = np.maximum(cat[hit], aff)
        for name, aff in profile.brand_affinity.items():
            brand[index.rows_of("brand", name)] = aff
        out = 0.6 * cat[rows] + 0.4 * brand[rows]
        band = profile.price_band
        if band:
            price = index.price[rows]
            with np.errstate(invalid="ignore"):
                out += 0.2 * ((price >= band["p25"]) & (price <= band["p75"]))
        return out

    def _diversify(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[int]:
        best = top_k(scores, max(k, MMR_POOL))
        pool = best[:MMR_POOL]
        vectors = self.store.index.vectors[rows[pool]]
        picked = [
            int(pool[j]) for j in mmr(vectors, scores[pool], min(k, pool.size), self.mmr_lambda)
        ]
        rest = [int(i) for i in best[MMR_POOL:]] if k > MMR_POOL else []
        if k > best.size:
            return picked + rest
        return (picked + rest)[:k]


def _quality(index, rows: np.ndarray) -> np.ndarray:
    """Bayesian-smoothed rating with review counts; 0 for unrated."""
    rating = np.nan_to_num(index.rating[rows], nan=0.0)
    reviews = index.reviews[rows]
    smoothed = (rating * reviews + 3.5 * 5) / (reviews + 5)
    smoothed[rating == 0] = 0.0
    return minmax(smoothed)


def merge_filters(parsed: Filters, explicit: Filters | None) -> Filters:
    """Explicit filters (flags, conversation state) win over what was parsed from the words."""
    if explicit is None:
        return parsed
    out = Filters(**parsed.__dict__)
    for key, value in explicit.__dict__.items():
        if key.endswith("_inclusive"):
            continue
        if value not in (None, ()):
            setattr(out, key, value)
            if key in ("price_max", "price_min"):
                setattr(out, f"{key}_inclusive", getattr(explicit, f"{key}_inclusive"))
    return out


class _ReasonContext:
    """Writes the reasons a shopper would understand for one item."""

    def __init__(self, parsed: ParsedQuery, f: Filters, profile: UserProfile | None, cur: str):
        self.parsed, self.f, self.profile, self.currency = parsed, f, profile, cur
        self.query_words = [
            (w, _stem(w)) for w in _TOKEN.findall(parsed.text.lower()) if w not in _STOP
        ]

    def reasons(self, p: Product) -> list[str]:
        out = []
        title_tokens = set(lexical_tokens(f"{p.title} {p.brand} {p.category.replace('>', ' ')}"))
        hits = [w for w, s in self.query_words if s in title_tokens]
        if hits:
            out.append(f"matches '{' '.join(hits)}'")
        out.extend(self._filter_reasons(p))
        out.extend(self._personal_reasons(p))
        if not out:
            out.append(f"related to '{self.parsed.text}'" if self.parsed.text else "well rated")
        return out

    def _filter_reasons(self, p: Product) -> list[str]:
        f, out = self.f, []
        if f.price_max is not None and p.price is not None:
            low = f" from {money(f.price_min, self.currency)}" if f.price_min is not None else ""
            out.append(
                f"{money(p.price, self.currency)}: within your{low} "
                f"{money(f.price_max, self.currency)} budget"
            )
        elif f.price_min is not None and p.price is not None:
            out.append(
                f"{money(p.price, self.currency)}: above {money(f.price_min, self.currency)}"
            )
        if f.rating_min is not None and p.rating is not None:
            out.append(f"rated {p.rating:.1f}★ (you asked {f.rating_min:g}+)")
        if f.in_stock:
            out.append("in stock")
        for level in p.category.split(">"):
            if level.strip().lower() in f.categories:
                out.append(f"in {level.strip()}")
                break
        if p.brand and p.brand.lower() in f.brands:
            out.append(f"by {p.brand}")
        return out

    def _personal_reasons(self, p: Product) -> list[str]:
        prof, out = self.profile, list[str]()
        if prof is None or prof.is_empty:
            return out
        if p.brand and p.brand in prof.brands_bought[:3]:
            out.append(f"you often buy {p.brand}")
        elif p.brand and prof.brand_affinity.get(p.brand, 0) >= 0.5:
            out.append(f"you often look at {p.brand}")
        levels = [lv.strip() for lv in p.category.split(">") if lv.strip()]
        if levels and prof.category_affinity.get(levels[-1].lower(), 0) >= 0.5:
            out.append(f"you often browse {levels[-1]}")
        band = prof.price_band
        if band is None or p.price is None or self.f.price_max is not None:
            return out
        if band["p25"] <= p.price <= band["p75"]:
            out.append(
                f"in your usual {money(band['p25'], self.currency)}–"
                f"{money(band['p75'], self.currency)} range"
            )
        return out
