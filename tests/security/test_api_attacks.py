"""Black-box attacks on the HTTP API (issue 17, items 3 and 7): each names what a client sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.live import call, live_server

from .conftest import (
    ADMIN,
    AGENT,
    SHOPPER1,
    keyed_server,
    model_holder,
    raw_request,
    unfinished,
)

pytestmark = pytest.mark.integration

CHAT = {"model": "shopassist", "messages": [{"role": "user", "content": "hello"}]}


def _raw(url: str, method="GET", body: bytes | None = None, headers: dict | None = None):
    """(status, content type, body bytes) of a real request, whatever the body is."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers.get("content-type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("content-type", ""), err.read()


def _openai_error(content_type: str, body: bytes) -> dict:
    assert content_type.startswith("application/json"), (content_type, body[:200])
    err = json.loads(body)["error"]
    assert err["message"] and err["type"]
    return err


# --- item 3: bodies ---------------------------------------------------------------------------


def test_a_chunked_body_over_the_limit_gets_413(store):
    auth = {"Authorization": f"Bearer {SHOPPER1}", "Content-Type": "application/json"}
    with keyed_server(store) as (url, _):
        status, body, headers = raw_request(url, "POST", "/v1/events", auth, [b" " * 65536] * 64)
    assert status == 413, body[:300]
    assert _openai_error(headers.get("content-type", ""), body)["code"] == "body_too_large"


@pytest.mark.parametrize(
    "path",
    ["/v1/events", "/v1/feedback", "/v1/admin/products", "/v1/drafts", "/v1/chat/completions"],
)
def test_a_request_without_a_key_is_refused_before_its_body_is_read(store, path):
    """Headers and a first chunk, never the end of the body: the answer must not wait for it."""
    with keyed_server(store) as (url, _):
        status, body, headers = raw_request(
            url, "POST", path, {"Content-Type": "application/json"}, unfinished(b'{"user_id":'),
            timeout=10,
        )  # fmt: skip
    assert status == 401
    assert _openai_error(headers.get("content-type", ""), body)["code"] == "invalid_api_key"


# --- item 7: the smaller ones -----------------------------------------------------------------


def test_agent_keys_cannot_export_or_delete_a_user(store):
    with keyed_server(store) as (url, _):
        assert call(f"{url}/v1/users/u005/export", key=AGENT)[0] == 403
        assert call(f"{url}/v1/users/u005", "DELETE", key=AGENT)[0] == 403
        assert call(f"{url}/v1/users/u001/export", key=SHOPPER1)[0] == 200  # a shopper: self
        assert call(f"{url}/v1/users/u005", "DELETE", key=ADMIN)[0] == 200


