"""The tools' typed faces without a server: argument schemas with the HTTP routes' bounds, the
calls they make, API refusals as tool errors, and the MCP server's tool list."""

from __future__ import annotations

import anyio
import httpx
import pytest
from pydantic import ValidationError

from assistant.tools import client as tools
from assistant.tools.client import ApiError, Call, ShopAssistClient
from assistant.tools.langchain_tools import shopassist_tools
from assistant.tools.mcp_server import build_server


def test_each_tool_is_one_call_with_quoted_ids_and_no_empty_params():
    assert tools.order_status("u 1/x", ["o1"]) == Call(
        "GET", "/v1/users/u%201%2Fx/orders", {"order_id": ["o1"]}
    )
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"results": []})

    api = ShopAssistClient("http://shop/", "k1", transport=httpx.MockTransport(handler))
    assert anyio.run(api.asend, tools.search_products("shoes")) == {"results": []}
    assert str(seen[0].url) == "http://shop/v1/search?q=shoes&k=10"  # no "user=" for None
    assert seen[0].headers["authorization"] == "Bearer k1"


def test_refusals_and_unreachable_servers_are_api_errors_with_the_message():
    def handler(_request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "this key may only access its own user's data"}}
        return httpx.Response(403, json=body)

    api = ShopAssistClient(transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError, match=r"own user's data \(HTTP 403\)") as refused:
        anyio.run(api.asend, tools.get_basket("u002"))
    assert refused.value.status == 403
    with pytest.raises(ApiError, match="no ShopAssist server answers") as down:
        ShopAssistClient("http://127.0.0.1:9").send(tools.get_product("p1"))
    assert down.value.status == 0


def test_langchain_tools_validate_before_calling():
    lc = {t.name: t for t in shopassist_tools("http://127.0.0.1:9")}
    assert set(lc) == {t.__name__ for t in tools.TOOLS}
    props = lc["set_basket_quantity"].args
    assert props["quantity"]["minimum"] == 0 and props["quantity"]["maximum"] == 99
    with pytest.raises(ValidationError, match="product_ids"):
        lc["compare_products"].invoke({"product_ids": ["only-one"]})
    refused = lc["get_product"].invoke({"product_id": "p1"})  # nothing listens on port 9
    assert "no ShopAssist server answers" in refused


def test_mcp_server_lists_every_tool_with_its_schema():
    listed = {t.name: t for t in anyio.run(build_server(lambda _ctx: None).list_tools)}
    assert set(listed) == {t.__name__ for t in tools.TOOLS}
    schema = listed["return_eligibility"].input_schema
    assert "ctx" not in schema["properties"] and not schema.get("required")
    assert schema["properties"]["days_since_delivery"]["anyOf"][0]["maximum"] == 3650
    assert listed["search_products"].description.startswith("Search the live catalog")
