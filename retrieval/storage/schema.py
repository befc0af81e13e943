"""Events, orders and baskets in SQL (SQLite WAL by default; any SQLAlchemy URL). Times are naive UTC."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("event_key", String(40), primary_key=True),  # content hash: re-ingest adds nothing
    Column("user_id", String(128), nullable=False, index=True),
    Column("product_id", String(128), index=True),
    Column("event", String(16), nullable=False),
    Column("ts", DateTime(), nullable=False, index=True),
    Column("quantity", Integer),
    Column("rating", Float),
    Column("query", Text),
    Column("text", Text),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("product_id", String(128), primary_key=True),
    Column("user_id", String(128), nullable=False, index=True),
    Column("quantity", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False),
    Column("ordered_at", DateTime(), nullable=False),
    Column("delivered_at", DateTime()),
)

# a forgotten user's tombstone: rows of theirs dated up to `forgotten_at` never come back
# (re-ingesting an old file); newer activity is a returning user's and is kept
forgotten_users = Table(
    "forgotten_users",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("forgotten_at", DateTime(), nullable=False),
)

basket_lines = Table(
    "basket_lines",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("product_id", String(128), primary_key=True),
    Column("options", String(256), primary_key=True, default=""),  # chosen variant: "size=M"
    Column("quantity", Integer, nullable=False),
    Column("added_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
)

basket_changes = Table(
    "basket_changes",
    metadata,
    Column("change_key", String(64), primary_key=True),  # one user message: applied once
    Column("user_id", String(128), nullable=False, index=True),
    Column("fact", Text, nullable=False),  # the decided change (JSON), re-rendered on replay
    Column("ts", DateTime(), nullable=False),
)


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL and a busy timeout so a reader never blocks the writer."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - driver hook
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(
                "PRAGMA secure_delete=ON"
            )  # deleted rows are zeroed, not left in free pages
            cur.close()

    metadata.create_all(engine)
    return engine


def insert_new(engine_or_conn, table):
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): a row already there is kept,
    so two writers of the same row at once both succeed and it is stored once."""
    name = engine_or_conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def forgotten_before(conn, user_ids) -> dict[str, object]:
    """{user_id: forgotten_at} for those of `user_ids` that were forgotten."""
    from sqlalchemy import select

    ids = list(set(user_ids))
    found: dict[str, object] = {}
    for start in range(0, len(ids), 500):
        q = select(forgotten_users).where(forgotten_users.c.user_id.in_(ids[start : start + 500]))
        found.update({r.user_id: r.forgotten_at for r in conn.execute(q)})
    return found
