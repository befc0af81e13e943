"""`shopassist ask` and `shopassist chat`: the assistant in the terminal."""

from __future__ import annotations

import sys

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit, settings

BACKEND_HELP = "LLM backend: vllm (default; reuses a running managed server), transformers, or none (templates)."


def register(app: typer.Typer) -> None:
    """Add `ask` and `chat` to the top-level app."""
    app.command()(ask)
    app.command()(chat)


def _engine(backend: str | None):
    from assistant.llm import LLMUnavailable
    from assistant.runtime import build_engine, start_llm

    cfg = settings()
    store = open_store_or_exit()
    if len(store.index) == 0:
        fail("the store has no products; run `shopassist demo` or ingest a catalog first")
    runtime = None
    if backend != "none":
        typer.echo("starting the LLM…", err=True)
        try:
            runtime = start_llm(cfg, backend)
        except LLMUnavailable as exc:
            typer.echo(
                f"warning: LLM unavailable, answering from templates (degraded): {exc}", err=True
            )
    return build_engine(store, cfg, runtime), runtime


def ask(
    message: str = typer.Argument(..., help="What the shopper says."),
    user: str = typer.Option(
        None, "--user", help="The shopper's user id (personalization, orders)."
    ),
    backend: str = typer.Option(None, "--backend", help=BACKEND_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """One grounded answer: intent, constraints, cards, citations, timings."""
    engine, runtime = _engine(backend)
    try:
        result = engine.answer([{"role": "user", "content": message}], user)
    finally:
        if runtime is not None:
            runtime.close()
    if as_json:
        emit_json(result.to_json())
        return
    typer.echo(result.answer)
    flags = [f"intent {result.intent}"] + (["degraded"] if result.degraded else [])
    typer.echo(f"\n[{', '.join(flags)}; {result.timings.get('total', 0):.2f} s]", err=True)


def chat(
    user: str = typer.Option(None, "--user", help="The shopper's user id."),
    backend: str = typer.Option(None, "--backend", help=BACKEND_HELP),
) -> None:
    """A multi-turn conversation in the terminal (empty line or Ctrl-D to quit)."""
    from assistant.engine import TurnResult

    engine, runtime = _engine(backend)
    messages: list[dict] = []
    try:
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                break
            if not line:
                break
            messages.append({"role": "user", "content": line})
            sys.stdout.write("assistant> ")
            answer = ""
            for piece in engine.stream(messages, user):
                if isinstance(piece, TurnResult):
                    answer = piece.answer
                    if piece.degraded:
                        sys.stdout.write("(degraded: the model did not answer)\n")
                else:
                    sys.stdout.write(piece)
                    sys.stdout.flush()
            messages.append({"role": "assistant", "content": answer})
    finally:
        if runtime is not None:
            runtime.close()
