"""ShopAssist's tools as an MCP server (the official `mcp` SDK): over stdio for `shopassist mcp`,
and over streamable HTTP at `/mcp` on `shopassist serve`. Every tool is one call of the HTTP API."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route

from assistant.server.protocol import error_body
from assistant.tools.client import TOOLS, WRITES, ApiError, ShopAssistClient

INSTRUCTIONS = (
    "ShopAssist's store: search the catalog, read and compare products, recommendations, a "
    "shopper's orders, returns and basket, and the store policies. Every value comes from the "
    "store; quote prices and policies as given."
)


def build_server(client_for: Callable[[Context], ShopAssistClient]) -> MCPServer:
    """An MCP server with every tool; `client_for(ctx)` is the client a tool call uses."""
    tools = [
        Tool.from_function(
            _tool(spec, client_for),
            name=spec.__name__,
            description=inspect.getdoc(spec),
            context_kwarg="ctx",
            annotations=ToolAnnotations(read_only_hint=spec not in WRITES),
        )
        for spec in TOOLS
    ]
    return MCPServer("shopassist", instructions=INSTRUCTIONS, tools=tools, log_level="WARNING")


def _tool(spec: Callable, client_for: Callable[[Context], ShopAssistClient]):
    """An async tool with `spec`'s typed parameters (the SDK validates them) that makes the call
    and returns the route's JSON; an API refusal is a tool error with the API's message."""

    async def call(ctx: Context, **kwargs: Any) -> dict[str, Any]:
        try:
            return await client_for(ctx).asend(spec(**kwargs))
        except ApiError as exc:
            raise ToolError(str(exc)) from exc

    sig = inspect.signature(spec, eval_str=True)
    ctx = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    call.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[*sig.parameters.values(), ctx], return_annotation=dict[str, Any]
    )
    call.__name__ = spec.__name__
    return call


def mount_mcp(app, service) -> None:
    """Streamable HTTP MCP at `/mcp` on the app. A request needs a known key (401 otherwise, when
    keys are configured); each tool call goes through the app's own /v1 routes in-process
    (httpx.ASGITransport: the same auth, validation and per-user rules as over the network), with
    the MCP request's own Authorization header."""
    transport = httpx.ASGITransport(app=app)

    def client_for(ctx: Context) -> ShopAssistClient:
        auth = (ctx.headers or {}).get("authorization")
        return ShopAssistClient("http://127.0.0.1", authorization=auth, transport=transport)

    server = build_server(client_for)
    # Without keys (loopback only) the SDK's own Host and Origin checks stay on; with keys, any
    # host may be served and the key is the gate.
    keyed = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=keyed if service.auth_enabled else None,
    )
    manager = server.session_manager
    app.router.routes.append(Route("/mcp", _Keyed(manager, service), include_in_schema=False))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_):
        async with manager.run(), inner(app_) as state:
            yield state

    app.router.lifespan_context = lifespan


class _Keyed:
    """The MCP endpoint (a raw ASGI app) behind the API's key check: `/mcp` is not under `/v1`,
    so the guard does not check its key."""

    def __init__(self, manager, service) -> None:
        self.manager, self.service = manager, service

    async def __call__(self, scope, receive, send) -> None:
        if self.service.principal(Headers(scope=scope).get("authorization")) is None:
            msg = "missing or unknown API key (Authorization: Bearer KEY)"
            body = error_body(msg, "authentication_error", "invalid_api_key")
            reply = JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})
            return await reply(scope, receive, send)
        await self.manager.handle_request(scope, receive, send)
