"""ShopAssist's tools as typed functions, each mapping its arguments to one call of the HTTP API,
and the client that makes the call. The MCP server and the LangChain tools are faces over these:
the API stays the one writer, with its keys and per-user rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from pydantic import Field

DEFAULT_SERVER = "http://127.0.0.1:7860"  # `shopassist serve`'s default address

UserId = Annotated[str, Field(min_length=1, max_length=128, description="The shopper's user id.")]
ProductId = Annotated[
    str, Field(min_length=1, max_length=128, description="A product id (from search_products).")
]
Options = Annotated[str, Field(max_length=256, description='A chosen variant, e.g. "size=M".')]


class ApiError(Exception):
    """The API refused a call (or no server answered): `status` 0 when none answered."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Call:
    """One HTTP request to the API."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


class ShopAssistClient:
    """Makes tools' calls against a ShopAssist server with one key (or a caller's own
    Authorization header); a `transport` can route them in-process (httpx.ASGITransport)."""

    def __init__(self, base_url: str = DEFAULT_SERVER, api_key: str | None = None, *,
                 authorization: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 60.0) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        auth = authorization or (f"Bearer {api_key}" if api_key else None)
        self.headers = {"Authorization": auth} if auth else {}
        self.transport, self.timeout = transport, timeout

    def _request(self, call: Call) -> dict[str, Any]:
        params = {k: v for k, v in (call.params or {}).items() if v is not None}
        return {"method": call.method, "url": self.base_url + call.path, "params": params,
                "json": call.body}  # fmt: skip

    def send(self, call: Call) -> Any:
        """The route's JSON; ApiError on a refusal or when no server answers."""
        try:
            with httpx.Client(headers=self.headers, timeout=self.timeout) as http:
                return _reply(http.request(**self._request(call)))
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    async def asend(self, call: Call) -> Any:
        """`send`, asynchronously."""
        try:
            async with httpx.AsyncClient(
                headers=self.headers, timeout=self.timeout, transport=self.transport
            ) as http:
                return _reply(await http.request(**self._request(call)))
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: Exception) -> ApiError:
        return ApiError(0, f"no ShopAssist server answers at {self.base_url} ({exc})")


def _reply(resp: httpx.Response) -> Any:
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if resp.is_success:
        return doc
    error = doc.get("error") if isinstance(doc, dict) else None
    message = error.get("message") if isinstance(error, dict) else resp.text[:300]
    raise ApiError(resp.status_code, f"{message} (HTTP {resp.status_code})")


def _seg(value: str) -> str:
    return quote(value, safe="")


# --- the tools ------------------------------------------------------------------------------
def search_products(
    query: Annotated[str, Field(min_length=1, max_length=500, description="What to look for.")],
    max_results: Annotated[int, Field(ge=1, le=100, description="How many products.")] = 10,
    user_id: Annotated[
        str | None, Field(max_length=128, description="Personalise for this shopper.")
    ] = None,
) -> Call:
    """Search the live catalog: products ranked for the query, with price, rating and why."""
    return Call("GET", "/v1/search", {"q": query, "k": max_results, "user": user_id})


def get_product(product_id: ProductId) -> Call:
    """One product with its description and attributes."""
    return Call("GET", f"/v1/products/{_seg(product_id)}")


def recommend(
    user_id: UserId, k: Annotated[int, Field(ge=1, le=100, description="How many.")] = 10
) -> Call:
    """Products recommended for a shopper from their history."""
    return Call("GET", "/v1/recommendations", {"user": user_id, "k": k})


def compare_products(
    product_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=128)]],
        Field(min_length=2, max_length=4, description="Two to four product ids."),
    ],
) -> Call:
    """How two to four products differ (price, rating, attributes) and which suits what."""
    return Call("POST", "/v1/compare", body={"product_ids": product_ids})


def order_status(
    user_id: UserId,
    order_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
        Field(max_length=10, description="Only these orders (default: the most recent three)."),
    ] = None,
) -> Call:
    """A shopper's orders: status and delivery window."""
    return Call("GET", f"/v1/users/{_seg(user_id)}/orders", {"order_id": order_ids})


def return_eligibility(
    order_id: Annotated[
        str | None, Field(min_length=1, max_length=64, description="An order of the user's.")
    ] = None,
    product_id: Annotated[
        str | None, Field(min_length=1, max_length=128, description="Or a product (stated case).")
    ] = None,
    days_since_delivery: Annotated[int | None, Field(ge=0, le=3650)] = None,
    opened: bool | None = None,
    user_id: Annotated[
        str | None, Field(max_length=128, description="Whose order it is (with order_id).")
    ] = None,
) -> Call:
    """Whether an item can be returned, citing the policy: give order_id (with user_id), or
    product_id with days_since_delivery and opened."""
    body = {"order_id": order_id, "product_id": product_id, "user_id": user_id,
            "days_since_delivery": days_since_delivery, "opened": opened}  # fmt: skip
    return Call("POST", "/v1/returns/eligibility", body=body)


def policy_lookup(
    question: Annotated[str, Field(min_length=1, max_length=500, description="The question.")],
    k: Annotated[int, Field(ge=1, le=10, description="How many sections.")] = 3,
) -> Call:
    """The store policy sections (returns, shipping, warranty…) closest to a question, cited."""
    return Call("GET", "/v1/policies", {"q": question, "k": k})


def get_basket(user_id: UserId) -> Call:
    """A shopper's basket: lines, quantities and total."""
    return Call("GET", f"/v1/users/{_seg(user_id)}/basket")


def add_to_basket(
    user_id: UserId,
    product_id: ProductId,
    quantity: Annotated[int, Field(ge=1, le=99, description="How many to add.")] = 1,
    options: Options = "",
) -> Call:
    """Add a quantity of a product to a shopper's basket; returns the basket."""
    body = {"product_id": product_id, "quantity": quantity, "options": options}
    return Call("POST", f"/v1/users/{_seg(user_id)}/basket", body=body)


def set_basket_quantity(
    user_id: UserId,
    product_id: ProductId,
    quantity: Annotated[int, Field(ge=0, le=99, description="The new quantity (0 removes).")],
    options: Options = "",
) -> Call:
    """Set the quantity of a line in a shopper's basket; returns the basket."""
    body = {"product_id": product_id, "quantity": quantity, "options": options}
    return Call("PATCH", f"/v1/users/{_seg(user_id)}/basket", body=body)


def remove_from_basket(user_id: UserId, product_id: ProductId, options: Options = "") -> Call:
    """Remove a product's line from a shopper's basket; returns the basket."""
    params = {"product_id": product_id, "options": options}
    return Call("DELETE", f"/v1/users/{_seg(user_id)}/basket", params)


TOOLS = [search_products, get_product, recommend, compare_products, order_status,
         return_eligibility, policy_lookup, get_basket, add_to_basket, set_basket_quantity,
         remove_from_basket]  # fmt: skip
WRITES = {add_to_basket, set_basket_quantity, remove_from_basket}  # the rest only read
