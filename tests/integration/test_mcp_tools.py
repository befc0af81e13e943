"""ShopAssist's tools against a live server: MCP over streamable HTTP (/mcp) and over stdio
(`shopassist mcp`), and the LangChain tools in a LangGraph agent driven by a scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError
from sqlalchemy import select

from assistant.llm.vllm_server import free_port
from assistant.tools.client import TOOLS
from assistant.tools.langchain_tools import shopassist_tools
from retrieval.storage.schema import orders

from .live import call, live_server

pytestmark = pytest.mark.integration
KEYS = "adm=admin,s1=shopper:u001"
REPO = Path(__file__).resolve().parents[2]
NAMES = {t.__name__ for t in TOOLS}


@pytest.fixture(scope="module")
def server(demo_store):
    store, _ = demo_store
    with live_server(store, None, api_keys=KEYS) as (url, service):
        yield url, service


@asynccontextmanager
async def mcp_http(url: str, key: str | None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def use(session: ClientSession, name: str, **args):
    """(ok, the JSON document or the error text) of one tool call."""
    got = await session.call_tool(name, args)
    text = got.content[0].text if got.content else ""
    return (False, text) if got.is_error else (True, got.structured_content or json.loads(text))


def _order_of(store, user: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(orders.c.order_id).where(orders.c.user_id == user)).first()[0]


def _search_ids(url: str, q: str, k: int) -> list[str]:
    status, body, _ = call(f"{url}/v1/search?q={q.replace(' ', '+')}&k={k}", key="s1")
    assert status == 200
    return [r["product_id"] for r in body["results"]]


async def call_each_tool(s: ClientSession, store) -> set[str]:
    """Every tool once with valid arguments for shopper u001 (a basket line added, its quantity
    set, then removed); each answers with the store's values. Returns the names called."""
    a, b = store.index.live_ids()[:2]
    mine = _order_of(store, "u001")
    calls = [("search_products", {"query": "mug", "max_results": 2}),
             ("get_product", {"product_id": a}), ("recommend", {"user_id": "u001", "k": 3}),
             ("compare_products", {"product_ids": [a, b]}), ("order_status", {"user_id": "u001"}),
             ("return_eligibility", {"order_id": mine}),
             ("policy_lookup", {"question": "return window", "k": 1}),
             ("add_to_basket", {"user_id": "u001", "product_id": a, "quantity": 1}),
             ("set_basket_quantity", {"user_id": "u001", "product_id": a, "quantity": 3}),
             ("get_basket", {"user_id": "u001"}),
             ("remove_from_basket", {"user_id": "u001", "product_id": a})]  # fmt: skip
    for name, args in calls:
        ok, got = await use(s, name, **args)
        assert ok, (name, got)
        if name == "get_basket":
            assert next(x for x in got["lines"] if x["product_id"] == a)["quantity"] == 3
        if name == "recommend":
            assert len(got["results"]) == 3
        if name == "get_product":
            assert got["price"] == store.get_product(a).price
    return {name for name, _ in calls}


def test_mcp_http_and_stdio_call_every_tool(server):
    url, service = server
    params = _stdio(url, "s1")

    async def scenario():
        async with mcp_http(url, "s1") as s:
            assert await call_each_tool(s, service.store) == NAMES
        async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            assert await call_each_tool(s, service.store) == NAMES

    anyio.run(scenario)


def test_mcp_http_tools_act_for_the_keys_own_user(server):
    url, service = server
    store = service.store
    a, b = store.index.live_ids()[:2]
    mine, theirs = _order_of(store, "u001"), _order_of(store, "u002")

    async def scenario():
        async with mcp_http(url, "s1") as s:
            listed = {t.name: t for t in (await s.list_tools()).tools}
            assert set(listed) == NAMES
            schema = listed["search_products"].input_schema
            assert schema["required"] == ["query"]
            assert schema["properties"]["max_results"]["minimum"] == 1
            ids = listed["compare_products"].input_schema["properties"]["product_ids"]
            assert ids["minItems"] == 2 and ids["maxItems"] == 4
            assert listed["get_basket"].annotations.read_only_hint
            assert not listed["add_to_basket"].annotations.read_only_hint

            ok, found = await use(s, "search_products", query="running shoes", max_results=3)
            assert ok and [r["product_id"] for r in found["results"]] == _search_ids(
                url, "running shoes", 3
            )
            ok, product = await use(s, "get_product", product_id=a)
            assert ok and product["title"] == store.get_product(a).title
            ok, cmp = await use(s, "compare_products", product_ids=[a, b])
            assert ok and {i["product_id"] for i in cmp["items"]} == {a, b}

            ok, own = await use(s, "order_status", user_id="u001")
            assert ok and own["orders"] and {o["user_id"] for o in own["orders"]} == {"u001"}
            ok, refused = await use(s, "order_status", user_id="u002", order_ids=[theirs])
            assert not ok and "own user's data" in refused and "HTTP 403" in refused
            assert theirs not in refused

            ok, verdict = await use(s, "return_eligibility", order_id=mine)
            assert ok and verdict["facts"][0]["order_id"] == mine and verdict["policies"]
            ok, stated = await use(s, "return_eligibility", days_since_delivery=3)
            assert not ok and "order_id" in stated and "HTTP 400" in stated
            ok, pol = await use(s, "policy_lookup", question="how long do refunds take", k=2)
            assert ok and 0 < len(pol["sections"]) <= 2

            ok, before = await use(s, "get_basket", user_id="u001")
            ok, added = await use(s, "add_to_basket", user_id="u001", product_id=a, quantity=2)
            assert ok and added["change"]["kind"]
            ok, basket = await use(s, "get_basket", user_id="u001")
            line = next(x for x in basket["lines"] if x["product_id"] == a)
            assert line["quantity"] == 2 + sum(
                x["quantity"] for x in before["lines"] if x["product_id"] == a
            )
            ok, _ = await use(s, "remove_from_basket", user_id="u001", product_id=a)
            ok, after = await use(s, "get_basket", user_id="u001")
            assert ok and all(x["product_id"] != a for x in after["lines"])
            ok, nope = await use(s, "add_to_basket", user_id="u002", product_id=a)
            assert not ok and "HTTP 403" in nope

            ok, bad = await use(s, "search_products", query="shoes", max_results=0)
            assert not ok and "max_results" in bad and "greater than or equal to 1" in bad
            ok, missing = await use(s, "get_product")
            assert not ok and "product_id" in missing and "required" in missing.lower()

    anyio.run(scenario)


