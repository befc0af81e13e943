"""`shopassist mcp`: ShopAssist's tools over MCP on stdio, calling a running server."""

from __future__ import annotations

import typer

from assistant.cli.common import fail
from assistant.tools.client import DEFAULT_SERVER


def register(app: typer.Typer) -> None:
    app.command()(mcp)


def mcp(
    server: str = typer.Option(
        DEFAULT_SERVER, envvar="SHOPASSIST_MCP_SERVER", help="The ShopAssist server to call."
    ),
    key: str = typer.Option(
        None, envvar="SHOPASSIST_MCP_KEY", help="API key (none for a loopback server without keys)."
    ),
) -> None:
    """Serve ShopAssist's tools over MCP on stdio (for desktop apps, IDEs and agents); each tool
    calls the API of a running `shopassist serve`, with the key's rights."""
    from assistant.tools.client import ApiError, Call, ShopAssistClient
    from assistant.tools.mcp_server import build_server

    client = ShopAssistClient(server, key)
    try:
        client.send(Call("GET", "/v1/models"))
    except ApiError as exc:
        if exc.status == 0:
            fail(f"{exc}; start one with `shopassist serve`, or pass --server URL", 1)
        fail(f"the server at {client.base_url} refused the key: {exc}", 1)
    build_server(lambda _ctx: client).run("stdio")
