"""The Agent tab: the support desk (ticket table, one ticket with its customer's context, a
drafted reply to edit and send), and the Shop tab's inbox of agent replies.

Staff only: every handler checks the signed-in principal's role on the server (the tab is also
hidden from shoppers, but hiding is not the guarantee). Customer and product text is untrusted:
it is shown as plain text (tables, chat) or as Markdown escaped character by character, never as
markup of its own.
"""

from __future__ import annotations

import html
import string
from datetime import UTC, datetime

import gradio as gr
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.desk.replies import (
    TicketClosed,
    draft_texts,
    send_reply,
    ticket_view,
    user_messages,
)
from assistant.desk.support import list_tickets, set_ticket_status, user_orders
from assistant.prompts import price_text
from assistant.server.protocol import MAX_DRAFT_CHARS, MAX_MESSAGE_CHARS, ReplyIn, describe_errors
from assistant.server.service import QueueFull

PAGE = 10  # tickets a page
STATES = ["open", "resolved", "closed", "all"]
TABLE = ["id", "customer", "reason", "age", "status", "last message"]
ORDERS = ["order", "item", "status", "ordered", "delivered"]
ROLES = {"user": "Customer", "agent": "Agent", "assistant": "Assistant (as the client sent it, unverified)"}  # fmt: skip
INBOX_MAX = 20  # agent replies put into a fresh chat at most (all of them: GET …/messages)
NO_MATH: list = []  # no LaTeX: "$…$" in customer text stays text
_PUNCT = set(string.punctuation) - set("&<>\"'")


def md(text) -> str:
    """Untrusted text as Markdown that renders as exactly that text: HTML characters become
    entities, every other ASCII punctuation mark is backslash-escaped (no links, images,
    emphasis, headings or lists), and line breaks stay line breaks."""
    out = [html.escape(c) if c in "&<>\"'" else "\\" + c if c in _PUNCT else c for c in str(text)]
    return "".join(out).replace("\r", "").replace("\n", "  \n")


def age(created_at: str, now: datetime | None = None) -> str:
    """'12 min', '3 h', '2 d' since an ISO time (UTC, as tickets store it)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    minutes = max(int((now - datetime.fromisoformat(created_at)).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} d"


def _frame(rows: list[list[str]], headers: list[str]):
    import pandas as pd

    return pd.DataFrame(rows, columns=headers, dtype=str)


def _short(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def ticket_rows(tickets: list[dict], now: datetime | None = None) -> list[list[str]]:
    """The ticket table's rows (plain text cells)."""
    rows = []
    for t in tickets:
        last = t["transcript"][-1] if t["transcript"] else None
        said = (
            f"{ROLES.get(last['role'], last['role']).split(' ')[0]}: {last['content']}"
            if last
            else ""
        )
        rows.append([str(t["ticket_id"]), t["user_id"] or "(anonymous)", t["reason"],
                     age(t["created_at"], now), t["status"], _short(said)])  # fmt: skip
    return rows


def transcript_md(ticket: dict) -> str:
    """The conversation as readable Markdown: who said it, then what (escaped)."""
    who = md(ticket["user_id"] or "an anonymous shopper")
    head = f"**Ticket {ticket['ticket_id']}** · {who} · {md(ticket['status'])}"
    turns = [f"**{md(ROLES.get(t['role'], t['role']))}:** {md(t['content'])}"
             for t in ticket["transcript"]]  # fmt: skip
    return "\n\n".join([head, *turns] if turns else [head, "*No messages.*"])


def order_rows(orders: list[dict]) -> list[list[str]]:
    return [[o["order_id"], f"{o['quantity']} × {_short(o['title'], 40)}", o["status"], o["ordered_at"] or "",
             o["delivered_at"] or "—"] for o in orders]  # fmt: skip


def basket_md(basket: dict | None) -> str:
    if not basket or not basket["lines"]:
        return ""
    lines = [f"- {x['quantity']} × {md(x['title'])}"
             + (f" ({md(x['options'])})" if x["options"] else "") + " — "
             + (md(price_text(x["line_total"], x["currency"])) if x["available"] else "no longer available")
             for x in basket["lines"]]  # fmt: skip
    total = md(price_text(basket["total"], basket["currency"]))
    return f"**Basket** ({basket['item_count']} items, total {total})\n\n" + "\n".join(lines)


