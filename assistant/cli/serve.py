"""`shopassist serve` (the main job) and `shopassist forget-user`."""

from __future__ import annotations

import logging
import signal
import threading

import typer

from assistant.cli.common import emit_json, open_store_or_exit, settings
from assistant.cli.engine_start import BackgroundEngine
from assistant.cli.remote import KeyOpt, LocalOpt, ServerOpt, find_server

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("forget-user")(forget_user)


def serve(
    host: str = typer.Option(
        None,
        help="Interface to bind (needs API keys unless loopback) [default: SHOPASSIST_SERVE_HOST "
        "or 127.0.0.1].",
    ),
    port: int = typer.Option(
        None,
        help="Port for the UI (/) and the API (/v1) [default: SHOPASSIST_SERVE_PORT or 7860].",
    ),
    backend: str = typer.Option(None, help="LLM backend override: vllm or transformers."),
) -> None:
    """Serve the web UI and the OpenAI-compatible API; prepares the demo store on first run."""
    import uvicorn

    from assistant.server.app import create_app
    from assistant.server.service import Service
    from retrieval.ingest.seed import prepare_demo
    from ui.app import mount_ui

    cfg = settings()
    host, port = host or cfg.serve_host, port or cfg.serve_port
    if not cfg.api_keys and host not in LOOPBACK:
        typer.echo(
            f"no API keys configured (SHOPASSIST_API_KEYS): binding to 127.0.0.1, not {host}",
            err=True,
        )
        host = "127.0.0.1"
    elif not cfg.api_keys:
        typer.echo("no API keys configured: serving on loopback only, without auth", err=True)
    _exit_cleanly_on_sigterm()
    logging.basicConfig(  # plain log lines (before any library installs its own handler)
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = None
    try:
        store = open_store_or_exit()
        if len(store.index) == 0:
            typer.echo("first run: preparing the demo store…", err=True)
            prepare_demo(store, progress=True)
        service = Service(cfg, store, None)
        typer.echo("preparing the model and starting the LLM engine in the background…", err=True)
        engine = BackgroundEngine(cfg, backend, service).start()
        threading.Thread(
            target=service.engine.chinese.warm, name="warm-chinese", daemon=True
        ).start()
        app = create_app(service)
        mount_ui(app, service)
        typer.echo(f"ShopAssist on http://{host}:{port}/  (API: /v1, health: /healthz; template "
                   "answers until the LLM engine is ready)", err=True)  # fmt: skip
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if engine is not None:
            typer.echo("stopping the LLM engine…", err=True)
            engine.close()


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a service manager, `docker stop`) ends serve like Ctrl-C: uvicorn shuts down,
    then `serve`'s finally stops the vLLM engine, and the exit code is 0. Without this handler
    uvicorn, once shut down, re-raises the SIGTERM it caught, and its default action would end
    the process there, before the engine is stopped. A SIGTERM before uvicorn runs (demo store,
    engine start) unwinds the same way; a second SIGTERM does not interrupt the shutdown."""

    def stop(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        typer.echo(f"{signal.Signals(signum).name}: shutting down", err=True)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def forget_user(
    user_id: str = typer.Argument(..., help="The user to forget."),
    server: str = ServerOpt,
    local: bool = LocalOpt,
    key: str = KeyOpt,
) -> None:
    """Delete a user's events, history documents, feedback and tickets (orders are kept).
    Through a running server when there is one (DELETE /v1/users/USER)."""
    from assistant.desk.privacy import forget_user as forget

    if (target := find_server(server, local, key)) is not None:
        from assistant.cli import via_server

        emit_json(via_server.forget(target, user_id))
        return
    emit_json(forget(open_store_or_exit(), user_id))
