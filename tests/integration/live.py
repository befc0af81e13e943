"""A live ShopAssist server (API + UI) on loopback for tests, and a tiny HTTP client."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from assistant.config import Settings
from assistant.llm.vllm_server import free_port


@contextmanager
def live_server(store, runtime, **settings):
    """The real app (API + UI) on a free loopback port, in a thread."""
    import uvicorn

    from assistant.server.app import create_app
    from assistant.server.service import Service
    from ui.app import mount_ui

    cfg = Settings(data_dir=store.config.data_dir, **settings)
    service = Service(cfg, store, runtime)
    service.engine.today = None
    app = create_app(service)
    mount_ui(app, service)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", service
    finally:
        server.should_exit = True
        thread.join(10)


def call(url, method="GET", body=None, key=None, raw=None):
    """(status, JSON body, headers) of a real HTTP request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), dict(err.headers)