def test_mcp_http_needs_a_known_key(server):
    url, _ = server
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "0"}}}  # fmt: skip
    for key in (None, "wrong"):
        status, body, headers = call(f"{url}/mcp", "POST", init, key=key)
        assert status == 401 and body["error"]["code"] == "invalid_api_key"
        assert headers.get("www-authenticate", headers.get("WWW-Authenticate")) == "Bearer"

    async def refused():
        async with mcp_http(url, None):
            pass

    with pytest.raises(ExceptionGroup) as refusal:  # the SDK client's error for the 401
        anyio.run(refused)
    assert refusal.group_contains(MCPError)


def test_mcp_http_without_keys_is_open_on_loopback_only(demo_store):
    store, _ = demo_store
    pid = store.index.live_ids()[0]
    with live_server(store, None) as (url, _):

        async def scenario():
            async with mcp_http(url, None) as s:
                ok, product = await use(s, "get_product", product_id=pid)
                assert ok and product["product_id"] == pid

        anyio.run(scenario)
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
        headers = {"Origin": "http://evil.example", "Accept": "application/json, text/event-stream"}
        refused = httpx2.post(f"{url}/mcp", json=init, headers=headers, timeout=30)
        assert refused.status_code == 403  # a web page's request to the loopback server


def _stdio(url: str, key: str) -> StdioServerParameters:
    """`shopassist mcp` over stdio against the server at `url`."""
    args = ["-m", "assistant.cli", "mcp", "--server", url, "--key", key]
    return StdioServerParameters(command=sys.executable, args=args, env=_cli_env(), cwd=str(REPO))


def _cli_env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def test_stdio_server_calls_the_live_api(server):
    url, service = server
    pid = service.store.index.live_ids()[0]
    params = _stdio(url, "s1")

    async def scenario():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} == NAMES
            ok, product = await use(s, "get_product", product_id=pid)
            assert ok and product["product_id"] == pid
            ok, refused = await use(s, "get_basket", user_id="u002")
            assert not ok and "HTTP 403" in refused

    anyio.run(scenario)


def test_stdio_server_says_when_no_server_answers(server):
    url, _ = server
    cmd = [sys.executable, "-m", "assistant.cli", "mcp"]
    for args, expect in (
        (["--server", f"http://127.0.0.1:{free_port()}"], "no ShopAssist server answers"),
        (["--server", url, "--key", "wrong"], "refused the key"),
    ):
        done = subprocess.run(
            [*cmd, *args], cwd=REPO, env=_cli_env(), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1 and expect in done.stderr and done.stdout == ""


def test_langchain_tools_over_http(server):
    url, _ = server
    tools = {t.name: t for t in shopassist_tools(url, "s1")}
    assert set(tools) == NAMES
    found = tools["search_products"].invoke({"query": "running shoes", "max_results": 3})
    assert [r["product_id"] for r in found["results"]] == _search_ids(url, "running shoes", 3)
    refused = tools["order_status"].invoke({"user_id": "u002"})
    assert isinstance(refused, str) and "own user's data" in refused
    with pytest.raises(ValidationError, match="max_results"):
        tools["search_products"].invoke({"query": "shoes", "max_results": 0})


class ScriptedModel(GenericFakeChatModel):
    """Replies with the scripted messages in turn (tool calls included); binding tools is a no-op."""

    def bind_tools(self, tools, **kwargs):
        return self


def test_langgraph_agent_calls_search_products(server):
    from langchain.agents import create_agent

    url, _ = server
    args = {"query": "running shoes", "max_results": 3}
    call_search = AIMessage("", tool_calls=[{"name": "search_products", "args": args, "id": "c1"}])
    model = ScriptedModel(messages=iter([call_search, AIMessage(content="Here are three.")]))
    agent = create_agent(model, shopassist_tools(url, "s1"))
    out = agent.invoke({"messages": [HumanMessage("running shoes please")]})
    used = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in used] == ["search_products"] and used[0].status == "success"
    results = json.loads(used[0].content)["results"]
    assert [r["product_id"] for r in results] == _search_ids(url, "running shoes", 3)
    assert out["messages"][-1].content == "Here are three."
