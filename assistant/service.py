"""The service object behind the HTTP routes and the UI: auth, the model queue, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from assistant.runtime import build_engine


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, and for shoppers the one user id they may act for."""

    role: str  # admin | agent | shopper
    user_id: str | None = None

    def can_act_for(self, user_id: str | None) -> bool:
        return self.role in ("admin", "agent") or (user_id is not None and user_id == self.user_id)


LOCAL = Principal("admin")  # no keys configured: loopback only, full access


def parse_keys(spec: str) -> dict[str, Principal]:
    """'k1=admin,k2=shopper:u001' → {key: Principal}; a malformed entry raises ValueError."""
    keys: dict[str, Principal] = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        key, _, role = entry.partition("=")
        role, _, user = role.partition(":")
        if (
            not key
            or role not in ("admin", "agent", "shopper")
            or (role == "shopper") != bool(user)
        ):
            msg = f"bad API key entry {entry!r}: use KEY=admin, KEY=agent or KEY=shopper:USER_ID"
            raise ValueError(msg)
        keys[key] = Principal(role, user or None)
    return keys


class QueueFull(Exception):
    """More chat turns waiting than the queue holds."""


class Metrics:
    """Prometheus metrics on their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "shopassist_request_seconds", "Request latency", ["route"], registry=self.registry
        )
        self.ttft = Histogram(
            "shopassist_ttft_seconds", "Time to the first grounded text", registry=self.registry
        )
        self.tokens = Counter(
            "shopassist_generated_chars_total",
            "Characters of answer text sent",
            registry=self.registry,
        )
        self.retrieval = Histogram(
            "shopassist_retrieval_seconds", "Retrieval stage time", registry=self.registry
        )
        self.queue_rejects = Counter(
            "shopassist_queue_rejections_total", "Requests refused with 429", registry=self.registry
        )


class Service:
    """Store + engine + LLM runtime for one server process."""

    def __init__(self, settings, store, runtime=None) -> None:
        self.settings = settings
        self.store = store
        self.runtime = runtime
        self.engine = build_engine(store, settings, runtime)
        self.keys = parse_keys(settings.api_keys)
        self.metrics = Metrics()
        self.started = time.time()
        self._slots = threading.BoundedSemaphore(settings.model_concurrency)
        self._waiting = 0
        self._lock = threading.Lock()
        self.ui_sessions: dict[str, Principal] = {}  # UI login name -> key's principal

    @property
    def auth_enabled(self) -> bool:
        return bool(self.keys)

    def principal(self, authorization: str | None) -> Principal | None:
        """The caller for an `Authorization: Bearer KEY` header (None: unknown key)."""
        if not self.keys:
            return LOCAL
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        return self.keys.get(authorization[7:].strip())

    @contextlib.asynccontextmanager
    async def model_slot(self):
        """Wait in the bounded queue for a model slot; QueueFull when the queue is full."""
        with self._lock:
            got = self._slots.acquire(blocking=False)
            if not got:
                if self._waiting >= self.settings.max_queue:
                    self.metrics.queue_rejects.inc()
                    raise QueueFull
                self._waiting += 1
        if not got:  # queued: this time does not count against the LLM timeout
            try:
                while not self._slots.acquire(blocking=False):
                    await asyncio.sleep(0.02)
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()

    def recommend(self, user_id: str, k: int = 10) -> list[dict]:
        """Items for a user: the recommender when present, else profile-personalized popular items."""
        from retrieval.profile import user_profile

        profile = user_profile(self.store, user_id)
        try:
            from retrieval.recommend import recommend_for_user  # type: ignore[attr-defined]
        except ImportError:
            recommend_for_user = None
        if recommend_for_user is not None:
            return recommend_for_user(self.store, user_id, k)
        text = " ".join(profile.top_categories(2))
        from retrieval.index import Filters

        return self.engine.searcher.search(
            text, profile=profile, k=k, filters=Filters(in_stock=True), parse=False
        ).items

    def record_event(self, event: dict) -> dict:
        """A view/cart/… event from the UI or a client (deduplicated)."""
        from retrieval.events import record_events

        return record_events(self.store, [event])

    def admin_products(self, upsert: list[dict], delete: list[str]) -> dict:
        """Upsert/delete a batch; bad rows are reported by index, good rows land; search sees it at once."""
        from retrieval.catalog import normalize_product
        from retrieval.ingest import upsert_products
        from retrieval.types import Reject

        good, rejects = [], []
        for i, row in enumerate(upsert):
            p = normalize_product(row, i + 1, self.store.config.currency)
            if isinstance(p, Reject):
                rejects.append({"index": i, "reason": p.reason})
            else:
                good.append(p)
        counts = upsert_products(self.store, good) if good else {}
        deleted = self.store.delete_products(delete) if delete else 0
        return {"upserted": len(good), "deleted": deleted, "rejected": rejects, **counts}

    def ingest_file(self, kind: str, path: str) -> dict:
        """Admin-tab ingest of a products/events/orders file; the rejects report names lines."""
        from retrieval import events, ingest
        from retrieval.types import InputFileError

        run = {
            "products": ingest.ingest_products,
            "events": events.ingest_events,
            "orders": events.ingest_orders,
        }[kind]
        try:
            return run(self.store, path, progress=True).to_dict()
        except InputFileError as exc:
            return {"error": str(exc)}

    def engine_state(self) -> dict:
        """What /healthz reports about the LLM engine."""
        if self.runtime is None:
            return {"llm": "unavailable", "mode": "degraded (template answers)"}
        healthy = self.runtime.is_healthy()
        return {"llm": "ok" if healthy else "down", "backend": self.runtime.config.backend}
