"""Every SQL table in one schema: events, orders, baskets, the product change log, and the desk's
tickets, feedback, answer log and agent replies (SQLite WAL by default; any SQLAlchemy URL).
`make_engine` creates them all once, when a store's engine is made. Times are naive UTC."""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)
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

# the product change log (`retrieval.storage.changes`): how each process's mirror learns of writes
product_changes = Table(
    "product_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("product_id", String(128), nullable=False),
    Column("op", String(8), nullable=False),  # "upsert" | "delete"
)

# --- the desk's records (`assistant.desk`): handoff tickets, thumbs, answers, agents' replies ---

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(128), index=True),
    Column("reason", String(64), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(), nullable=False),
    Column("transcript", Text, nullable=False),  # JSON list of {"role","content"}
)
# one open ticket per signed-in user, across processes too (anonymous tickets: NULLs differ)
ONE_OPEN_TICKET = Index(
    "one_open_ticket_per_user", tickets.c.user_id, unique=True,
    sqlite_where=tickets.c.status == "open", postgresql_where=tickets.c.status == "open",
)  # fmt: skip
feedback = Table(
    "feedback",
    metadata,
    Column("feedback_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(128), index=True, nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("rating", Integer, nullable=False),  # 1 or -1
    Column("comment", Text),
    Column("created_at", DateTime(), nullable=False),
)
# every answer ShopAssist gave, under the message id its client got (the OpenAI `id`; the Shop
# tab keeps it on the message): thumbs name it, and `finetune --with-feedback` re-plans the
# turn from `messages` and trains on `model_text` (the grounded part the model wrote)
answer_log = Table(
    "answer_log",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("user_id", String(128), index=True),  # None: an anonymous shopper
    Column("agent", Boolean, nullable=False, default=False),  # a draft for a support agent
    Column("intent", String(64), nullable=False),
    Column("messages", Text, nullable=False),  # JSON: the conversation the answer replied to
    Column("answer", Text, nullable=False),
    Column("model_text", Text, nullable=False, default=""),  # "" when code wrote all of it
    Column("created_at", DateTime(), nullable=False, index=True),
)
# the agent desk's replies: each shopper's inbox, and each sent reply beside the draft it began as
# (`shopassist eval drafts` reads the draft/sent pairs with plain SQL: keep the column names)
agent_replies = Table(
    "agent_replies",
    metadata,
    Column("reply_id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, nullable=False, index=True),
    Column("user_id", String(128), index=True),  # the ticket's shopper (None: anonymous ticket)
    Column("draft", Text, nullable=False, default=""),  # the drafted reply shown to the agent
    Column("sent", Text, nullable=False),  # what the agent sent
    Column("agent", String(160), nullable=False),  # who sent it: the staff name and role
    Column("sent_at", DateTime(), nullable=False),
)


def event_key(rec: dict) -> str:
    """Content hash of an event (the `events` key): the same event ingested twice is stored once."""
    fields = [
        rec.get(k)
        for k in ("user_id", "product_id", "event", "ts", "quantity", "rating", "query", "text")
    ]
    blob = json.dumps(fields, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


def make_engine(url: str) -> Engine:
    """An engine with every table created; SQLite gets WAL and a busy timeout so a reader never
    blocks the writer."""
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
    try:  # a store made before the index: add it (duplicates from then keep it off)
        ONE_OPEN_TICKET.create(engine, checkfirst=True)
    except IntegrityError:
        log.warning("open tickets repeat a user; one-per-user holds in this process only")
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
