"""HTTP API: OpenAI-compatible chat (plain and SSE streaming) and REST routes over a Service.

Every 4xx/5xx body is the OpenAI error format. Extras ride in a top-level `shopassist` object
(on the response, or on the last chunk before `data: [DONE]` when streaming); standard OpenAI
clients ignore it.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.protocol import (
    MAX_BODY_BYTES,
    MODELS,
    AdminProducts,
    BasketLineIn,
    BasketQuantityIn,
    ChatRequest,
    DraftIn,
    EventIn,
    FeedbackIn,
    error_body,
)
from assistant.service import Principal, QueueFull, Service

RETRY_AFTER_S = 2


def _fail(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
          headers: dict[str, str] | None = None):  # fmt: skip
    raise HTTPException(
        status, detail={"message": message, "type": type_, "code": code}, headers=headers
    )


def _validation_message(exc: ValidationError | RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts)


def create_app(service: Service) -> FastAPI:
    """The FastAPI app (the Gradio UI is mounted on it by `ui.app.mount_ui`)."""
    app = FastAPI(title="ShopAssist", version="0.1.0", docs_url="/docs")
    app.state.service = service

    @app.exception_handler(HTTPException)
    async def _http_error(_req: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
        body = error_body(
            detail["message"], detail.get("type", "invalid_request_error"), detail.get("code")
        )
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError):
        return JSONResponse(
            error_body(_validation_message(exc), code="invalid_request"), status_code=400
        )

    @app.middleware("http")
    async def _limits_and_metrics(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            body = error_body(
                f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}",
                code="body_too_large",
            )
            return JSONResponse(body, status_code=413)
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        service.metrics.latency.labels(getattr(route, "path", "other")).observe(
            time.perf_counter() - t0
        )
        return response

    def caller(authorization: Annotated[str | None, Header()] = None) -> Principal:
        who = service.principal(authorization)
        if who is None:
            _fail(
                401,
                "missing or unknown API key (Authorization: Bearer KEY)",
                "authentication_error",
                "invalid_api_key",
            )
        return who

    def acting_user(who: Principal, user: str | None) -> str | None:
        """Shopper keys act for their own user, whatever the request says."""
        if who.role == "shopper":
            if user not in (None, who.user_id):
                _fail(
                    403,
                    "this key may only access its own user's data",
                    "permission_error",
                    "forbidden",
                )
            return who.user_id
        return user

    def need(who: Principal, *roles: str) -> None:
        if who.role not in roles:
            _fail(403, f"this needs an {' or '.join(roles)} key", "permission_error", "forbidden")

    # --- chat ------------------------------------------------------------------------------
    @app.post("/v1/chat/completions")
    async def chat(request: Request, who: Principal = Depends(caller)):
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            _fail(
                413,
                f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}",
                code="body_too_large",
            )
        try:
            req = ChatRequest.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            _fail(
                400,
                f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                code="invalid_json",
            )
        except ValidationError as exc:
            _fail(400, _validation_message(exc), code="invalid_request")
        if req.model not in MODELS:
            _fail(
                404,
                f"model {req.model!r} does not exist; use one of {sorted(MODELS)}",
                code="model_not_found",
            )
        agent = req.model == "shopassist-agent"
        if agent:
            need(who, "agent", "admin")
        user = req.user if agent else acting_user(who, req.user)
        messages = [
            m.model_dump(include={"role", "content"})
            for m in req.messages
            if m.role in ("user", "assistant")
        ]
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        try:
            slot = service.model_slot()
            await slot.__aenter__()
        except QueueFull:
            _fail(429, "too many requests are waiting for the model; retry shortly", "rate_limit_error",
                  "queue_full", {"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip
        if not req.stream:
            try:
                result = await run_in_threadpool(
                    service.engine.answer, messages, user, agent, req.conversation_id
                )
            finally:
                await slot.__aexit__(None, None, None)
            _observe(service, result)
            return _completion(cid, created, req.model, result)
        return EventSourceResponse(
            _sse(
                service, slot, (messages, user, agent, req.conversation_id), cid, created, req.model
            )
        )

    @app.get("/v1/models")
    async def models(_who: Principal = Depends(caller)):
        data = [{"id": m, "object": "model", "created": int(service.started), "owned_by": "shopassist", "description": d}
                for m, d in MODELS.items()]  # fmt: skip
        return {"object": "list", "data": data}

    # --- catalog ---------------------------------------------------------------------------
    @app.get("/v1/search")
    async def search(q: str = Query(min_length=1, max_length=500), k: int = Query(10, ge=1, le=100),
                     user: str | None = None, who: Principal = Depends(caller)):  # fmt: skip
        from retrieval.profile import user_profile

        user = acting_user(who, user)
        profile = user_profile(service.store, user) if user else None
        found = await run_in_threadpool(service.engine.searcher.search, q, profile, k)
        return found.to_json()

    @app.get("/v1/recommendations")
    async def recommendations(
        user: str | None = None, k: int = Query(10, ge=1, le=100), who: Principal = Depends(caller)
    ):
        user = acting_user(who, user)
        if user is None:
            _fail(400, "user is required", code="missing_user")
        return {"results": await run_in_threadpool(service.recommend, user, k)}

    @app.post("/v1/events")
    async def add_event(event: EventIn, who: Principal = Depends(caller)):
        acting_user(who, event.user_id)
        if service.store.get_product(event.product_id) is None:
            _fail(404, f"unknown product {event.product_id!r}", code="unknown_product")
        return await run_in_threadpool(service.record_event, event.model_dump())

    @app.post("/v1/feedback")
    async def add_feedback(body: FeedbackIn, who: Principal = Depends(caller)):
        from assistant.support import add_feedback

        acting_user(who, body.user_id)
        fid = add_feedback(service.store, body.user_id, body.message_id, body.rating, body.comment)
        return {"feedback_id": fid}

    @app.post("/v1/admin/products")
    async def admin_products(body: AdminProducts, who: Principal = Depends(caller)):
        need(who, "admin")
        return await run_in_threadpool(service.admin_products, body.upsert, body.delete)

    # --- agent -----------------------------------------------------------------------------
    @app.get("/v1/tickets")
    async def tickets(status: str | None = "open", who: Principal = Depends(caller)):
        from assistant.support import list_tickets

        need(who, "agent", "admin")
        return {"data": list_tickets(service.store, status)}

    @app.post("/v1/drafts")
    async def draft(body: DraftIn, who: Principal = Depends(caller)):
        need(who, "agent", "admin")
        return await run_in_threadpool(
            service.engine.draft_reply, body.ticket_text, body.customer_id
        )

    # --- users -----------------------------------------------------------------------------
    @app.get("/v1/users/{user_id}/export")
    async def export(user_id: str, who: Principal = Depends(caller)):
        from assistant.privacy import export_user

        acting_user(who, user_id)
        return await run_in_threadpool(export_user, service.store, user_id)

    @app.delete("/v1/users/{user_id}")
    async def forget(user_id: str, who: Principal = Depends(caller)):
        from assistant.privacy import forget_user

        acting_user(who, user_id)
        return await run_in_threadpool(forget_user, service.store, user_id)

    # --- basket ----------------------------------------------------------------------------
    def basket_reply(user_id: str, fact: dict | None = None) -> dict:
        from retrieval.basket import get_basket

        if fact is not None:
            if fact["kind"] == "unknown":
                _fail(404, f"unknown product {fact['ids'][0]!r}", code="unknown_product")
            refused = [x for x in fact.get("lines", []) if x["status"] != "ok"]
            if refused:
                from assistant.turn.basket import render

                _fail(409, render({**fact, "lines": refused}, None), code=refused[0]["status"])
        body = get_basket(service.store, user_id).to_json()
        return body if fact is None else {**body, "change": fact}

    def basket_change(user_id: str, act: str, product_id: str | None, quantity: int = 1,
                      options: str = "") -> dict:  # fmt: skip
        from assistant.turn.basket import change_line

        fact = change_line(service.store, user_id, act, product_id, quantity, options)
        return basket_reply(user_id, fact)

    @app.get("/v1/users/{user_id}/basket")
    async def basket(user_id: str, who: Principal = Depends(caller)):
        acting_user(who, user_id)
        return await run_in_threadpool(basket_reply, user_id)

    @app.post("/v1/users/{user_id}/basket")
    async def basket_add(user_id: str, body: BasketLineIn, who: Principal = Depends(caller)):
        acting_user(who, user_id)
        return await run_in_threadpool(
            basket_change, user_id, "add", body.product_id, body.quantity, body.options
        )

    @app.patch("/v1/users/{user_id}/basket")
    async def basket_set(user_id: str, body: BasketQuantityIn, who: Principal = Depends(caller)):
        acting_user(who, user_id)
        return await run_in_threadpool(
            basket_change, user_id, "set", body.product_id, body.quantity, body.options
        )

    @app.delete("/v1/users/{user_id}/basket")
    async def basket_delete(user_id: str, product_id: str | None = None, options: str = "",
                            who: Principal = Depends(caller)):  # fmt: skip
        """One line (`?product_id=`), or the whole basket."""
        acting_user(who, user_id)
        act = "remove" if product_id else "clear"
        return await run_in_threadpool(basket_change, user_id, act, product_id, 1, options)

    # --- operations ------------------------------------------------------------------------
    @app.get("/healthz")
    async def healthz():
        engine = await run_in_threadpool(service.engine_state)
        return {
            "status": "ok",
            "products": len(service.store.index),
            "engine": engine,
            "auth": service.auth_enabled,
        }

    @app.get("/metrics")
    async def metrics():
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _extras(result) -> dict:
    doc = result.to_json()
    doc.pop("answer")
    return doc


def _observe(service: Service, result) -> None:
    m = service.metrics
    if "ttft" in result.timings:
        m.ttft.observe(result.timings["ttft"])
    m.retrieval.observe(result.timings.get("retrieve", 0.0))
    m.tokens.inc(len(result.answer))


def _completion(cid: str, created: int, model: str, result) -> dict:
    words = len(result.answer.split())
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.answer},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": words, "total_tokens": words},
        "shopassist": _extras(result),
    }


def _chunk(
    cid: str, created: int, model: str, delta: dict, finish: str | None = None, **extra: Any
) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
    return json.dumps(body, ensure_ascii=False)


async def _sse(service: Service, slot, turn: tuple, cid, created, model):
    """OpenAI-format SSE: role, grounded text pieces, a last chunk with the extras, [DONE].
    `turn`: the engine's (messages, user, agent, conversation)."""
    from assistant.engine import TurnResult

    gen = service.engine.stream(*turn)
    try:
        yield {"data": _chunk(cid, created, model, {"role": "assistant", "content": ""})}
        async for piece in iterate_in_threadpool(gen):
            if isinstance(piece, TurnResult):
                _observe(service, piece)
                yield {"data": _chunk(cid, created, model, {}, "stop", shopassist=_extras(piece))}
            else:
                yield {"data": _chunk(cid, created, model, {"content": piece})}
        yield {"data": "[DONE]"}
    finally:
        await slot.__aexit__(None, None, None)  # a client that disconnects frees its slot
        with contextlib.suppress(
            ValueError
        ):  # still running in its thread: stops at the next piece
            gen.close()
