"""ShopAssist's tools as LangChain `StructuredTool`s over the HTTP API, for LangGraph agents."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from langchain_core.tools import (
    BaseTool,
    StructuredTool,
    ToolException,
    create_schema_from_function,
)

from assistant.tools.client import DEFAULT_SERVER, TOOLS, ApiError, ShopAssistClient


def shopassist_tools(base_url: str = DEFAULT_SERVER, api_key: str | None = None) -> list[BaseTool]:
    """Every tool, calling the ShopAssist server at `base_url` with `api_key`. Arguments are
    validated (a ValidationError before any call); an API refusal reaches the model as the tool's
    answer (the API's message)."""
    client = ShopAssistClient(base_url, api_key)
    return [_tool(spec, client) for spec in TOOLS]


def _tool(spec: Callable, client: ShopAssistClient) -> StructuredTool:
    def run(**kwargs: Any) -> Any:
        try:
            return client.send(spec(**kwargs))
        except ApiError as exc:
            raise ToolException(str(exc)) from exc

    async def arun(**kwargs: Any) -> Any:
        try:
            return await client.asend(spec(**kwargs))
        except ApiError as exc:
            raise ToolException(str(exc)) from exc

    return StructuredTool.from_function(
        func=run,
        coroutine=arun,
        name=spec.__name__,
        description=inspect.getdoc(spec),
        args_schema=create_schema_from_function(spec.__name__, spec),
        handle_tool_error=True,
    )