def test_a_malformed_key_entry_stops_serve_without_echoing_the_key(tmp_path):
    env = {**os.environ, "SHOPASSIST_API_KEYS": "topsecret-4711=superuser",
           "SHOPASSIST_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "SHOPASSIST_API_KEYS" in run.stderr and "superuser" in run.stderr  # says what is wrong
    assert "topsecret-4711" not in run.stdout + run.stderr


def test_key_lookup_compares_every_key_in_constant_time(store, monkeypatch):
    import hmac

    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with keyed_server(store) as (url, _):
        assert call(f"{url}/v1/models", key="nope-not-a-key")[0] == 401
    assert len(compared) >= 4  # one constant-time comparison per configured key, no dict lookup


def test_a_null_text_part_gets_a_json_400(store):
    body = {"model": "shopassist",
            "messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]}  # fmt: skip
    with keyed_server(store) as (url, _):
        status, ctype, raw = _raw(
            f"{url}/v1/chat/completions", "POST", json.dumps(body).encode(),
            {"Authorization": f"Bearer {SHOPPER1}", "Content-Type": "application/json"},
        )  # fmt: skip
    assert status == 400
    assert "text" in _openai_error(ctype, raw)["message"]


def test_an_unexpected_failure_is_a_json_500_that_leaks_nothing(store):
    def boom(*_a, **_k):
        raise RuntimeError("secret internals /etc/passwd")

    with keyed_server(store) as (url, service):
        service.engine.answer = boom
        status, ctype, raw = _raw(
            f"{url}/v1/chat/completions", "POST", json.dumps(CHAT).encode(),
            {"Authorization": f"Bearer {SHOPPER1}", "Content-Type": "application/json"},
        )  # fmt: skip
    assert status == 500
    err = _openai_error(ctype, raw)
    assert err["type"] == "server_error" and "passwd" not in raw.decode()


def test_a_stream_that_fails_midway_ends_with_an_openai_error_event(store):
    def broken(*_a, **_k):
        yield "Here are "
        raise RuntimeError("secret internals")

    with keyed_server(store) as (url, service):
        service.engine.stream = broken
        status, ctype, raw = _raw(
            f"{url}/v1/chat/completions", "POST", json.dumps({**CHAT, "stream": True}).encode(),
            {"Authorization": f"Bearer {SHOPPER1}", "Content-Type": "application/json"},
        )  # fmt: skip
    assert status == 200 and ctype.startswith("text/event-stream")
    events = [ln[6:] for ln in raw.decode().splitlines() if ln.startswith("data: ")]
    errors = [json.loads(e)["error"] for e in events if e.startswith("{") and '"error"' in e]
    assert errors and errors[0]["type"] == "server_error", events
    assert events[-1] == "[DONE]" and "secret" not in raw.decode()


def test_building_a_profile_does_not_stall_other_requests(store, monkeypatch):
    """A slow profile (a shopper with a long history) must not hold up /healthz."""
    import retrieval.search.profile

    real = retrieval.search.profile.user_profile

    def slow_profile(*a, **k):
        time.sleep(3)
        return real(*a, **k)

    monkeypatch.setattr(retrieval.search.profile, "user_profile", slow_profile)
    with keyed_server(store) as (url, _):
        searching = threading.Thread(
            target=call, args=(f"{url}/v1/search?q=mug&user=u001",), kwargs={"key": SHOPPER1}
        )
        searching.start()
        time.sleep(0.5)
        t0 = time.perf_counter()
        assert call(f"{url}/healthz")[0] in (200, 503)
        waited = time.perf_counter() - t0
        searching.join()
    assert waited < 1.5, f"/healthz waited {waited:.1f} s behind a profile build"


class _DownRuntime:
    """An LLM runtime whose engine stopped answering."""

    class config:  # noqa: N801
        backend = "vllm"

    def is_healthy(self) -> bool:
        return False


def test_healthz_tells_the_truth_about_the_engine(store):
    with live_server(store, _DownRuntime()) as (url, _):
        status, body, _ = call(f"{url}/healthz")
    assert status == 503 and body["status"] != "ok" and body["engine"]["llm"] == "down"
    with live_server(store, None) as (url, _):
        status, body, _ = call(f"{url}/healthz")
    assert status == 200 and body["status"] == "degraded"


def test_without_keys_only_loopback_host_names_are_served(store):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not reach the API."""
    with live_server(store, None) as (url, _):
        port = url.rsplit(":", 1)[1]
        bad = _raw(f"{url}/v1/models", headers={"Host": f"evil.example:{port}"})
        good = _raw(f"{url}/v1/models", headers={"Host": f"localhost:{port}"})
    assert bad[0] in (400, 403, 421) and good[0] == 200


def test_drafts_wait_in_the_same_model_queue_as_chat(store):
    """One model slot, no queue: a draft asked while a chat turn holds the slot gets 429."""
    with keyed_server(store, model_concurrency=1, max_queue=0) as (url, service):
        holder = model_holder(url, service, 4)
        holder.start()
        time.sleep(1)
        draft = {"ticket_text": "where is my order?", "customer_id": "u001"}
        status, body, headers = call(f"{url}/v1/drafts", "POST", draft, key=AGENT)
        holder.join()
        after = call(f"{url}/v1/drafts", "POST", draft, key=AGENT)[0]
    assert status == 429 and int(headers["retry-after"]) >= 1, body
    assert after == 200  # the slot came back


def test_a_lone_surrogate_gets_a_json_400(store):
    raw = b'{"model": "shopassist", "messages": [{"role": "user", "content": "mug \\ud800"}]}'
    with keyed_server(store) as (url, _):
        status, ctype, body = _raw(
            f"{url}/v1/chat/completions", "POST", raw,
            {"Authorization": f"Bearer {SHOPPER1}", "Content-Type": "application/json"},
        )  # fmt: skip
    assert status == 400 and "Unicode" in _openai_error(ctype, body)["message"]
