"""Attacks on a live server from outside: real HTTP on loopback, a real browser for the UI."""

from __future__ import annotations

import http.client
import shutil
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tests.integration.live import live_server

ADMIN, AGENT, SHOPPER1, SHOPPER2 = "adm-key-1", "agt-key-1", "u001-key-1", "u002-key-1"
KEYS = f"{ADMIN}=admin,{AGENT}=agent,{SHOPPER1}=shopper:u001,{SHOPPER2}=shopper:u002"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


@contextmanager
def keyed_server(store, runtime=None, **settings):
    """The real app with four API keys (admin, agent, shoppers u001 and u002)."""
    with live_server(store, runtime, api_keys=KEYS, **settings) as (url, service):
        yield url, service


def model_holder(url: str, service, seconds: float) -> threading.Thread:
    """A chat turn (unstarted) that holds a model slot for `seconds`: the engine's answer is
    slowed, as a long generation would be."""
    from tests.integration.live import call

    real = service.engine.answer

    def slow_answer(*a, **k):
        time.sleep(seconds)
        return real(*a, **k)

    service.engine.answer = slow_answer
    body = {"model": "shopassist", "messages": [{"role": "user", "content": "mugs"}]}
    return threading.Thread(
        target=call, args=(f"{url}/v1/chat/completions", "POST", body), kwargs={"key": ADMIN}
    )


def raw_request(url: str, method: str, path: str, headers: dict[str, str],
                chunks=(), timeout: float = 30.0) -> tuple[int, bytes, dict]:  # fmt: skip
    """One HTTP/1.1 request with a chunked body sent piece by piece; (status, body, headers).
    A server that answers early and closes is fine: sending stops and the answer is read."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    if chunks is not None:
        conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for chunk in chunks or ():
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if chunks is not None and not isinstance(chunks, _Unfinished):
            conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, dict(resp.getheaders())


class _Unfinished(list):
    """Chunks of a body whose end is never sent (the server must answer without it)."""


def unfinished(*chunks: bytes) -> _Unfinished:
    return _Unfinished(chunks)


@pytest.fixture
def browser():
    """Debian's headless Chromium driven by Playwright (skips where it is not installed)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def login(browser, url: str, username: str, key: str):
    """A new browser context signed in to the UI with `username` and `key`; its page."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.goto(url + "/", wait_until="load")
    page.locator("input[type=text]").first.fill(username)
    page.locator("input[type=password]").first.fill(key)
    page.get_by_role("button", name="Login").first.click()
    page.locator("#sa-basket").wait_for(timeout=30_000)
    return page
