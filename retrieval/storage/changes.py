"""The product change log in SQL: how every process's in-memory mirror learns of another's writes.

Each product write appends (seq, product_id, op) rows in the same database every process shares
(SQLite beside the store, or PostgreSQL when several `serve` processes share one store). A
process remembers the last seq it applied; `Store.index` asks for newer rows at most every
`SYNC_INTERVAL_S` and re-reads only those products from Chroma. The log keeps its newest `KEEP`
rows; a process further behind than that reloads the whole mirror.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from retrieval.storage.schema import product_changes

SYNC_INTERVAL_S = 0.5
KEEP = 100_000


def record(engine, product_ids: list[str], op: str) -> int:
    """Append the write of these products to the log (and trim it to its newest KEEP rows);
    returns the newest seq after it."""
    if not product_ids:
        return latest(engine)
    with engine.begin() as conn:
        conn.execute(product_changes.insert(), [{"product_id": i, "op": op} for i in product_ids])
        newest = conn.execute(select(func.max(product_changes.c.seq))).scalar_one()
        if newest > KEEP:
            conn.execute(delete(product_changes).where(product_changes.c.seq <= newest - KEEP))
    return newest


def latest(engine) -> int:
    """The newest seq in the log (0 when empty)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(product_changes.c.seq))).scalar_one() or 0


def since(engine, seen: int) -> tuple[int, dict[str, str] | None]:
    """(newest seq, {product_id: last op} after `seen}`); None for the changes when the log no
    longer reaches back to `seen` (the caller reloads everything)."""
    with engine.connect() as conn:
        newest, oldest = conn.execute(
            select(func.max(product_changes.c.seq), func.min(product_changes.c.seq))
        ).one()
        if newest is None or newest <= seen:
            return seen, {}
        if oldest > seen + 1:
            return newest, None
        rows = conn.execute(
            select(product_changes.c.product_id, product_changes.c.op)
            .where(product_changes.c.seq > seen, product_changes.c.seq <= newest)
            .order_by(product_changes.c.seq)
        )
        return newest, {pid: op for pid, op in rows}
