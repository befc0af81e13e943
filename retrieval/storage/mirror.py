"""In-process mirror of the products collection: vectors + columns for exact, fast filtered search.

Consistency: the Store is the only writer. Every upsert/delete goes to Chroma first and then to
this mirror in the same call, under the store's lock; at start the mirror is loaded from Chroma.
So the mirror never holds a product Chroma lacks, and search sees a price change at once.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np

from retrieval.types import Product

_GROW = 1024


@dataclass
class Filters:
    """Exact constraints on products; None means unconstrained."""

    price_min: float | None = None
    price_max: float | None = None
    price_max_inclusive: bool = True
    price_min_inclusive: bool = True
    rating_min: float | None = None
    in_stock: bool | None = None
    categories: tuple[str, ...] = ()  # any level of the path, lower-case; any of them matches
    brands: tuple[str, ...] = ()  # lower-case; any of them matches
    brands_or_categories: tuple[str, ...] = ()  # names that are both: either matches
    exclude_brands: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    exclude_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The constraints in force, as JSON."""
        out: dict = {}
        for side in ("min", "max"):
            value = getattr(self, f"price_{side}")
            if value is not None:
                out[f"price_{side}"] = value
                out[f"price_{side}_inclusive"] = getattr(self, f"price_{side}_inclusive")
        if self.rating_min is not None:
            out["rating_min"] = self.rating_min
        if self.in_stock is not None:
            out["in_stock"] = self.in_stock
        for key in (
            "categories",
            "brands",
            "brands_or_categories",
            "exclude_brands",
            "exclude_categories",
            "exclude_ids",
        ):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        return out


