"""A managed vLLM server's process group: started in a session of its own, watched by a reaper
that ends it if we die, ended with SIGTERM, then SIGKILL for whatever outlives the grace; and
the tail of the log its output goes to."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from assistant.llm.processes import (
    OWNER_ENV,
    REAPER_NAME,
    REAPER_SCRIPT,
    die_with_parent,
    group_processes,
)

log = logging.getLogger(__name__)


def spawn_group(cmd: Sequence[str], env: Mapping[str, str], out: IO[bytes]) -> subprocess.Popen:
    """Start `cmd` as the leader of a new process group, its output to `out`."""
    return subprocess.Popen(
        cmd,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # its own process group: stop() ends the engine workers too
        preexec_fn=die_with_parent(os.getpid()),  # SIGTERM when we die: see there
    )


def start_reaper(
    pgid: int, *, host: str, port: int | None, kill_timeout_s: float, stderr: IO[bytes] | None
) -> tuple[subprocess.Popen[bytes], int] | None:
    """Start the watcher that ends process group `pgid` once this process is gone: the reaper
    and the pipe end whose closing wakes it, or None when it could not start."""
    read_fd, write_fd = os.pipe()
    args = [REAPER_NAME, str(pgid), str(read_fd), str(kill_timeout_s), str(port)]
    try:
        reaper = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", REAPER_SCRIPT, *args],
            pass_fds=(read_fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr or subprocess.DEVNULL,
            env={OWNER_ENV: f"{host}:{port}"},
            start_new_session=True,  # a signal to our process group must not reach it
        )
    except OSError as exc:
        os.close(write_fd)
        log.warning("no reaper for the vLLM server (%s); PR_SET_PDEATHSIG only", exc)
        return None
    finally:
        os.close(read_fd)
    return reaper, write_fd


def end_reaper(reaper: subprocess.Popen[bytes] | None, fd: int | None) -> None:
    """Let the reaper go: closing its pipe wakes it; the group is gone, so it just exits."""
    if fd is not None:
        os.close(fd)
    if reaper is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            reaper.wait(timeout=5)


def end_group(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """End server process `proc` and everything in its process group: SIGTERM (and SIGCONT:
    a stopped process acts on nothing else), SIGKILL for whatever is left after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    if proc.poll() is None or group_processes(proc.pid):
        signal_group(proc, signal.SIGTERM)
        signal_group(proc, signal.SIGCONT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        while group_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)  # the engine core and workers shut down after the API server
    if proc.poll() is None or group_processes(proc.pid):
        log.warning("vLLM (pid %d) did not stop within %.0f s; killing it", proc.pid, timeout_s)
        signal_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while group_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the group start_new_session made for `proc`: only our processes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def read_log_tail(path: Path | None, offset: int, lines: int = 40) -> str:
    """The last `lines` lines of the log at `path` from `offset` on."""
    if path is None or not path.exists():
        return "(no log)"
    with path.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])
