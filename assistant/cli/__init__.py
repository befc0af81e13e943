"""The `shopassist` command line. Each command group lives in its own module."""

from __future__ import annotations

import typer

from assistant.cli import bench as bench_cmds
from assistant.cli import chat as chat_cmds
from assistant.cli import eval as eval_cmds
from assistant.cli import evals
from assistant.cli import finetune as finetune_cmds
from assistant.cli import ingest as ingest_cmds
from assistant.cli import mcp as mcp_cmds
from assistant.cli import recommend as recommend_cmds
from assistant.cli import serve as serve_cmds
from assistant.cli import store as store_cmds

app = typer.Typer(
    help="ShopAssist: a grounded shopping assistant that runs offline on one machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest_cmds.app, name="ingest")
app.add_typer(eval_cmds.app, name="eval")
store_cmds.register(app)
recommend_cmds.register(app)
chat_cmds.register(app)
serve_cmds.register(app)
mcp_cmds.register(app)
bench_cmds.register(app)
finetune_cmds.register(app)
finetune_cmds.register_eval(eval_cmds.app)
evals.register(eval_cmds.app)


def main() -> None:
    """Console-script entry point."""
    app()
