"""The service gateway behind the HTTP routes and the UI: auth, limits, the model queue, metrics.

Every way in (the chat route, the UI, drafts) takes a turn through `open_stream`, `turn` or
`draft`, so each one is checked against the same limits, waits in the same queue and is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.desk.answer_log import new_message_id, record_answer
from assistant.runtime import build_engine
from assistant.server.logins import Logins
from assistant.server.principals import LOCAL, Principal, parse_keys

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """More turns waiting for the model than the queue holds; retry after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the model queue is full; retry after {retry_after} s")
        self.retry_after = retry_after


class Admission:
    """Model slots with a per-user fair queue: at most `slots` turns generate at once; waiting
    turns queue per user and a freed slot goes to the user at the head of the round, who then
    moves to its back, so one shopper's burst waits behind everyone else's next turn instead of
    ahead of it. At most `max_queue` turns wait in all and `per_user` per user; more get
    QueueFull at once, with `retry_after` computed from the queue ahead of them and a running mean
    of how long a turn holds its slot. No polling: a freed slot is handed to the next waiter."""

    ANONYMOUS = "(anonymous)"  # the one lane of turns with no user (only `max_queue` caps it)

    def __init__(self, slots: int, max_queue: int, per_user: int | None = None) -> None:
        self.slots, self.max_queue = slots, max_queue
        self.per_user = max_queue if per_user is None else per_user
        self.free = slots
        self.turn_s = 2.0  # running mean of slot hold times
        self._lanes: OrderedDict[str, deque[asyncio.Future]] = OrderedDict()  # the round, in order

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._lanes.values())

    def retry_after(self, ahead: int) -> int:
        """Seconds until a turn with `ahead` turns queued before it starts."""
        return max(1, math.ceil(self.turn_s * (ahead + 1) / self.slots))

    @contextlib.asynccontextmanager
    async def slot(self, user: str | None = None):
        await self._acquire(user or self.ANONYMOUS)
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.turn_s = 0.8 * self.turn_s + 0.2 * (time.monotonic() - t0)
            self._release()

    async def _acquire(self, lane: str) -> None:
        if self.free > 0 and not self._lanes:
            self.free -= 1
            return
        mine = len(self._lanes.get(lane, ())) if lane != self.ANONYMOUS else 0  # no user: no cap
        if self.waiting >= self.max_queue or mine >= self.per_user:
            raise QueueFull(self.retry_after(self._ahead(lane)))
        turn = asyncio.get_running_loop().create_future()
        self._lanes.setdefault(lane, deque()).append(turn)
        try:
            await turn  # resolved by `_release`, which hands this turn the freed slot
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed a slot as it was cancelled
                self._release()
            else:
                self._drop(lane, turn)
            raise

    def _ahead(self, lane: str) -> int:
        """Turns that would start before one more turn of `lane`: in each lane, as many turns as
        this lane would have queued with it (the round serves one per lane in turn)."""
        rounds = len(self._lanes.get(lane, ())) + 1
        return sum(min(len(q), rounds) for q in self._lanes.values())

    def _release(self) -> None:
        while self._lanes:
            lane, queue = next(iter(self._lanes.items()))
            turn = queue.popleft()
            if queue:
                self._lanes.move_to_end(lane)  # its next turn waits for everyone else's
            else:
                del self._lanes[lane]
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1

    def _drop(self, lane: str, turn: asyncio.Future) -> None:
        queue = self._lanes.get(lane)
        if queue is not None and turn in queue:
            queue.remove(turn)
            if not queue:
                del self._lanes[lane]


