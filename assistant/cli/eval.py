"""`shopassist eval …`: offline evaluation reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="Evaluate recommendations, search, intents, grounding.", no_args_is_help=True)
