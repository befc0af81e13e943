"""Admin write routes: the catalog and bulk events, as `shopassist ingest` sends them when a
server holds the store (one writer: the CLI writes through the server, never beside it)."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from assistant.server.principals import Principal
from assistant.server.protocol import AdminEvents, AdminProducts


def add_admin_routes(app: FastAPI, service, caller, need) -> None:
    """`/v1/admin/products` (upsert/delete, and the live ids) and `/v1/admin/events` on `app`."""

    @app.post("/v1/admin/products")
    async def admin_products(body: AdminProducts, who: Principal = Depends(caller)):
        need(who, "admin")
        return await run_in_threadpool(service.admin_products, body.upsert, body.delete)

    @app.get("/v1/admin/products/ids")
    async def admin_product_ids(who: Principal = Depends(caller)):
        """Every live product id (what `ingest products --delete-missing` compares with)."""
        need(who, "admin")
        ids = await run_in_threadpool(service.store.index.live_ids)
        return {"ids": ids, "count": len(ids)}

    @app.post("/v1/admin/events")
    async def admin_events(body: AdminEvents, who: Principal = Depends(caller)):
        """Normalized events stored as a file ingest stores them; counts, unknown products, and
        which of `check_forgotten` are forgotten users."""
        need(who, "admin")
        records = [e.model_dump() for e in body.events]
        return await run_in_threadpool(service.admin_events, records, body.check_forgotten)
