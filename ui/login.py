"""The UI's sign-in page: a shopper types their user id and key, staff any name and their key.

Each sign-in gets its own session (`assistant.server.logins`); Gradio learns who is signed in
through `auth_dependency`, so the role always comes from the key this browser used.
"""

from __future__ import annotations

import html

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.server.logins import COOKIE, LIFETIME_S

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ShopAssist · sign in</title><meta name="viewport" content="width=device-width">
<style>body{{font-family:system-ui,sans-serif;max-width:360px;margin:12vh auto;padding:0 16px}}
label{{display:block;margin:12px 0 4px}}input{{width:100%;padding:8px;box-sizing:border-box}}
button{{margin-top:16px;padding:8px 20px}}.err{{color:#b00020}}</style></head><body>
<h2>ShopAssist</h2><p>Shoppers: your user id and key. Staff: your name and key.</p>
<form method="post" action="/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus>
<label for="password">Key</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Login</button></form><p class="err" role="alert">{error}</p></body></html>"""


def add_login_routes(app: FastAPI, service) -> None:
    """GET/POST /login and /logout on the app (before the UI is mounted at /)."""

    @app.get("/login", include_in_schema=False)
    async def login_page():
        return HTMLResponse(PAGE.format(error=""))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request, username: str = Form(max_length=128),  # noqa: B008
                    password: str = Form(max_length=512)):  # noqa: B008  # fmt: skip
        who = service.principal(f"Bearer {password}")
        name = username.strip()
        if who is None or not name or (who.role == "shopper" and who.user_id != name):
            msg = html.escape("That name and key don't match; shoppers sign in with their user id.")
            return HTMLResponse(PAGE.format(error=msg), status_code=401)
        token = service.logins.sign_in(who, name)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, max_age=LIFETIME_S, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    @app.get("/logout", include_in_schema=False)
    async def logout(request: Request):
        service.logins.sign_out(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response


def signed_in(service):
    """Gradio's auth_dependency: the signed-in name for a request's session cookie, or None."""

    def current(request: Request) -> str | None:
        login = service.logins.get(request.cookies.get(COOKIE))
        return login.display if login else None

    return current
