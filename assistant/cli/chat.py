"""`shopassist ask` and `shopassist chat`: the assistant in the terminal.

When `shopassist serve` runs on this data dir (found as the write commands find it, or named with
`--server`), both ask it over HTTP: no second store, embedder or LLM engine to start, the answer in
about a second. Otherwise (`--local`, or no server) they build an engine here."""

from __future__ import annotations

import sys

import typer

from assistant.cli.common import emit_json, fail, open_store_or_exit, settings
from assistant.cli.remote import KEY_ENV, ServerError, find_server

ServerOpt = typer.Option(
    None,
    "--server",
    help="Ask the ShopAssist server at this URL. Default: the server on SHOPASSIST_SERVE_HOST/PORT "
    "when it holds this data dir's Chroma folder, else an engine here.",
)
LocalOpt = typer.Option(False, "--local", help="Answer here, without looking for a server.")
KeyOpt = typer.Option(
    None, "--key", envvar=KEY_ENV, help="API key for a server with SHOPASSIST_API_KEYS."
)
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
    server: str = ServerOpt,
    local: bool = LocalOpt,
    key: str = KeyOpt,
) -> None:
    """One grounded answer: intent, constraints, cards, citations, timings."""
    turn = [{"role": "user", "content": message}]
    remote = _server(backend, server, local, key)
    if remote is not None:
        doc = _ask_server(remote, turn, user)
    else:
        engine, runtime = _engine(backend)
        try:
            doc = engine.answer(turn, user).to_json()
        finally:
            if runtime is not None:
                runtime.close()
    if as_json:
        emit_json(doc)
        return
    typer.echo(doc["answer"])
    flags = [f"intent {doc['intent']}"] + (["degraded"] if doc["degraded"] else [])
    flags += [f"via {doc['via']}"] if "via" in doc else []
    typer.echo(f"\n[{', '.join(flags)}; {doc['timings'].get('total', 0):.2f} s]", err=True)


def _server(backend: str | None, server: str | None, local: bool, key: str | None):
    """The running server to ask, or None to answer here (a backend named means here)."""
    if backend and not server:
        return None
    return find_server(server, local, key)


def _ask_server(remote, messages: list[dict], user: str | None) -> dict:
    """The `ask --json` document for the conversation, from the server's chat route."""
    import json

    body = {"model": "shopassist", "messages": messages, "response_format": {"type": "json_object"}}
    if user:
        body["user"] = user
    try:
        reply = remote.call("POST", "/v1/chat/completions", body)
    except ServerError as exc:
        fail(str(exc))
    return {**json.loads(reply["choices"][0]["message"]["content"]), "via": remote.url}


def chat(
    user: str = typer.Option(None, "--user", help="The shopper's user id."),
    backend: str = typer.Option(None, "--backend", help=BACKEND_HELP),
    server: str = ServerOpt,
    local: bool = LocalOpt,
    key: str = KeyOpt,
) -> None:
    """A multi-turn conversation in the terminal (empty line or Ctrl-D to quit)."""
    remote = _server(backend, server, local, key)
    if remote is not None:
        typer.echo(f"(asking the server at {remote.url})", err=True)
    engine, runtime = _engine(backend) if remote is None else (None, None)
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
            answer = _say(engine, remote, messages, user)
            messages.append({"role": "assistant", "content": answer})
    finally:
        if runtime is not None:
            runtime.close()


def _say(engine, remote, messages: list[dict], user: str | None) -> str:
    """Write one answer as it comes (the server's whole, at once); return its text."""
    from assistant.turn.engine_result import TurnResult

    if remote is not None:
        doc = _ask_server(remote, messages, user)
        sys.stdout.write(doc["answer"] + "\n")
        if doc["degraded"]:
            sys.stdout.write("(degraded: the model did not answer)\n")
        return doc["answer"]
    answer = ""
    for piece in engine.stream(messages, user):
        if isinstance(piece, TurnResult):
            answer = piece.answer
            if piece.degraded:
                sys.stdout.write("(degraded: the model did not answer)\n")
        else:
            sys.stdout.write(piece)
            sys.stdout.flush()
    return answer
