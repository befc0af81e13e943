"""HTTP routes for each ability (`assistant.tools.abilities`): the JSON the tools return, with the
same keys and per-user rules as the other routes (a shopper key acts only for its own user)."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Query
from starlette.concurrency import run_in_threadpool

from assistant.server.principals import Principal
from assistant.server.protocol import CompareIn, ReturnCheckIn
from assistant.tools import abilities


def add_ability_routes(app: FastAPI, service, caller, acting_user, fail) -> None:
    """Product, compare, orders, return eligibility and policy routes on `app`."""
    store = service.store

    def rules():
        return service.rules()[0]

    def today():
        return service.rules()[1]

    @app.get("/v1/products/{product_id}")
    async def get_product(product_id: str, _who: Principal = Depends(caller)):
        found = abilities.product(store, product_id)
        if found is None:
            fail(404, f"unknown product {product_id!r}", code="unknown_product")
        return found

    @app.post("/v1/compare")
    async def compare(body: CompareIn, _who: Principal = Depends(caller)):
        return await run_in_threadpool(abilities.compare, store, body.product_ids)

    @app.get("/v1/users/{user_id}/orders")
    async def orders(user_id: str, order_id: list[str] = Query(default=[], max_length=10),  # noqa: B008
                     who: Principal = Depends(caller)):  # fmt: skip
        """Status and delivery window of the user's recent orders, or of the ids named."""
        acting_user(who, user_id)
        return await run_in_threadpool(
            abilities.order_status, store, rules(), user_id, order_id, today()
        )

    @app.post("/v1/returns/eligibility")
    async def return_eligibility(body: ReturnCheckIn, who: Principal = Depends(caller)):
        user = acting_user(who, body.user_id)
        if body.order_id is not None and user is None:
            fail(400, "order_id needs user_id (whose order it is)", code="missing_user")
        if body.product_id is not None and store.get_product(body.product_id) is None:
            fail(404, f"unknown product {body.product_id!r}", code="unknown_product")
        return await run_in_threadpool(
            abilities.return_eligibility, store, rules(), user, body.order_id, body.product_id,
            body.days_since_delivery, body.opened, today(),
        )  # fmt: skip

    @app.get("/v1/policies")
    async def policies(q: str = Query(min_length=1, max_length=500), k: int = Query(3, ge=1, le=10),
                       _who: Principal = Depends(caller)):  # fmt: skip
        return await run_in_threadpool(abilities.policy_lookup, store, q, k)
