"""HTTP routes of the agent desk: a ticket with its customer's context, replying to it, and a
shopper's inbox of replies. Staff (agent or admin keys) read and answer tickets; a shopper key
reads only its own user's messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Path
from starlette.concurrency import run_in_threadpool

from assistant.server.principals import Principal
from assistant.server.protocol import ReplyIn

TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an INTEGER column (PostgreSQL: 32 bits)


def add_desk_routes(app: FastAPI, service, caller, need, acting_user, fail) -> None:
    """`GET /v1/tickets/{id}`, `POST /v1/tickets/{id}/reply` and `GET /v1/users/{id}/messages`
    on `app` (registered before `POST /v1/tickets/{id}/{action}`, which would match `reply`)."""
    from assistant.desk import replies

    store = service.store

    @app.get("/v1/tickets/{ticket_id}")
    async def ticket(ticket_id: TicketId, who: Principal = Depends(caller)):
        """The ticket, its customer's recent orders and basket, and the replies sent on it."""
        need(who, "agent", "admin")
        found = await run_in_threadpool(replies.ticket_view, store, ticket_id)
        if found is None:
            fail(404, f"no ticket {ticket_id}", code="unknown_ticket")
        return found

    @app.post("/v1/tickets/{ticket_id}/reply")
    async def reply(ticket_id: TicketId, body: ReplyIn, who: Principal = Depends(caller)):
        """Send a reply to the ticket's shopper (their messages, and the transcript); `resolve`
        also resolves the ticket. 404: no such ticket; 409: the ticket is closed."""
        need(who, "agent", "admin")
        try:
            found = await run_in_threadpool(
                replies.send_reply, store, ticket_id, body.text, body.draft, f"{who.role} (API key)",
                body.resolve,
            )  # fmt: skip
        except replies.TicketClosed as exc:
            fail(409, str(exc), code="ticket_closed")
        if found is None:
            fail(404, f"no ticket {ticket_id}", code="unknown_ticket")
        return found

    @app.get("/v1/users/{user_id}/messages")
    async def messages(user_id: str, who: Principal = Depends(caller)):
        """The replies support agents sent this user, oldest first."""
        acting_user(who, user_id)
        return await run_in_threadpool(replies.user_messages, store, user_id)