class TurnStream:
    """A turn's pieces, generated in a held model slot; the end of the turn or `aclose()`
    (a client that went away) frees the slot, once."""

    def __init__(self, slot, gen, service: Service, turn: tuple) -> None:
        self._slot, self._gen, self._service = slot, gen, service
        self._turn = turn  # (message id, messages, user, agent): what the answer is logged with
        self._open = True

    def __aiter__(self) -> AsyncIterator:
        return self._run()

    async def _run(self) -> AsyncIterator:
        from assistant.turn.engine_result import TurnResult

        try:
            async for piece in iterate_in_threadpool(self._gen):
                if isinstance(piece, TurnResult):
                    await self._service.finish(piece, *self._turn)
                yield piece
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            await self._slot.__aexit__(None, None, None)
            with contextlib.suppress(ValueError):  # still running in its thread: stops later
                self._gen.close()


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
        self._key_digests = [(hashlib.sha256(k.encode()).digest(), p) for k, p in self.keys.items()]
        self.metrics = Metrics()
        self.started = time.time()
        self.admission = Admission(
            settings.model_concurrency, settings.max_queue, settings.max_queue_per_user
        )
        self.logins = Logins()
        self.starting: dict | None = None  # {"step", "since"} while the LLM engine starts

    def set_starting(self, step: str) -> None:
        """The LLM engine is starting in the background (answers come from templates till then)."""
        since = self.starting["since"] if self.starting else time.time()
        self.starting = {"step": step, "since": since}

    def attach_llm(self, runtime) -> None:
        """The engine has started (None: it could not; answers stay template answers)."""
        self.runtime = runtime
        self.engine.llm = runtime
        self.starting = None

    @property
    def auth_enabled(self) -> bool:
        return bool(self.keys)

    def principal(self, authorization: str | None) -> Principal | None:
        """The caller for an `Authorization: Bearer KEY` header (None: unknown key)."""
        if not self.keys:
            return LOCAL
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        given = hashlib.sha256(authorization[7:].strip().encode()).digest()
        found = None
        for digest, who in self._key_digests:  # every key compared, in constant time
            if hmac.compare_digest(digest, given):
                found = who
        return found

    # --- the gateway: every turn is checked, queued and counted here ------------------------

    @staticmethod
    def check_messages(messages: list[dict], model: str = "shopassist") -> None:
        """The chat route's limits for any caller; ValueError says which limit and by how much."""
        from pydantic import ValidationError

        from assistant.server.protocol import ChatRequest, describe_errors

        try:
            ChatRequest.model_validate({"model": model, "messages": messages})
        except ValidationError as exc:
            raise ValueError(describe_errors(exc)) from None

    @contextlib.asynccontextmanager
    async def model_slot(self, lane: str | None = None):
        """A model slot from the fair queue (`lane`: whose turn; None: anonymous); QueueFull
        (with its Retry-After) when the queue, or this lane's share of it, is full."""
        try:
            async with self.admission.slot(lane):
                yield
        except QueueFull:
            self.metrics.queue_rejects.inc()
            raise

    async def turn(self, messages: list[dict], user: str | None, agent: bool = False,
                   conversation: str | None = None, message_id: str | None = None):  # fmt: skip
        """One whole answer (a TurnResult, logged under `message_id`), in a model slot."""
        async with self.model_slot(user):
            result = await run_in_threadpool(
                self.engine.answer, messages, user, agent, conversation
            )
        await self.finish(result, message_id or new_message_id(), messages, user, agent)
        return result

    async def open_stream(self, messages: list[dict], user: str | None, agent: bool = False,
                          conversation: str | None = None,
                          message_id: str | None = None) -> TurnStream:  # fmt: skip
        """Wait for a model slot (QueueFull now, before any byte is sent), then the turn's
        pieces: text, and last the TurnResult (logged under `message_id`)."""
        slot = self.model_slot(user)
        await slot.__aenter__()
        gen = self.engine.stream(messages, user, agent, conversation)
        return TurnStream(slot, gen, self, (message_id or new_message_id(), messages, user, agent))

    async def finish(self, result, message_id: str, messages: list[dict], user: str | None,
                     agent: bool) -> None:  # fmt: skip
        """A finished turn: counted, and logged under its message id (what a thumb names)."""
        self.observe(result)
        result.message_id = message_id
        try:
            await run_in_threadpool(record_answer, self.store, message_id, messages, user, agent,
                                    result)  # fmt: skip
        except Exception:  # the shopper still gets the answer; only its thumbs can't land
            log.exception("could not log answer %s", message_id)

    async def draft(self, ticket_text: str, customer_id: str) -> dict:
        """An agent's drafted reply, in a model slot."""
        async with self.model_slot(f"draft for {customer_id}"):
            return await run_in_threadpool(self.engine.draft_reply, ticket_text, customer_id)

    def observe(self, result) -> None:
        """Record a finished turn's timings and size."""
        m = self.metrics
        if "ttft" in result.timings:
            m.ttft.observe(result.timings["ttft"])
        m.retrieval.observe(result.timings.get("retrieve", 0.0))
        m.tokens.inc(len(result.answer))

    def search(self, q: str, user_id: str | None, k: int = 10):
        """Hybrid search for `q`, personalized for the user when one is given."""
        from retrieval.search.profile import user_profile

        profile = user_profile(self.store, user_id) if user_id else None
        return self.engine.searcher.search(q, profile, k)

    def rules(self):
        """The service rules in force (return window, delivery days) and today's date."""
        return self.engine.config.rules, self.engine.today

    def recommend(self, user_id: str, k: int = 10) -> list[dict]:
        """Items for a user: the recommender when present, else profile-personalized popular items."""
        from retrieval.search.profile import user_profile

        profile = user_profile(self.store, user_id)
        try:
            from retrieval.recs.recommend import recommend_for_user  # type: ignore[attr-defined]
        except ImportError:
            recommend_for_user = None
        if recommend_for_user is not None:
            return recommend_for_user(self.store, user_id, k)
        text = " ".join(profile.top_categories(2))
        from retrieval.storage.mirror import Filters

        return self.engine.searcher.search(
            text, profile=profile, k=k, filters=Filters(in_stock=True), parse=False
        ).items

    def record_event(self, event: dict) -> dict:
        """A view/cart/… event from the UI or a client (deduplicated)."""
        from retrieval.ingest.events import record_events

        return record_events(self.store, [event])

    def admin_products(self, upsert: list[dict], delete: list[str]) -> dict:
        """Upsert/delete a batch; bad rows are reported by index, good rows land; search sees it at once."""
        from retrieval.ingest.catalog import normalize_product
        from retrieval.ingest.products import upsert_products
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

    def admin_events(self, records: list[dict], check_forgotten: list[str]) -> dict:
        """Normalized events stored as a file ingest stores them (`POST /v1/admin/events`)."""
        from retrieval.ingest.events import forgotten_among, store_event_records

        done = store_event_records(self.store, records) if records else {
            "inserted": 0, "unchanged": 0, "embedded": 0, "forgotten_user_rows": 0,
            "unknown_products": []}  # fmt: skip
        return {**done, "forgotten": sorted(forgotten_among(self.store, check_forgotten))}

    def ingest_file(self, kind: str, path: str) -> dict:
        """Admin-tab ingest of a products/events/orders file; the rejects report names lines."""
        from retrieval.ingest import events, products
        from retrieval.types import InputFileError

        run = {
            "products": products.ingest_products,
            "events": events.ingest_events,
            "orders": events.ingest_orders,
        }[kind]
        try:
            return run(self.store, path, progress=True).to_dict()
        except InputFileError as exc:
            return {"error": str(exc)}

    def engine_state(self) -> dict:
        """What /healthz reports about the LLM engine."""
        if self.starting is not None:
            return {"llm": "starting", "step": self.starting["step"],
                    "elapsed_s": round(time.time() - self.starting["since"], 1),
                    "mode": "degraded (template answers) until the engine is ready"}  # fmt: skip
        if self.runtime is None:
            return {"llm": "unavailable", "mode": "degraded (template answers)"}
        healthy = self.runtime.is_healthy()
        return {"llm": "ok" if healthy else "down", "backend": self.runtime.config.backend}

    def health(self) -> tuple[int, dict]:
        """(HTTP status, body) of /healthz: 200 ok; 200 degraded when no LLM is configured
        (template answers); 503 "starting" while the LLM engine starts (answers are template
        answers till then) and 503 "down" while a configured LLM engine is down (restarting).
        `chroma_folder` identifies an embedded Chroma folder (a hash of device and inode), so a CLI on the same
        machine can tell whether this process holds its store (it then writes through here)."""
        from retrieval.storage.folder import chroma_folder_id

        engine = self.engine_state()
        status = {"ok": "ok", "down": "down", "starting": "starting"}.get(engine["llm"], "degraded")
        folder = chroma_folder_id(self.store.config.chroma_mode, self.store.config.data_dir)
        body = {"status": status, "products": len(self.store.index), "engine": engine,
                "auth": self.auth_enabled, "chroma_folder": folder}  # fmt: skip
        return (503 if status in ("down", "starting") else 200), body
