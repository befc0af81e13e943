"""The supervisor of a managed vLLM server: starts its process group with a log, waits until it
answers /health, restarts it when it exits or hangs (with backoff), and stops it."""

from __future__ import annotations

import atexit
import contextlib
import logging
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Protocol

from assistant.llm.vllm_group import (
    end_group,
    end_reaper,
    read_log_tail,
    spawn_group,
    start_reaper,
)

log = logging.getLogger(__name__)


class VLLMStartError(RuntimeError):
    """The vLLM server did not become healthy (not installed, died, timed out, unreachable)."""


class Managed(Protocol):
    """What the supervisor reads of the server it runs (a managed `VLLMServer`)."""

    host: str
    port: int | None
    log_path: Path | None
    startup_timeout_s: float
    health_interval_s: float
    health_timeout_s: float
    hang_after_s: float
    backoff_s: float
    max_backoff_s: float
    healthy_reset_s: float
    kill_timeout_s: float

    @property
    def base_url(self) -> str: ...

    def command(self) -> list[str]: ...

    def environment(self) -> dict[str, str]: ...

    def is_healthy(self, timeout_s: float = 2.0) -> bool: ...


class Supervisor:
    """The processes of one managed server (see `VLLMServer`): started, watched, restarted,
    stopped; the server's settings are read when used."""

    def __init__(self, server: Managed) -> None:
        self.server = server
        self.restarts = 0  # since the server was made; not a limit
        self._backoff = server.backoff_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._reaper: subprocess.Popen[bytes] | None = None
        self._reaper_fd: int | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0
        self._stopping = threading.Event()
        self._lock = threading.RLock()
        self._watchdog: threading.Thread | None = None

    def start(self, *, supervise: bool = True) -> None:
        """Start the server's processes and wait until /health answers; then watch them in a
        thread of their own when `supervise`."""
        with self._lock:
            self._stopping.clear()
            self._backoff = self.server.backoff_s
            self._spawn()
        try:
            self._wait_healthy()
        except BaseException:  # not ready, or interrupted (Ctrl-C, SIGTERM): leave nothing behind
            self.stop()
            raise
        if supervise and self._watchdog is None:
            self._watchdog = threading.Thread(
                target=self._supervise, daemon=True, name="vllm-watch"
            )
            self._watchdog.start()

    def _spawn(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        server = self.server
        server.log_path = (
            server.log_path or Path(tempfile.gettempdir()) / f"shopassist-vllm-{server.port}.log"
        )
        server.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = server.log_path.open("ab")
        self._log_offset = self._log.tell()
        cmd = server.command()
        self._log.write(f"\n=== shopassist: {' '.join(cmd)}\n".encode())
        self._log.flush()
        log.info("starting vLLM on %s (log: %s)", server.base_url, server.log_path)
        self._proc = spawn_group(cmd, server.environment(), self._log)
        reaper = start_reaper(
            self._proc.pid,
            host=server.host,
            port=server.port,
            kill_timeout_s=server.kill_timeout_s,
            stderr=self._log,
        )
        if reaper is not None:
            self._reaper, self._reaper_fd = reaper
        atexit.unregister(self.stop)
        atexit.register(self.stop)

    def _end_reaper(self) -> None:
        fd, self._reaper_fd = self._reaper_fd, None
        end_reaper(self._reaper, fd)
        self._reaper = None

    def _end(self, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
        """End server process `proc` and its process group (see `end_group`); then its reaper."""
        end_group(proc, timeout_s)
        self._end_reaper()

    def _wait_healthy(self) -> None:
        server = self.server
        deadline = time.monotonic() + server.startup_timeout_s
        while time.monotonic() < deadline:
            proc = self._proc
            if proc is None or self._stopping.is_set():
                msg = "vLLM server was stopped while starting."
                raise VLLMStartError(msg)
            if proc.poll() is not None:
                msg = (
                    f"vLLM server exited with code {proc.returncode} before it was ready "
                    f"(log: {server.log_path}). Last log lines:\n{self.log_tail()}"
                )
                raise VLLMStartError(msg)
            if server.is_healthy():
                log.info("vLLM ready on %s", server.base_url)
                return
            time.sleep(0.5)
        msg = (
            f"vLLM server not healthy after {server.startup_timeout_s:.0f} s "
            f"(raise SHOPASSIST_VLLM_STARTUP_TIMEOUT_S?; log: {server.log_path}). "
            f"Last log lines:\n{self.log_tail()}"
        )
        raise VLLMStartError(msg)

    def _supervise(self) -> None:
        """Keep the managed server answering. Restart it when it exits, or when it is alive but
        has not answered /health for `hang_after_s` over at least 3 checks in a row (hung,
        stopped, deadlocked). Restarts wait backoff_s, then twice as long each time up to
        max_backoff_s; the wait is back to backoff_s once the server has stayed healthy for
        healthy_reset_s. There is no limit on the number of restarts."""
        server = self.server
        failures, last_ok, healthy_since = 0, time.monotonic(), time.monotonic()
        while not self._stopping.wait(server.health_interval_s):
            try:
                proc = self._proc
                if proc is None:
                    continue
                if proc.poll() is not None:
                    self._restart(f"exited with code {proc.returncode}")
                elif server.is_healthy(server.health_timeout_s):
                    failures, last_ok = 0, time.monotonic()
                    healthy_since = healthy_since or last_ok
                    if last_ok - healthy_since >= server.healthy_reset_s:
                        self._backoff = server.backoff_s
                    continue
                else:
                    failures, healthy_since = failures + 1, None
                    silent = time.monotonic() - last_ok
                    if failures < 3 or silent < server.hang_after_s:
                        continue
                    self._restart(f"has not answered /health for {silent:.0f} s")
                failures, last_ok, healthy_since = 0, time.monotonic(), None
            except Exception:  # the watch must go on whatever one round ran into
                log.exception("vLLM supervisor: unexpected error; still watching")

    def _restart(self, reason: str) -> None:
        """Supervisor thread: end the server (all its processes), wait the backoff, start anew."""
        delay, self._backoff = self._backoff, min(self._backoff * 2, self.server.max_backoff_s)
        self.restarts += 1
        log.warning(
            "vLLM on %s %s; restart %d in %.0f s",
            self.server.base_url,
            reason,
            self.restarts,
            delay,
        )
        with self._lock:
            proc = self._proc
            if proc is None or self._stopping.is_set():
                return
            self._end(proc, self.server.kill_timeout_s)
            self._close_log()
        if self._stopping.wait(delay):
            return
        with self._lock:
            if self._stopping.is_set():
                return
            self._spawn()
        try:
            self._wait_healthy()
        except VLLMStartError as exc:  # the next round sees it dead or silent and tries again
            log.error("vLLM restart %d failed: %s", self.restarts, exc)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server's processes (SIGTERM, SIGKILL after `timeout_s`) and the watch."""
        self._stopping.set()
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                self._end(proc, timeout_s)
            self._end_reaper()
            self._close_log()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=self.server.health_timeout_s + 5)
        self._watchdog = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def pid(self) -> int | None:
        """Process id of the server, while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines this start wrote to the server log."""
        return read_log_tail(self.server.log_path, self._log_offset, lines)