class ProductIndex:
    """Rows of products with embeddings and typed columns; rows are never moved, only retired."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.lock = threading.RLock()
        self.ids: list[str] = []
        self.row_of: dict[str, int] = {}
        self.products: list[Product | None] = []
        self.hashes: list[str] = []
        self.text_hashes: list[str] = []
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.price = np.zeros(0, dtype=np.float64)
        self.rating = np.zeros(0, dtype=np.float64)
        self.reviews = np.zeros(0, dtype=np.float64)
        self.stock = np.zeros(0, dtype=np.int8)  # -1 unknown, 0 out, 1 in
        self.alive = np.zeros(0, dtype=bool)
        self.category_rows: dict[str, set[int]] = {}
        self.brand_rows: dict[str, set[int]] = {}
        self.version = 0  # bumps on every text change (BM25 rebuild)

    def __len__(self) -> int:
        return int(self.alive.sum())

    def _ensure_capacity(self, n: int) -> None:
        cap = self.vectors.shape[0]
        if n <= cap:
            return
        new_cap = max(n, cap * 2, _GROW)
        self.vectors = _grow(self.vectors, new_cap)
        self.price = _grow(self.price, new_cap, np.nan)
        self.rating = _grow(self.rating, new_cap, np.nan)
        self.reviews = _grow(self.reviews, new_cap, 0.0)
        self.stock = _grow(self.stock, new_cap, -1)
        self.alive = _grow(self.alive, new_cap, False)

    def upsert(self, products: list[Product], vectors: np.ndarray, text_hashes: list[str]) -> None:
        """Insert or replace products (vectors row-aligned with products)."""
        with self.lock:
            for product, vec, th in zip(products, vectors, text_hashes, strict=True):
                row = self.row_of.get(product.product_id)
                if row is None:
                    row = len(self.ids)
                    self._ensure_capacity(row + 1)
                    self.ids.append(product.product_id)
                    self.products.append(None)
                    self.hashes.append("")
                    self.text_hashes.append("")
                    self.row_of[product.product_id] = row
                else:
                    self._unlink(row)
                if self.text_hashes[row] != th:
                    self.version += 1
                self._set_row(row, product, vec, th)

    def _set_row(self, row: int, product: Product, vec: np.ndarray, text_hash: str) -> None:
        self.products[row] = product
        self.hashes[row] = product.content_hash()
        self.text_hashes[row] = text_hash
        self.vectors[row] = vec
        self.price[row] = np.nan if product.price is None else product.price
        self.rating[row] = np.nan if product.rating is None else product.rating
        self.reviews[row] = product.review_count or 0
        self.stock[row] = -1 if product.in_stock is None else int(product.in_stock)
        self.alive[row] = True
        for name in product.category_names():
            self.category_rows.setdefault(name, set()).add(row)
        if product.brand:
            self.brand_rows.setdefault(product.brand.lower(), set()).add(row)

    def _unlink(self, row: int) -> None:
        old = self.products[row]
        if old is None:
            return
        for name in old.category_names():
            self.category_rows.get(name, set()).discard(row)
        if old.brand:
            self.brand_rows.get(old.brand.lower(), set()).discard(row)

    def delete(self, product_ids: list[str]) -> int:
        """Retire rows; returns how many existed."""
        n = 0
        with self.lock:
            for pid in product_ids:
                row = self.row_of.pop(pid, None)
                if row is None:
                    continue
                self._unlink(row)
                self.products[row] = None
                self.alive[row] = False
                self.version += 1
                n += 1
        return n

    def get(self, product_id: str) -> Product | None:
        """The live product with this id, or None."""
        row = self.row_of.get(product_id)
        return None if row is None else self.products[row]

    def hash_of(self, product_id: str) -> tuple[str, str] | None:
        """(content hash, embedding-text hash) of a live product."""
        row = self.row_of.get(product_id)
        return None if row is None else (self.hashes[row], self.text_hashes[row])

    def vector_of(self, product_id: str) -> np.ndarray | None:
        """The stored embedding of a live product."""
        row = self.row_of.get(product_id)
        return None if row is None else self.vectors[row]

    def stored_vectors(self, product_ids: list[str]) -> np.ndarray:
        """Stored embeddings of live products, row-aligned with product_ids."""
        return self.vectors[[self.row_of[pid] for pid in product_ids]]

    def live_ids(self) -> list[str]:
        """Ids of every live product."""
        return list(self.row_of)

    def mask(self, f: Filters) -> np.ndarray:
        """Boolean mask over rows of products that satisfy every filter exactly."""
        n = len(self.ids)
        m = self.alive[:n].copy()
        price = self.price[:n]
        with np.errstate(invalid="ignore"):
            if f.price_max is not None:
                m &= (price <= f.price_max) if f.price_max_inclusive else (price < f.price_max)
            if f.price_min is not None:
                m &= (price >= f.price_min) if f.price_min_inclusive else (price > f.price_min)
            if f.rating_min is not None:
                m &= self.rating[:n] >= f.rating_min
        if f.in_stock is not None:
            m &= self.stock[:n] == int(f.in_stock)
        if f.categories:
            m &= self._rows_mask(self.category_rows, f.categories, n)
        if f.brands:
            m &= self._rows_mask(self.brand_rows, f.brands, n)
        if f.brands_or_categories:
            keys = f.brands_or_categories
            m &= self._rows_mask(self.brand_rows, keys, n) | self._rows_mask(
                self.category_rows, keys, n
            )
        if f.exclude_brands:
            m &= ~self._rows_mask(self.brand_rows, f.exclude_brands, n)
        if f.exclude_categories:
            m &= ~self._rows_mask(self.category_rows, f.exclude_categories, n)
        for pid in f.exclude_ids:
            row = self.row_of.get(pid)
            if row is not None:
                m[row] = False
        return m

    def rows_of(self, table: str, key: str) -> np.ndarray:
        """Row numbers whose category level (table="category") or brand (table="brand") is key."""
        rows = (self.category_rows if table == "category" else self.brand_rows).get(key.lower())
        if not rows:
            return np.zeros(0, dtype=np.int64)
        return np.fromiter(rows, dtype=np.int64, count=len(rows))

    @staticmethod
    def _rows_mask(table: dict[str, set[int]], keys: tuple[str, ...], n: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for key in keys:
            rows = table.get(key.lower())
            if rows:
                out[np.fromiter(rows, dtype=np.int64, count=len(rows))] = True
        return out


def _grow(arr: np.ndarray, cap: int, fill=0) -> np.ndarray:
    shape = (cap, *arr.shape[1:])
    out = np.full(shape, fill, dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


def product_to_metadata(p: Product, content_hash: str, text_hash: str) -> dict:
    """Chroma metadata (no None values; category levels as cat0..cat3 for `where` filters)."""
    meta: dict = {
        "title": p.title,
        "description": p.description[:2000],
        "category": p.category,
        "brand": p.brand,
        "currency": p.currency,
        "image_url": p.image_url,
        "attributes": json.dumps(p.attributes, ensure_ascii=False, sort_keys=True),
        "content_hash": content_hash,
        "text_hash": text_hash,
        "brand_lc": p.brand.lower(),
    }
    for key in ("price", "rating", "review_count", "in_stock", "stock_qty"):
        value = getattr(p, key)
        if value is not None:
            meta[key] = value
    for i, level in enumerate(p.category_levels()[:4]):
        meta[f"cat{i}"] = level
    return meta


def metadata_to_product(product_id: str, meta: dict) -> Product:
    """Rebuild a Product from Chroma metadata."""
    return Product(
        product_id=product_id,
        title=meta.get("title", ""),
        description=meta.get("description", ""),
        category=meta.get("category", ""),
        brand=meta.get("brand", ""),
        price=meta.get("price"),
        currency=meta.get("currency", "GBP"),
        rating=meta.get("rating"),
        review_count=meta.get("review_count"),
        in_stock=meta.get("in_stock"),
        stock_qty=meta.get("stock_qty"),
        image_url=meta.get("image_url", ""),
        attributes=json.loads(meta.get("attributes") or "{}"),
    )
