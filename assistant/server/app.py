"""HTTP API: OpenAI-compatible chat (plain and SSE streaming) and REST routes over a Service.

Every 4xx/5xx body is the OpenAI error format (`param` names a refused field). Extras ride in a
top-level `shopassist` object (on the response, or on the last chunk before `data: [DONE]` when
streaming); standard OpenAI clients ignore it. The answer's wire format (usage, stop sequences,
limits, JSON mode) is `assistant/server/openai_format.py`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from assistant.desk.answer_log import answer_for, new_message_id
from assistant.desk.support import add_feedback as store_feedback
from assistant.server.ability_routes import add_ability_routes
from assistant.server.admin_routes import add_admin_routes
from assistant.server.desk_routes import add_desk_routes
from assistant.server.guard import Guard
from assistant.server.openai_format import Cut, completion, sse, words
from assistant.server.principals import Principal
from assistant.server.protocol import (
    MODELS,
    BasketLineIn,
    BasketQuantityIn,
    ChatRequest,
    DraftIn,
    EventIn,
    FeedbackIn,
    describe_errors,
    error_body,
)
from assistant.server.responses import ChatCompletion
from assistant.server.service import QueueFull, Service

log = logging.getLogger(__name__)


def _fail(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
          headers: dict[str, str] | None = None, param: str | None = None):  # fmt: skip
    detail = {"message": message, "type": type_, "code": code, "param": param}
    raise HTTPException(status, detail=detail, headers=headers)


def _busy(exc: QueueFull):
    _fail(429, f"too many requests are waiting for the model; retry after {exc.retry_after} s",
          "rate_limit_error", "queue_full", {"Retry-After": str(exc.retry_after)})  # fmt: skip


def create_app(service: Service) -> FastAPI:
    """The FastAPI app (the Gradio UI is mounted on it by `ui.app.mount_ui`)."""
    app = FastAPI(title="ShopAssist", version="0.1.0", docs_url="/docs")
    app.state.service = service
    app.add_middleware(
        Guard, service=service, max_upload_bytes=service.settings.max_upload_mib * 1024 * 1024
    )

    @app.exception_handler(HTTPException)
    async def _http_error(_req: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
        body = error_body(
            detail["message"], detail.get("type", "invalid_request_error"), detail.get("code")
        )
        if detail.get("param"):
            body["error"]["param"] = detail["param"]  # as OpenAI names the offending field
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError):
        return JSONResponse(
            error_body(describe_errors(exc), code="invalid_request"), status_code=400
        )

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception):
        ref = uuid.uuid4().hex[:12]
        log.error("unhandled error %s on %s", ref, req.url.path, exc_info=exc)
        body = error_body(f"internal error (reference {ref}); please retry", "server_error")
        return JSONResponse(body, status_code=500)

    @app.middleware("http")
    async def _metrics(request: Request, call_next):
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
    @app.post(
        "/v1/chat/completions",
        responses={200: {"model": ChatCompletion, "description": "The answer (or an SSE stream "
                         "of ChatCompletionChunk events when `stream` is true)"}},
    )  # fmt: skip
    async def chat(request: Request, who: Principal = Depends(caller)):
        raw = await request.body()  # the guard has counted it
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            _fail(
                400,
                f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                code="invalid_json",
            )
        if refused := ChatRequest.unsupported(body):  # refused before any turn (no ticket)
            _fail(400, refused[1], code="unsupported_parameter", param=refused[0])
        try:
            req = ChatRequest.model_validate(body)
        except ValidationError as exc:
            _fail(400, describe_errors(exc), code="invalid_request")
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
            {"role": m.role, "content": m.text}
            for m in req.messages
            if m.role in ("user", "assistant")
        ]
        cid, created = new_message_id(), int(time.time())  # the id a thumb names
        turn = (messages, user, agent, req.conversation_id, cid)
        said = sum(words(m["content"]) for m in messages)
        cut = Cut(req.stops, req.max_words)
        try:
            if not req.stream:
                result = await service.turn(*turn)
                return completion(cid, created, req.model, result, cut, said, req.json_mode)
            pieces = await service.open_stream(*turn)
        except QueueFull as exc:
            _busy(exc)
        stream = sse(pieces, cid, created, req.model, cut, said, req.json_mode, req.include_usage)
        return EventSourceResponse(stream)

    @app.get("/v1/models")
    async def models(_who: Principal = Depends(caller)):
        data = [{"id": m, "object": "model", "created": int(service.started), "owned_by": "shopassist", "description": d}
                for m, d in MODELS.items()]  # fmt: skip
        return {"object": "list", "data": data}

    # --- catalog ---------------------------------------------------------------------------
    @app.get("/v1/search")
    async def search(q: str = Query(min_length=1, max_length=500), k: int = Query(10, ge=1, le=100),
                     user: str | None = None, who: Principal = Depends(caller)):  # fmt: skip
        found = await run_in_threadpool(service.search, q, acting_user(who, user), k)
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
        acting_user(who, body.user_id)
        rated = await run_in_threadpool(answer_for, service.store, body.message_id, body.user_id)
        if rated is None:
            _fail(404, f"no answer {body.message_id!r} to {body.user_id!r}: use the `id` of a "
                  "chat completion given to this user", code="unknown_message")  # fmt: skip
        fid = await run_in_threadpool(store_feedback, service.store, body.user_id, body.message_id,
                                      body.rating, body.comment)  # fmt: skip
        return {"feedback_id": fid, "message_id": body.message_id, "rating": body.rating}

    add_admin_routes(app, service, caller, need)
    add_ability_routes(app, service, caller, acting_user, _fail)
    add_desk_routes(app, service, caller, need, acting_user, _fail)  # before ticket_action

    # --- agent -----------------------------------------------------------------------------
    @app.get("/v1/tickets")
    async def tickets(status: Literal["open", "resolved", "closed", "all"] = "open",
                      limit: int = Query(50, ge=1, le=200), after: int | None = None,
                      who: Principal = Depends(caller)):  # fmt: skip
        """A page of tickets, newest first; `next_after` fetches the next page."""
        from assistant.desk.support import list_tickets

        need(who, "agent", "admin")
        status_ = None if status == "all" else status
        return await run_in_threadpool(list_tickets, service.store, status_, limit, after)

    @app.post("/v1/tickets/{ticket_id}/{action}")
    async def ticket_action(ticket_id: int, action: Literal["resolve", "close", "reopen"],
                            who: Principal = Depends(caller)):  # fmt: skip
        from assistant.desk.support import TicketConflict, set_ticket_status

        need(who, "agent", "admin")
        status = {"resolve": "resolved", "close": "closed", "reopen": "open"}[action]
        try:
            found = await run_in_threadpool(set_ticket_status, service.store, ticket_id, status)
        except TicketConflict as exc:
            _fail(409, str(exc), code="ticket_conflict")
        if found is None:
            _fail(404, f"no ticket {ticket_id}", code="unknown_ticket")
        return found

    @app.post("/v1/drafts")
    async def draft(body: DraftIn, who: Principal = Depends(caller)):
        need(who, "agent", "admin")
        try:
            return await service.draft(body.ticket_text, body.customer_id)
        except QueueFull as exc:
            _busy(exc)

    # --- users: a shopper's own data, or an admin's (agents can't export or delete) -----------
    def owner_or_admin(who: Principal, user_id: str) -> None:
        if who.role != "admin":
            need(who, "shopper")
            acting_user(who, user_id)

    @app.get("/v1/users/{user_id}/export")
    async def export(user_id: str, who: Principal = Depends(caller)):
        from assistant.desk.privacy import export_user

        owner_or_admin(who, user_id)
        return await run_in_threadpool(export_user, service.store, user_id)

    @app.delete("/v1/users/{user_id}")
    async def forget(user_id: str, who: Principal = Depends(caller)):
        from assistant.desk.privacy import forget_user

        owner_or_admin(who, user_id)
        return await run_in_threadpool(forget_user, service.store, user_id)

    # --- basket ----------------------------------------------------------------------------
    def basket_reply(user_id: str, fact: dict | None = None) -> dict:
        from retrieval.storage.basket import get_basket

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
        status, body = await run_in_threadpool(service.health)
        return JSONResponse(body, status_code=status)

    @app.get("/metrics")
    async def metrics():
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    from assistant.tools.mcp_server import mount_mcp

    mount_mcp(app, service)  # /mcp: the tools over MCP (streamable HTTP), calling the routes above
    return app