def citations_md(store, user_id: str | None, citations: list[dict]) -> str:
    """What the draft rests on, readable: an order's lines and dates, a policy's `file ›
    section` and its text, a product's title and price."""
    out = []
    for c in citations:
        if c["kind"] == "order" and user_id:
            lines = user_orders(store, user_id, [c["id"]])  # the customer's own orders only
            said = "; ".join(f"{x['quantity']} × {x['title']}, {x['status']}, ordered {x['ordered_at']}"
                             + (f", delivered {x['delivered_at']}" if x["delivered_at"] else "")
                             for x in lines) or "not on this customer's account"  # fmt: skip
            out.append(f"- **Order {md(c['id'])}**: {md(said)}")
        elif c["kind"] == "policy":
            got = store.collection("policies").get(
                ids=[c["id"]], include=["documents", "metadatas"]
            )
            if not got["ids"]:
                out.append(f"- **Policy** {md(c['id'])} (no longer in the store)")
                continue
            meta, body = got["metadatas"][0] or {}, got["documents"][0].split("\n\n", 1)[-1]
            where = f"{meta.get('file', '')} › {meta.get('section') or c.get('section') or ''}"
            quote = "\n".join(f"> {md(x)}" for x in body.strip().splitlines() if x.strip())
            out.append(f"- **Policy {md(where)}**\n\n{quote}\n")
        elif c["kind"] == "product":
            p = store.get_product(c["id"])
            said = (
                f"{p.title}, {price_text(p.price, p.currency)}" if p else "no longer in the catalog"
            )
            out.append(f"- **Product {md(c['id'])}**: {md(said)}")
        elif c["kind"] == "ticket":
            out.append(f"- **Ticket {md(c['id'])}**")
    return "**Sources**\n\n" + "\n".join(out) if out else "*No sources: check the facts yourself.*"


def inbox(store, user_id: str | None, history: list | None, seen: dict):
    """The chat with the agent replies this browser has not shown yet appended (as "Support
    agent: …" assistant messages), and what it has shown now."""
    if not user_id:
        return history or [], seen
    new = user_messages(store, user_id, after=seen.get(user_id, 0))
    if not new:
        return history or [], seen
    shown = [
        {"role": "assistant", "content": f"Support agent: {m['text']}"} for m in new[-INBOX_MAX:]
    ]
    return [*(history or []), *shown], {**seen, user_id: new[-1]["reply_id"]}


