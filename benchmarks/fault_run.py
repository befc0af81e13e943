"""Faults against the real `shopassist serve` and its managed vLLM; does anything outlive serve?

1. SIGSTOP of the vLLM API server (hung: alive, not answering): serve's supervisor must stop
   it and start a new engine; seconds until an answer is whole (not degraded) again.
2. SIGTERM of serve (a service manager, `docker stop`): seconds until no vLLM process is
   left; then a new serve on the same ports must get a healthy engine and whole answers.
3. SIGKILL of serve: the same.
4. SIGKILL of serve while vLLM is still loading its engine (vLLM ignores SIGTERM then).
Orphans are counted by the marker every managed vLLM process carries in its environment and
by the process groups of the API servers seen. Several vLLM starts: about 10 minutes on 2 cores.
Usage: python benchmarks/fault_run.py [--data-dir DIR] [--model-cache DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import REPO, table

from assistant.llm.processes import group_processes, server_processes
from assistant.llm.vllm_server import free_port

QUESTION = "a gift for a coffee lover under £40"
START_S, GONE_S = 900.0, 60.0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Serve:
    def __init__(self, port: int, vport: int, env: dict[str, str], log: Path) -> None:
        self.port, self.vport, self.url = port, vport, f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.groups: set[int] = set()

    def api_server(self) -> int | None:
        """The vLLM API server's pid (the engine core and workers rename themselves)."""
        for pid in server_processes(self.vport):
            if "vllm.entrypoints.openai.api_server" in cmdline(pid):
                self.groups.add(pid)
                return pid
        return None

    def engine_ok(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=10) as resp:
                engine = json.loads(resp.read()).get("engine", {})
        except (OSError, ValueError):
            return False
        return engine.get("llm") == "ok" and engine.get("backend") == "vllm"

    def wait_engine(self, timeout_s: float = START_S, not_pid: int | None = None) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            pid = self.api_server()
            if pid is not None and pid != not_pid and self.engine_ok():
                return True
            time.sleep(1)
        return False

    def answer_whole(self) -> bool:
        body = {"model": "shopassist", "messages": [{"role": "user", "content": QUESTION}]}
        req = urllib.request.Request(
            self.url + "/v1/chat/completions", json.dumps(body).encode(), method="POST"
        )
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                doc = json.loads(resp.read())
        except (OSError, ValueError):
            return False
        text = doc["choices"][0]["message"]["content"].strip()
        return bool(text) and not doc["shopassist"]["degraded"]

    def left(self) -> list[int]:
        """Every process of this serve's vLLM servers still alive."""
        pids = set(server_processes(self.vport))
        for pgid in self.groups:
            pids |= set(group_processes(pgid))
        return sorted(pids)

    def wait_gone(self) -> tuple[int, float]:
        t0 = time.monotonic()
        while (left := self.left()) and time.monotonic() - t0 < GONE_S:
            time.sleep(0.25)
        return len(left), time.monotonic() - t0

    def kill_all(self) -> None:
        """After a failure: serve's session and whole vLLM process groups (killing an API
        server alone would leave its engine core and worker running)."""
        groups = {self.proc.pid} | self.groups
        for pid in self.left():
            with contextlib.suppress(ProcessLookupError):
                groups.add(os.getpgid(pid))
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)


def yes(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "no")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="store to serve (default: a new demo store)")
    ap.add_argument("--model-cache", type=Path, default=REPO / ".cache" / "model-cache")
    args = ap.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="fault-run-"))
    port, vport = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
    env |= {"SHOPASSIST_DATA_DIR": str(data_dir), "SHOPASSIST_MODEL_CACHE": str(args.model_cache),
            "SHOPASSIST_VLLM_PORT": str(vport), "SHOPASSIST_VLLM_KVCACHE_GIB": "1",
            "SHOPASSIST_VLLM_STARTUP_TIMEOUT_S": "600", "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(REPO)}  # fmt: skip
    log = data_dir / "fault-run-serve.log"
    print(f"data dir {data_dir}; serve :{port}, vLLM :{vport}; serve log {log}", file=sys.stderr)
    rows, serves = [], []

    def start() -> Serve:
        serve = Serve(port, vport, env, log)
        serves.append(serve)
        return serve

    try:
        serve = start()
        if not serve.wait_engine():
            sys.exit(f"serve did not get a healthy engine; see {log}")
        print("engine up; faults begin", file=sys.stderr)

        # 1. hung engine
        old = serve.api_server()
        assert old is not None
        os.kill(old, signal.SIGSTOP)
        t0 = time.monotonic()
        restarted = serve.wait_engine(600, not_pid=old)
        whole = restarted and serve.answer_whole()
        rows.append({"fault": "SIGSTOP of vLLM", "orphans left": len(group_processes(old)),
                     "engine restarted": yes(restarted), "answers whole again": yes(whole),
                     "cleanup s": "—", "until whole s": round(time.monotonic() - t0, 1)})  # fmt: skip

        # 2. and 3. serve ended by SIGTERM, then by SIGKILL; each time a new serve must recover
        for sig in (signal.SIGTERM, signal.SIGKILL):
            serve.api_server()
            os.kill(serve.proc.pid, sig)
            orphans, took = serve.wait_gone()
            t0 = time.monotonic()
            serve = start()
            restarted = serve.wait_engine()
            whole = restarted and serve.answer_whole()
            rows.append({"fault": f"{sig.name} of serve", "orphans left": orphans,
                         "engine restarted": yes(restarted), "answers whole again": yes(whole),
                         "cleanup s": round(took, 1),
                         "until whole s": round(time.monotonic() - t0, 1)})  # fmt: skip

        # 4. serve killed while vLLM loads its engine
        os.kill(serve.proc.pid, signal.SIGTERM)
        serve.proc.wait(timeout=120)
        serve.wait_gone()
        serve = start()
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and not any(
            "EngineCore" in cmdline(p) for p in server_processes(vport)
        ):
            time.sleep(0.5)
        serve.api_server()
        time.sleep(20)  # well into the engine's load (~60-90 s here), not yet healthy
        loading = not serve.engine_ok()
        os.kill(serve.proc.pid, signal.SIGKILL)
        orphans, took = serve.wait_gone()
        rows.append({"fault": "SIGKILL of serve, engine loading" + ("" if loading else " (was up)"),
                     "orphans left": orphans, "engine restarted": "—",
                     "answers whole again": "—", "cleanup s": round(took, 1),
                     "until whole s": "—"})  # fmt: skip
    finally:
        for serve in serves:
            serve.kill_all()
    print(table(rows))


if __name__ == "__main__":
    main()
