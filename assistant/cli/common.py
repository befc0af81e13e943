"""Helpers shared by CLI commands: settings, JSON output, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer


def settings():
    """Validated settings, or exit 2 with the reason on one line."""
    from pydantic import ValidationError

    from assistant.config import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        fail("invalid settings: " + "; ".join(e["msg"] for e in exc.errors()))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line reason on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")


def open_store_or_exit():
    """The configured store, or exit 2 with why it cannot be opened."""
    from retrieval.storage.store import StoreMismatchError, open_store

    cfg = settings()
    try:
        return open_store(cfg.store_config())
    except StoreMismatchError as exc:
        fail(str(exc))