def desk_tab(service, who, sender):
    """The desk's components and events (call inside `with gr.Tab("Agent")`); returns the
    ticket table's loader with its inputs and outputs (for the tab's own select event).
    `who(request)` is the signed-in principal, `sender(request)` the name a reply is sent by."""
    store = service.store

    def staff(request) -> bool:
        return who(request).role in ("agent", "admin")

    with gr.Row():
        state = gr.Radio(STATES, value="open", label="Status", scale=3)
        refresh = gr.Button("Refresh", size="sm", scale=1)
        prev = gr.Button("◀ Prev", size="sm", scale=1)
        nxt = gr.Button("Next ▶", size="sm", scale=1)
    page_note = gr.Markdown(latex_delimiters=NO_MATH)
    table = gr.Dataframe(headers=TABLE, datatype="str", interactive=False, wrap=True,
                         label="Tickets (newest first; select a row to open it)",
                         elem_id="sa-desk-tickets")  # fmt: skip
    pages = gr.State(lambda: {"cursors": [None], "next": None})
    current = gr.State(None)  # {"ticket_id", "user_id", "draft"} of the open ticket
    with gr.Row():
        tid = gr.Textbox(label="Ticket id (Enter opens it)", scale=3, elem_id="sa-desk-id")
        open_btn = gr.Button("Open ticket", scale=1)
    talk = gr.Markdown(latex_delimiters=NO_MATH, elem_id="sa-desk-talk")
    with gr.Row():
        orders = gr.Dataframe(headers=ORDERS, datatype="str", interactive=False, wrap=True,
                              label="The customer's recent orders", elem_id="sa-desk-orders",
                              column_widths=["15%", "37%", "14%", "17%", "17%"], scale=3)  # fmt: skip
        basket = gr.Markdown(
            latex_delimiters=NO_MATH, elem_id="sa-desk-basket", min_width=200, visible=False
        )  # shown when the customer's basket holds something
    draft = gr.Textbox(label="Reply (a draft: edit it before sending)", lines=6, interactive=True,
                       max_length=MAX_MESSAGE_CHARS, elem_id="sa-desk-draft")  # fmt: skip
    cites = gr.Markdown(latex_delimiters=NO_MATH, elem_id="sa-desk-cites")
    with gr.Row():
        send = gr.Button("Send", variant="primary")
        send_resolve = gr.Button("Send and resolve")
        resolve = gr.Button("Resolve")
    status = gr.Markdown(elem_id="sa-desk-status", latex_delimiters=NO_MATH)

    def load_table(which: str, pg: dict, request: gr.Request):
        if not staff(request):
            return _frame([], TABLE), pg, "Agents only."
        got = list_tickets(store, None if which == "all" else which, PAGE, pg["cursors"][-1])
        pg = {**pg, "next": got["next_after"]}
        n = len(pg["cursors"])
        more = "; Next for older" if got["next_after"] is not None else ""
        return _frame(ticket_rows(got["data"]), TABLE), pg, f"Page {n}{more}."

    def first_page(which: str, request: gr.Request):
        return load_table(which, {"cursors": [None], "next": None}, request)

    def turn_page(which: str, pg: dict, request: gr.Request, step: int):
        cursors = list(pg["cursors"])
        if step > 0 and pg["next"] is not None:
            cursors.append(pg["next"])
        elif step < 0 and len(cursors) > 1:
            cursors.pop()
        return load_table(which, {**pg, "cursors": cursors}, request)

    def next_page(which: str, pg: dict, request: gr.Request):
        return turn_page(which, pg, request, 1)

    def prev_page(which: str, pg: dict, request: gr.Request):
        return turn_page(which, pg, request, -1)

    table_io = ([state, pages], [table, pages, page_note])
    state.change(first_page, [state], table_io[1])
    refresh.click(load_table, *table_io)
    nxt.click(next_page, *table_io)
    prev.click(prev_page, *table_io)

    async def open_ticket(text: str, was: dict | None, request: gr.Request):
        keep = gr.update()
        if not staff(request):
            yield keep, keep, keep, keep, keep, keep, "Agents only.", None
            return
        digits = str(text or "").strip().lstrip("#")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 10
                and 0 < int(digits) < 2**31):  # fmt: skip
            yield keep, keep, keep, keep, keep, keep, "Type a ticket number, then Enter.", was
            return
        view = await run_in_threadpool(ticket_view, store, int(digits))
        if view is None:
            yield (
                "",
                _frame([], ORDERS),
                gr.update(value="", visible=False),
                "",
                "",
                keep,
                f"No ticket {digits}.",
                None,
            )
            return
        t, uid = view["ticket"], view["ticket"]["user_id"]
        in_basket = basket_md(view["basket"])
        opened = (transcript_md(t), _frame(order_rows(view["orders"]), ORDERS),
                  gr.update(value=in_basket, visible=bool(in_basket)))  # fmt: skip
        head = f"Ticket {t['ticket_id']} ({t['status']}) from {md(uid or 'an anonymous shopper')}"
        now = {"ticket_id": t["ticket_id"], "user_id": uid, "draft": ""}  # a reply can start now
        yield *opened, "", "", str(t["ticket_id"]), f"{head}: drafting a reply…", now
        asks = draft_texts(t["transcript"])
        reply, cited = "", ""
        note = (
            "draft ready: edit it, then Send." if asks else "nothing to draft from: write a reply."
        )
        try:
            for ask in asks:
                got = await service.draft(ask, uid or "")
                reply, cited = got["draft"], citations_md(store, uid, got["citations"])
                if got["intent"] != "human_handoff":
                    break
        except QueueFull as exc:
            note = f"the assistant is busy; no draft (try again in {exc.retry_after} s)."
        except ValueError as exc:
            note = f"no draft: {md(exc)}."
        yield *opened, reply, cited, str(t["ticket_id"]), f"{head}: {note}", {**now, "draft": reply}

    opened_io = [talk, orders, basket, draft, cites, tid, status, current]
    tid.submit(open_ticket, [tid, current], opened_io)
    open_btn.click(open_ticket, [tid, current], opened_io)

    async def open_row(was: dict | None, evt: gr.SelectData, request: gr.Request):
        row = evt.row_value or []
        async for out in open_ticket(str(row[0]) if row else "", was, request):
            yield out

    table.select(open_row, [current], opened_io)

    def act(text: str, now: dict | None, which: str, pg: dict, request: gr.Request, what: str):
        keep = gr.update()

        def refused(why: str):  # the status line says why; nothing else changes
            return why, keep, keep, keep, keep, keep, keep

        if not staff(request):
            return refused("Agents only.")
        if not now:
            return refused("Open a ticket first.")
        n = now["ticket_id"]
        if what == "resolve":
            done = set_ticket_status(store, n, "resolved")
            said = f"Ticket {n} resolved." if done else f"No ticket {n} any more."
            return (
                said,
                transcript_md(done) if done else keep,
                *load_table(which, pg, request),
                keep,
                now,
            )
        try:
            body = ReplyIn(text=text or "", draft=(now["draft"] or "")[:MAX_DRAFT_CHARS],
                           resolve=what == "send_resolve")  # fmt: skip
        except ValidationError as exc:
            return refused(f"Not sent: {md(describe_errors(exc))}.")
        try:
            done = send_reply(store, n, body.text, body.draft, sender(request), body.resolve)
        except TicketClosed as exc:
            return refused(f"Not sent: {md(exc)}.")
        if done is None:
            return refused(f"Not sent: no ticket {n} any more.")
        to = md(now["user_id"] or "the anonymous shopper")
        said = f"Sent to {to} on ticket {n}" + (" and resolved it." if body.resolve else ".")
        sent = {**now, "draft": ""}  # a further reply did not start from that draft
        return said, transcript_md(done), *load_table(which, pg, request), "", sent

    def do_send(text, now, which, pg, request: gr.Request):
        return act(text, now, which, pg, request, "send")

    def do_send_resolve(text, now, which, pg, request: gr.Request):
        return act(text, now, which, pg, request, "send_resolve")

    def do_resolve(text, now, which, pg, request: gr.Request):
        return act(text, now, which, pg, request, "resolve")

    acted = [status, talk, table, pages, page_note, draft, current]
    for button, fn in ((send, do_send), (send_resolve, do_send_resolve), (resolve, do_resolve)):
        button.click(fn, [draft, current, state, pages], acted)
    return load_table, [state, pages], [table, pages, page_note]
