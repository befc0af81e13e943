"""The agent desk's data: a ticket with its customer's context, and the replies agents send.

A reply is stored once (table `agent_replies` in `retrieval.storage.schema`: the shopper's inbox,
and the sent text beside the draft it began as) and appended to the ticket's transcript as an
`agent` turn. Staff read any ticket; a shopper reads only the replies sent to them
(`user_messages`). A draft is made from the customer's last messages (`draft_texts`), by the desk
and by fine-tuning alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select, update

from assistant.desk.support import bounded_transcript, set_ticket_status, user_orders
from assistant.server.protocol import MAX_MESSAGE_CHARS
from retrieval.storage.schema import agent_replies, tickets

RECENT_ORDERS = 5  # orders shown beside a ticket


class TicketClosed(ValueError):
    """A reply to a closed ticket (reopen it first)."""


def _ticket_json(row) -> dict:
    out = dict(row._mapping)
    out["transcript"] = json.loads(out["transcript"])
    out["created_at"] = out["created_at"].isoformat()
    return out


def get_ticket(store, ticket_id: int) -> dict | None:
    """One ticket as `list_tickets` shows it (transcript as a list of turns), or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.ticket_id == ticket_id)).first()
    return None if row is None else _ticket_json(row)


def ticket_replies(store, ticket_id: int) -> list[dict]:
    """The replies sent on a ticket, oldest first (with their drafts and senders: staff only)."""
    query = (
        select(agent_replies)
        .where(agent_replies.c.ticket_id == ticket_id)
        .order_by(agent_replies.c.reply_id)
    )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return [
        {"reply_id": r["reply_id"], "ticket_id": r["ticket_id"], "text": r["sent"],
         "draft": r["draft"], "agent": r["agent"], "sent_at": r["sent_at"].isoformat()}
        for r in rows
    ]  # fmt: skip


def ticket_view(store, ticket_id: int) -> dict | None:
    """What an agent needs to answer a ticket: the ticket, its customer's recent orders and
    basket, and the replies already sent on it; None if there is no such ticket."""
    from retrieval.storage.basket import get_basket

    ticket = get_ticket(store, ticket_id)
    if ticket is None:
        return None
    uid = ticket["user_id"]
    return {
        "ticket": ticket,
        "orders": user_orders(store, uid, limit=RECENT_ORDERS) if uid else [],
        "basket": get_basket(store, uid).to_json() if uid else None,
        "replies": ticket_replies(store, ticket_id),
    }


def send_reply(store, ticket_id: int, text: str, draft: str, agent: str,
               resolve: bool = False) -> dict | None:  # fmt: skip
    """Store an agent's reply to the ticket's shopper and append it to the transcript (and
    resolve the ticket if asked). The ticket as stored after it, with `reply_id`; None if there
    is no such ticket; TicketClosed if it is closed."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.write_lock, store.engine.begin() as conn:
        row = conn.execute(select(tickets).where(tickets.c.ticket_id == ticket_id)).first()
        if row is None:
            return None
        turns = [*json.loads(row.transcript), {"role": "agent", "content": text}]
        done = conn.execute(
            update(tickets)
            .where(tickets.c.ticket_id == ticket_id, tickets.c.status != "closed")
            .values(transcript=json.dumps(bounded_transcript(turns), ensure_ascii=False))
        ).rowcount
        if not done:  # closed (even if another process closed it a moment ago)
            raise TicketClosed(f"ticket {ticket_id} is closed; reopen it to reply")
        reply = {"ticket_id": ticket_id, "user_id": row.user_id, "draft": draft or "",
                 "sent": text, "agent": agent, "sent_at": now}  # fmt: skip
        reply_id = int(conn.execute(agent_replies.insert(), [reply]).inserted_primary_key[0])
    out = set_ticket_status(store, ticket_id, "resolved") if resolve else None
    return {**(out or get_ticket(store, ticket_id) or {}), "reply_id": reply_id}


def user_messages(store, user_id: str, after: int = 0) -> list[dict]:
    """The replies sent to a user (after reply id `after`), oldest first."""
    query = (
        select(agent_replies)
        .where(agent_replies.c.user_id == user_id, agent_replies.c.reply_id > after)
        .order_by(agent_replies.c.reply_id)
    )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return [
        {"reply_id": r["reply_id"], "ticket_id": r["ticket_id"], "text": r["sent"],
         "sent_at": r["sent_at"].isoformat()}
        for r in rows
    ]  # fmt: skip


def draft_texts(turns: list[dict], keep: int = 3) -> list[str]:
    """What to draft from, best first: the customer's last messages (up to `keep`, newest
    last), then the same without the newest (a bare "let me talk to a human" drafts nothing
    useful; the message before it usually says what it is about)."""
    said = [t["content"] for t in turns if t["role"] == "user" and t["content"].strip()]
    texts = []
    for upto in (len(said), len(said) - 1):
        if upto > 0:
            texts.append("\n".join(said[max(upto - keep, 0) : upto])[-MAX_MESSAGE_CHARS:])
    return texts


def sent_replies(store) -> list[tuple[dict, list[dict], str | None]]:
    """(reply, the ticket's turns before it, the ticket's user) for every sent reply, oldest
    first (fine-tuning re-plans the draft from those turns)."""
    with store.engine.connect() as conn:
        sent = conn.execute(select(agent_replies).order_by(agent_replies.c.reply_id)).all()
        transcripts = dict(conn.execute(select(tickets.c.ticket_id, tickets.c.transcript)).all())
    used: dict[int, int] = {}  # ticket → index after the agent turn last matched
    out = []
    for r in sent:
        turns = json.loads(transcripts.get(r.ticket_id) or "[]")
        start = used.get(r.ticket_id, 0)
        at = next((i for i in range(start, len(turns)) if turns[i].get("role") == "agent"
                   and turns[i].get("content") == r.sent), None)  # fmt: skip
        if at is None:  # cut from the transcript (it keeps the newest turns): no context
            out.append((dict(r._mapping), [], r.user_id))
            continue
        used[r.ticket_id] = at + 1
        out.append((dict(r._mapping), turns[:at], r.user_id))
    return out
