"""The store: Chroma collections (products, user_history, policies) + SQL + the in-process mirror.

The client is chosen from settings: PersistentClient in the data dir (default), HttpClient for a
Chroma server, or an in-memory client for tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.storage import changes
from retrieval.storage.embeddings import Embedder, get_embedder
from retrieval.storage.folder import chroma_path
from retrieval.storage.mirror import ProductIndex, metadata_to_product, product_to_metadata
from retrieval.types import Product

SCHEMA_VERSION = 1
COLLECTIONS = ("products", "user_history", "policies")
_PAGE = 5000
_ROW = ["embeddings", "metadatas"]
# Chroma keeps every write in its log (chroma.sqlite3) until the vector index has persisted
# it; at Chroma's default (1,000 writes) a forgotten user's deleted history documents could sit
# there, text and user id included, long after the delete. user_history persists every 100.
HISTORY_SYNC = 100


class StoreMismatchError(RuntimeError):
    """The store on disk was built with another schema or embedding model."""


@dataclass
class StoreConfig:
    """Where and how the store keeps its data (built from assistant.config.Settings)."""

    data_dir: Path
    chroma_mode: str = "persistent"
    chroma_host: str | None = None
    chroma_port: int = 8000
    database_url: str | None = None
    currency: str = "GBP"
    embedding_model: str | None = None
    embedding_quantize: bool = False
    embedding_dtype: str = "auto"
    extra: dict = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'shopassist.db'}"


def text_hash(text: str) -> str:
    """Hash of the embedded text: the embedding is reused while it is unchanged."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class Store:
    """Single writer over Chroma + SQL; keeps the product mirror consistent with every write."""

    def __init__(
        self, config: StoreConfig, embedder: Embedder | None = None, check: bool = True
    ) -> None:
        self.config = config
        self.embedder = embedder or get_embedder(
            config.embedding_model, config.embedding_quantize, config.embedding_dtype
        )
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        self.client = _make_client(config)
        self._check = check
        self._collections = {name: self._open_collection(name) for name in COLLECTIONS}
        self.write_lock = threading.RLock()
        self._index: ProductIndex | None = None
        self._seen, self._synced = 0, 0.0  # the change-log seq the mirror reflects, and when
        self._engine = None

    # --- collections -------------------------------------------------------------------------
    def _open_collection(self, name: str):
        expected = {"schema_version": SCHEMA_VERSION, "embedding_model": self.embedder.model_id}
        col = self.client.get_or_create_collection(
            name, configuration=_configuration(name), metadata=expected
        )
        meta = col.metadata or {}
        for key, want in expected.items():
            have = meta.get(key)
            if have != want and self._check:
                msg = (
                    f"collection '{name}' was built with {key}={have!r}, this install uses {want!r}; "
                    "run `shopassist reindex` to rebuild it"
                )
                raise StoreMismatchError(msg)
        if name == "user_history":  # see HISTORY_SYNC
            hnsw = (col.configuration or {}).get("hnsw") or {}
            if (hnsw.get("sync_threshold") or 0) > HISTORY_SYNC:
                col.modify(configuration={"hnsw": {"sync_threshold": HISTORY_SYNC}})
        return col

    def scrub_deleted(self) -> bool:
        """Rewrite the embedded Chroma database without its free pages, so text of deleted
        documents (a forgotten user's history) is not left on disk; False when it is busy or
        not an embedded folder (a Chroma server keeps its own files)."""
        import sqlite3

        path = chroma_path(self.config.data_dir) / "chroma.sqlite3"
        if self.config.chroma_mode != "persistent" or not path.exists():
            return False
        try:
            with self.write_lock, contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
                conn.execute("VACUUM")
        except sqlite3.OperationalError:
            return False
        return True

    def reopen_collections(self) -> None:
        """Re-create missing collections with this install's schema and model (after reindex)."""
        self._check = True
        self._collections = {name: self._open_collection(name) for name in COLLECTIONS}
        self._index = None

    def collection(self, name: str):
        """One of products, user_history, policies."""
        return self._collections[name]

    @property
    def engine(self):
        """The SQLAlchemy engine for events and orders."""
        if self._engine is None:
            from retrieval.storage.schema import make_engine

            with self.write_lock:  # first requests at once: one engine, one create_all
                if self._engine is None:
                    self._engine = make_engine(self.config.db_url)
        return self._engine

    # --- product mirror ----------------------------------------------------------------------
    @property
    def index(self) -> ProductIndex:
        """The in-process mirror, loaded from Chroma on first use and brought up to date with
        other processes' writes (the SQL change log, `retrieval.storage.changes`) at most every
        `SYNC_INTERVAL_S`."""
        if self._index is None:
            with self.write_lock:
                if self._index is None:
                    self._seen = changes.latest(self.engine)  # before the load: nothing missed
                    self._index = self._load_index()
                    self._synced = time.monotonic()
        elif time.monotonic() - self._synced >= changes.SYNC_INTERVAL_S:
            self._sync()
        return self._index

    def _sync(self) -> None:
        with self.write_lock:
            if time.monotonic() - self._synced < changes.SYNC_INTERVAL_S:
                return
            newest, changed = changes.since(self.engine, self._seen)
            if changed is None:  # the log was trimmed past what we saw: reload it all
                self._index = self._load_index()
            elif changed:
                gone = [i for i, op in changed.items() if op == "delete"]
                self._index.delete(gone)
                self._load_into(self._index, ids=[i for i, op in changed.items() if op != "delete"])
            self._seen, self._synced = newest, time.monotonic()

    def _logged(self, newest: int, count: int) -> None:
        """This process's own write is in its mirror already: skip its log rows on the next
        sync when no other process wrote in between."""
        if newest - count == self._seen:
            self._seen = newest

    def _load_index(self) -> ProductIndex:
        index = ProductIndex(dim=384)
        col = self.collection("products")
        for offset in range(0, col.count(), _PAGE):
            self._load_into(index, page=col.get(limit=_PAGE, offset=offset, include=_ROW))
        return index

    def _load_into(self, index: ProductIndex, ids: list[str] | None = None, page=None) -> None:
        """Upsert products (a fetched page, or these ids read from Chroma) into a mirror."""
        pages = [page] if page is not None else [
            self.collection("products").get(ids=ids[s : s + _PAGE], include=_ROW)
            for s in range(0, len(ids or []), _PAGE)
        ]  # fmt: skip
        for page in pages:
            if not page["ids"]:
                continue
            products = [
                metadata_to_product(i, m)
                for i, m in zip(page["ids"], page["metadatas"], strict=True)
            ]
            hashes = [m.get("text_hash", "") for m in page["metadatas"]]
            index.upsert(products, np.asarray(page["embeddings"], dtype=np.float32), hashes)

    # --- product writes ----------------------------------------------------------------------
    def plan_products(self, products: list[Product]) -> dict[str, list[Product]]:
        """Split products into new / changed text (re-embed) / changed metadata / unchanged."""
        plan: dict[str, list[Product]] = {"new": [], "reembed": [], "meta": [], "unchanged": []}
        for p in products:
            known = self.index.hash_of(p.product_id)
            if known is None:
                plan["new"].append(p)
            elif known[0] == p.content_hash():
                plan["unchanged"].append(p)
            elif known[1] != text_hash(p.embedding_text()):
                plan["reembed"].append(p)
            else:
                plan["meta"].append(p)
        return plan

    def write_products(self, products: list[Product], vectors: np.ndarray | None = None) -> None:
        """Upsert products into Chroma, then the mirror. Without vectors, reuse stored ones."""
        if not products:
            return
        if vectors is None:
            vectors = self.index.stored_vectors([p.product_id for p in products])
        texts = [p.embedding_text() for p in products]
        thashes = [text_hash(t) for t in texts]
        metas = [
            product_to_metadata(p, p.content_hash(), th)
            for p, th in zip(products, thashes, strict=True)
        ]
        with self.write_lock:
            self.collection("products").upsert(
                ids=[p.product_id for p in products],
                embeddings=vectors,
                documents=texts,
                metadatas=metas,
            )
            self.index.upsert(products, vectors, thashes)
            self._logged(
                changes.record(self.engine, [p.product_id for p in products], "upsert"),
                len(products),
            )

    def delete_products(self, product_ids: list[str]) -> int:
        """Delete products from Chroma and the mirror; returns how many existed."""
        if not product_ids:
            return 0
        with self.write_lock:
            for start in range(0, len(product_ids), _PAGE):
                self.collection("products").delete(ids=product_ids[start : start + _PAGE])
            self._logged(changes.record(self.engine, list(product_ids), "delete"), len(product_ids))
            return self.index.delete(product_ids)

    def get_product(self, product_id: str) -> Product | None:
        """A live product by id."""
        return self.index.get(product_id)

    # --- generic document writes (history, policies) -----------------------------------------
    def upsert_documents(
        self, name: str, ids: list[str], texts: list[str], metas: list[dict], vectors=None
    ) -> None:
        """Upsert documents into a collection, embedding texts when no vectors are given."""
        if not ids:
            return
        if vectors is None:
            vectors = self.embedder.encode(texts)
        with self.write_lock:
            for start in range(0, len(ids), _PAGE):
                end = start + _PAGE
                self.collection(name).upsert(
                    ids=ids[start:end],
                    embeddings=vectors[start:end],
                    documents=texts[start:end],
                    metadatas=metas[start:end],
                )

    def existing_ids(self, name: str, ids: list[str]) -> set[str]:
        """Which of these ids the collection already holds."""
        found: set[str] = set()
        for start in range(0, len(ids), _PAGE):
            got = self.collection(name).get(ids=ids[start : start + _PAGE], include=[])
            found.update(got["ids"])
        return found

    def stats(self) -> dict:
        """Counts a person checks first."""
        from sqlalchemy import func, select

        from retrieval.storage.schema import events, orders

        with self.engine.connect() as conn:
            n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
            n_orders = conn.execute(select(func.count()).select_from(orders)).scalar_one()
            n_users = conn.execute(select(func.count(func.distinct(events.c.user_id)))).scalar_one()
        return {
            "products": self.collection("products").count(),
            "user_history_docs": self.collection("user_history").count(),
            "policy_chunks": self.collection("policies").count(),
            "events": n_events,
            "order_lines": n_orders,
            "users_with_events": n_users,
            "schema_version": SCHEMA_VERSION,
            "embedding_model": self.embedder.model_id,
        }


def _configuration(name: str) -> dict:
    hnsw: dict = {"space": "cosine"}
    if name == "user_history":
        hnsw["sync_threshold"] = HISTORY_SYNC
    return {"hnsw": hnsw}


def _make_client(config: StoreConfig):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if config.chroma_mode == "http":
        return chromadb.HttpClient(
            host=config.chroma_host or "localhost",
            port=config.chroma_port,
            settings=chroma_settings,
        )
    if config.chroma_mode == "memory":
        return chromadb.EphemeralClient(settings=chroma_settings)
    path = chroma_path(config.data_dir)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_store(config: StoreConfig, embedder: Embedder | None = None, check: bool = True) -> Store:
    """Open (or create) the store described by config; check=False skips the model/schema check."""
    return Store(config, embedder, check)
