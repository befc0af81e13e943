"""The outermost ASGI layer: what is refused before any route runs or any body is read.

- Without API keys (loopback only) a request must name a loopback host: a page on another site
  resolving its name to 127.0.0.1 (DNS rebinding) gets 421.
- `/v1/...` with API keys: an unknown key gets 401 before the body is read.
- Bodies are counted as they arrive, chunked or not: past the route's limit, 413 (the API's
  limit for `/v1`, a larger one for the UI, uploads for signed-in admins only).
- `/` without a UI login goes to the login page.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

from fastapi import HTTPException

from assistant.server.logins import COOKIE
from assistant.server.protocol import MAX_BODY_BYTES, error_body

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
UI_BODY_BYTES = 1024 * 1024  # Gradio's own messages (the chat history rides along)
UPLOAD_PATH = "/gradio_api/upload"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit (an HTTPException, so the routes'
    body parsing passes it on as a 413 rather than a parse error)."""

    def __init__(self, size: int, limit: int) -> None:
        self.size, self.limit = size, limit
        status, body = _too_large(size, limit)
        super().__init__(status, detail=body["error"])


class Guard:
    """ASGI middleware over the whole app (API and UI); `service` answers who a caller is."""

    def __init__(self, app, service, max_upload_bytes: int) -> None:
        self.app, self.service, self.max_upload_bytes = app, service, max_upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        refusal = self._refusal(scope, headers, path)
        if refusal is not None:
            return await _send_json(send, *refusal)
        if path == "/" and self.service.auth_enabled and not self._login(headers):
            return await _send(send, 303, b"", [(b"location", b"/login")])
        limit = self._body_limit(headers, path)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _send_json(send, *_too_large(int(length), limit))
        seen, started = 0, False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(seen, limit)
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, *_too_large(seen, limit))

    def _refusal(self, scope, headers: dict, path: str) -> tuple[int, dict] | None:
        service = self.service
        if not service.auth_enabled:
            host = _host_name(headers.get("host", ""))
            if host not in LOOPBACK_HOSTS:
                msg = f"host {host!r} is not served without API keys (loopback names only)"
                return 421, error_body(msg, code="misdirected_request")
            return None
        if path.startswith("/v1/") and service.principal(headers.get("authorization")) is None:
            msg = "missing or unknown API key (Authorization: Bearer KEY)"
            return 401, error_body(msg, "authentication_error", "invalid_api_key")
        if path.endswith(UPLOAD_PATH):
            login = self._login(headers)
            if login is None or login.principal.role != "admin":
                return 403, error_body("only admins upload files", "permission_error", "forbidden")
        return None

    def _login(self, headers: dict):
        cookie = SimpleCookie()
        cookie.load(headers.get("cookie", ""))
        morsel = cookie.get(COOKIE)
        return self.service.logins.get(morsel.value if morsel else None)

    def _body_limit(self, headers: dict, path: str) -> int:
        if path.startswith("/v1/"):
            return MAX_BODY_BYTES
        if path.endswith(UPLOAD_PATH):
            return self.max_upload_bytes
        return UI_BODY_BYTES


def _host_name(host: str) -> str:
    """The name of a Host header without its port ("[::1]:7860" → "[::1]")."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]


def _too_large(size: int, limit: int) -> tuple[int, dict]:
    msg = f"request body is at least {size} bytes; the limit is {limit}"
    return 413, error_body(msg, code="body_too_large")


async def _send_json(send, status: int, body: dict) -> None:
    await _send(send, status, json.dumps(body).encode(), [(b"content-type", b"application/json")])


async def _send(send, status: int, body: bytes, headers: list) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
