"""Build the assistant for a process: store + LLM runtime + engine, from the settings."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from assistant.desk.support import ServiceRules
from assistant.turn.engine import Engine, EngineConfig

log = logging.getLogger(__name__)


def engine_config(settings) -> EngineConfig:
    """The engine's view of the settings."""
    rules = ServiceRules(
        return_window_days=settings.return_window_days,
        non_returnable_if_opened=tuple(c.lower() for c in settings.non_returnable_if_opened),
    )
    return EngineConfig(shop_name=settings.shop_name, rules=rules)


def start_llm(settings, backend: str | None = None):
    """The LLM runtime, started (see `llm_runtime`). Raises LLMUnavailable."""
    return llm_runtime(settings, backend).start()


def llm_runtime(settings, backend: str | None = None):
    """The LLM runtime to start (its `close()` also stops a start in progress). A healthy vLLM
    already on the configured port (e.g. the one `shopassist serve` runs) is reused,
    connect-only, when it serves the configured model over these very weights (the identity it
    was started with, see VLLMServer.identity); one that serves anything else is refused, never
    silently used. Else a managed server is started. Raises LLMUnavailable."""
    from assistant.llm import LLMRuntime, LLMUnavailable
    from assistant.llm.vllm_server import VLLMServer

    cfg = settings.llm_config()
    if backend:
        cfg = replace(cfg, backend=backend)
    if (
        cfg.backend == "vllm"
        and not cfg.vllm_url
        and VLLMServer.connect(cfg.server_url).is_healthy()
    ):
        problem = VLLMServer.from_config(cfg).reuse_problem()
        if problem:
            msg = (
                f"the vLLM server on port {cfg.vllm_port} serves a different model: {problem}. "
                "Stop that server, or set SHOPASSIST_VLLM_PORT to a free port."
            )
            raise LLMUnavailable(msg)
        cfg = replace(cfg, vllm_url=cfg.server_url)  # it serves these weights: connect only
    return LLMRuntime(cfg)


def build_engine(store, settings, llm=None, today: date | None = None) -> Engine:
    """An engine over `store`; `llm` None answers from templates (marked degraded). The store's
    rules file (`store.json` in the data dir, or the demo's) overrides the settings' rules."""
    config = engine_config(settings)
    for path in (
        store.config.data_dir / "store.json",
        store.config.data_dir / "demo" / "store.json",
    ):
        if path.exists():
            config.rules = ServiceRules.from_store_file(path, config.rules)
            break
    return Engine(store, llm, config, today=today)
