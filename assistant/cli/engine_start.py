"""`shopassist serve` starts its LLM engine in the background: the UI and the API answer from the
first second (template answers marked degraded; `/healthz` says "starting", the UI "warming
up"), a progress line is printed every 10 s, and the model answers once it is ready."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import typer

log = logging.getLogger(__name__)
TICK_S = 10.0


class BackgroundEngine:
    """Starts the LLM runtime for `service` in a thread that lives as long as the engine (the
    engine's PR_SET_PDEATHSIG follows the thread that started it); `close()` stops the engine,
    also mid-start."""

    def __init__(self, cfg, backend: str | None, service) -> None:
        self.cfg, self.backend, self.service = cfg, backend, service
        self._closing = threading.Event()  # set first: a start that fails now is not retried
        self._stop = threading.Event()  # set last: the engine thread may end
        self._runtimes: list = []  # each runtime tried, started or not
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="llm-engine", daemon=True)

    def start(self) -> BackgroundEngine:
        self.service.set_starting("preparing the model and starting the LLM engine")
        self._thread.start()
        threading.Thread(target=self._tick, name="llm-engine-progress", daemon=True).start()
        return self

    def close(self) -> None:
        self._closing.set()
        for runtime in self._runtimes:  # stopped while the thread that started it still lives
            runtime.close()
        self._stop.set()

    # --- the engine thread ---------------------------------------------------------------------
    def _run(self) -> None:
        runtime = self._start_one(self.backend)
        managed_vllm = (self.backend or self.cfg.llm_backend) == "vllm" and not self.cfg.vllm_url
        if runtime is None and managed_vllm and not self._closing.is_set():
            _say("warning: falling back to the in-process transformers backend")
            self.service.set_starting("loading the model in-process (transformers)")
            runtime = self._start_one("transformers")
        if self._closing.is_set():
            return
        if runtime is None:
            _say("warning: no LLM; answers come from templates and are marked degraded")
        else:
            _say(f"LLM engine ready after {time.monotonic() - self._t0:.0f} s")
        self.service.attach_llm(runtime)
        self._stop.wait()  # stay alive while the engine runs (see the class docstring)

    def _start_one(self, backend: str | None):
        from assistant.runtime import llm_runtime

        name = backend or self.cfg.llm_backend
        try:
            runtime = llm_runtime(self.cfg, backend)
            self._runtimes.append(runtime)
            return runtime.start()
        except Exception as exc:  # noqa: BLE001 - any failure leaves template answers, said why
            if not self._closing.is_set():
                _say(f"warning: the LLM engine ({name}) did not start: {exc}")
            return None

    # --- progress ------------------------------------------------------------------------------
    def _tick(self) -> None:
        while not self._closing.wait(TICK_S) and self.service.starting is not None:
            step = self.service.starting["step"]
            last = self._engine_log_line()
            _say(
                f"… {step}: {time.monotonic() - self._t0:.0f} s"
                + (f" (vLLM: {last})" if last else "")
            )

    def _engine_log_line(self) -> str:
        server = self._runtimes[-1].server if self._runtimes else None
        path: Path | None = getattr(server, "log_path", None)
        if path is None or not path.exists():
            return ""
        with path.open("rb") as fh:
            fh.seek(max(path.stat().st_size - 4096, 0))
            lines = [
                x.strip() for x in fh.read().decode("utf-8", "replace").splitlines() if x.strip()
            ]
        return lines[-1][-160:] if lines else ""


def _say(line: str) -> None:
    typer.echo(line, err=True)
