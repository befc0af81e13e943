"""Gradio UI mounted at `/` on the API app: Shop chat, the Agent desk (`ui.desk`), Admin.

The UI goes through the same service gateway as the HTTP API: the same message limits, the same
model queue (a full queue says "busy, try again"), the same metrics. With API keys configured the
UI asks for a login (`ui.login`): user name = your user id (shoppers) or any name (agents,
admins), password = your API key; each login carries its own role, and a shopper only ever sees
their own data. Catalog text is shown as text: no links, images or markup from product data.
"""

from __future__ import annotations

import contextlib
import html
import os
import time
import uuid

import gradio as gr

from assistant.prompts import price_text
from assistant.server.logins import COOKIE
from assistant.server.principals import LOCAL, Principal
from assistant.server.protocol import MAX_MESSAGES
from assistant.server.service import QueueFull, Service
from assistant.turn.engine_result import TurnResult
from ui.desk import desk_tab, inbox
from ui.login import add_login_routes, signed_in

DEMO_USERS = ["u001", "u002", "u003", "u004", "u005"]
CSS = """
.sa-cards {display:flex; flex-wrap:wrap; gap:10px}
.sa-card {border:1px solid #ddd; border-radius:8px; padding:8px; width:190px; font-size:13px}
.sa-card .img {height:90px; background:#f3f3f3; border-radius:6px; display:flex;
               align-items:center; justify-content:center; color:#888; margin-bottom:6px}
.sa-card img {max-height:90px; max-width:100%}
.sa-card .price {font-weight:bold}
.sa-basket table {width:100%; border-collapse:collapse; font-size:13px}
.sa-basket td {padding:3px 6px; border-bottom:1px solid #eee}
.sa-basket .total {font-weight:bold; margin-top:6px}
"""


def cards_html(cards: list[dict]) -> str:
    """Product cards: image or placeholder, title, price, rating, the reason."""
    if not cards:
        return ""
    out = ['<div class="sa-cards">']
    for c in cards:
        img = (f'<img src="{html.escape(c["image_url"])}" alt="">' if _web_url(c.get("image_url"))
               else html.escape((c.get("category") or "product").split(">")[-1].strip()))  # fmt: skip
        rating = f" · {c['rating']:.1f}★" if c.get("rating") is not None else ""
        reason = html.escape("; ".join(c.get("reasons", [])[:2]))
        out.append(
            f'<div class="sa-card" data-product-id="{html.escape(c["product_id"])}">'
            f'<div class="img">{img}</div><div class="title">{html.escape(c["title"])}</div>'
            f'<div class="price">{price_text(c.get("price"), c.get("currency") or "GBP")}{rating}</div>'
            f'<div class="why">{reason}</div><div class="id">{html.escape(c["product_id"])}</div></div>'
        )
    return "".join(out) + "</div>"


def _web_url(url: str | None) -> bool:
    """Only http(s) images: no javascript:, data: or file: URLs from catalog data."""
    return bool(url) and url.lower().startswith(("https://", "http://"))


def product_html(p) -> str:
    """A product's detail, escaped: its description is shown as text, never as markup."""
    if p is None:
        return ""
    return (f'<div class="sa-detail"><b>{html.escape(p.title)}</b> — '
            f"{html.escape(price_text(p.price, p.currency))}<p>{html.escape(p.description or '')}</p></div>")  # fmt: skip


def basket_html(basket: dict | None) -> str:
    """The basket panel: lines, quantities, line totals and the total (or why there is none)."""
    if basket is None:
        return '<div class="sa-basket">Sign in to keep a basket.</div>'
    if not basket["lines"]:
        return '<div class="sa-basket">Your basket is empty.</div>'
    rows = []
    for x in basket["lines"]:
        name = html.escape(x["title"] + (f" ({x['options']})" if x["options"] else ""))
        cost = (price_text(x["line_total"], x["currency"]) if x["available"]
                else "no longer available")  # fmt: skip
        rows.append(
            f'<tr data-product-id="{html.escape(x["product_id"])}"><td>{x["quantity"]} ×</td>'
            f"<td>{name}</td><td>{cost}</td></tr>"
        )
    total = price_text(basket["total"], basket["currency"])
    n = basket["item_count"]
    return (f'<div class="sa-basket"><table>{"".join(rows)}</table>'
            f'<div class="total">{n} item{"s" if n != 1 else ""} · total {total}</div></div>')  # fmt: skip


def _line_choices(basket: dict | None) -> list[tuple[str, str]]:
    return [
        (f"{x['title']} ({x['options']})" if x["options"] else x["title"],
         f"{x['product_id']}|{x['options']}")
        for x in (basket or {}).get("lines", [])
    ]  # fmt: skip


def build_ui(service: Service) -> gr.Blocks:
    """The three tabs over `service`."""

    nobody = Principal("shopper", None)  # not signed in: sees nothing of anyone's

    def who(request: gr.Request | None) -> Principal:
        if not service.auth_enabled:
            return LOCAL
        login = service.logins.get(request.cookies.get(COOKIE) if request else None)
        return login.principal if login else nobody

    def shopper_id(picked: str, request: gr.Request) -> str | None:
        p = who(request)
        return p.user_id if p.role == "shopper" else picked  # signed out: None, nobody's data

    def staff_name(request: gr.Request | None) -> str:
        """Who sends a desk reply: the signed-in name and role."""
        if not service.auth_enabled:
            return "local (admin)"
        login = service.logins.get(request.cookies.get(COOKIE) if request else None)
        return login.display if login else "unknown"

    def warming_up():
        """The banner while the LLM engine starts; the timer stops once it is ready."""
        state = service.starting
        if state is None:
            return gr.update(value="", visible=False), gr.Timer(active=False)
        waited = time.time() - state["since"]
        note = (f"**Warming up** ({state['step']}, {waited:.0f} s so far): answers come from "
                "templates, with the same facts, until the model is ready.")  # fmt: skip
        return gr.update(value=note, visible=True), gr.Timer(active=True)

    with gr.Blocks(title="ShopAssist", delete_cache=(3600, 3600)) as ui:
        gr.Markdown("## ShopAssist")
        warming = gr.Markdown(visible=False, elem_id="sa-warming")
        warming_timer = gr.Timer(3.0)
        warming_timer.tick(warming_up, None, [warming, warming_timer], queue=False)
        ui.load(warming_up, None, [warming, warming_timer], queue=False)
        with gr.Tab("Shop"):
            user = gr.Dropdown(
                DEMO_USERS,
                value=DEMO_USERS[0],
                label="Signed in as (demo user)",
                allow_custom_value=True,
            )
            conversation = gr.State(lambda: uuid.uuid4().hex)  # one id per browser session
            seen = gr.State(dict)  # user id → the last agent reply shown in this chat
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Assistant", height=380, render_markdown=False)
                with gr.Column(scale=1, min_width=240):
                    gr.Markdown("**Basket**")
                    basket_box = gr.HTML(basket_html(None), elem_id="sa-basket")
                    line = gr.Dropdown([], label="Basket line", interactive=True)
                    qty = gr.Number(value=1, precision=0, minimum=0, maximum=99, label="Quantity")
                    with gr.Row():
                        set_qty = gr.Button("Set quantity", size="sm")
                        remove = gr.Button("Remove line", size="sm")
            cards = gr.HTML(elem_id="sa-cards")
            with gr.Row():
                box = gr.Textbox(
                    placeholder="e.g. a gift for a coffee lover under £30",
                    show_label=False,
                    scale=5,
                )
                send = gr.Button("Send", variant="primary", scale=1)
                check = gr.Button("Check messages", scale=1)
            opened = gr.Dropdown([], label="Open a product (records a view)", interactive=True)
            detail = gr.HTML()

            def basket_panel(basket: dict | None):
                choices = _line_choices(basket)
                return basket_html(basket), gr.update(
                    choices=choices, value=choices[0][1] if choices else None
                )

            def show_basket(picked: str, request: gr.Request):
                from retrieval.storage.basket import get_basket

                uid = shopper_id(picked, request)
                return basket_panel(get_basket(service.store, uid).to_json() if uid else None)

            def edit_line(key: str | None, quantity, picked: str, request: gr.Request, act: str):
                from assistant.turn.basket import change_line

                uid = shopper_id(picked, request)
                if uid and key:
                    pid, _, options = key.partition("|")
                    n = max(int(quantity or 0), 0)
                    change_line(service.store, uid, act if n else "remove", pid, n, options)
                return show_basket(picked, request)

            async def respond(text: str, history: list, picked: str, conv: str,
                              request: gr.Request):  # fmt: skip
                same = (gr.update(),) * 5
                if not text.strip():
                    yield history, *same
                    return
                uid = shopper_id(picked, request)
                history = [
                    *(history or []),
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": ""},
                ]
                messages = (
                    [  # the recent turns, as an API client sends them
                        {"role": m["role"], "content": _text(m["content"])} for m in history[:-2]
                    ][-(MAX_MESSAGES - 1) :]
                    + [{"role": "user", "content": text}]
                )
                try:  # the chat route's own checks: message limits, then the model queue
                    service.check_messages(messages)
                    pieces = await service.open_stream(messages, uid, conversation=conv)
                except ValueError as exc:
                    history[-1]["content"] = f"Sorry, I can't take that message: {exc}."
                    yield history, gr.update(), gr.update(), "", gr.update(), gr.update()
                    return
                except QueueFull as exc:
                    history[-1]["content"] = (
                        f"The assistant is busy right now; please try again in {exc.retry_after} s."
                    )
                    yield history, gr.update(), gr.update(), text, gr.update(), gr.update()
                    return
                try:
                    async for piece in pieces:
                        if isinstance(piece, TurnResult):
                            history[-1]["content"] = piece.answer
                            history[-1]["metadata"] = {"id": piece.message_id}  # thumbs name it
                            choices = [
                                (f"{c['title']} ({c['product_id']})", c["product_id"])
                                for c in piece.cards
                            ]
                            yield (
                                history,
                                cards_html(piece.cards),
                                gr.update(choices=choices, value=None),
                                "",
                                *basket_panel(piece.basket),
                            )
                        else:
                            history[-1]["content"] += piece
                            yield history, gr.update(), gr.update(), "", gr.update(), gr.update()
                finally:
                    await pieces.aclose()

            def open_product(pid: str | None, picked: str, request: gr.Request):
                if not pid:
                    return ""
                service.record_event(
                    {"user_id": shopper_id(picked, request), "product_id": pid, "event": "view"}
                )
                return product_html(service.store.get_product(pid))

            def feedback(data: gr.LikeData, history: list, picked: str, request: gr.Request):
                """A thumb on an answer, stored under the answer's message id (as the API does);
                thumbs on other messages (the shopper's, an agent's reply) are not kept."""
                from assistant.desk.answer_log import answer_for
                from assistant.desk.support import add_feedback

                index = data.index if isinstance(data.index, int) else None
                said = history[index] if index is not None and index < len(history or []) else {}
                mid = (said.get("metadata") or {}).get("id")
                uid = shopper_id(picked, request)
                if mid and uid and answer_for(service.store, mid, uid) is not None:
                    add_feedback(service.store, uid, mid, 1 if data.liked is True else -1, None)

            def check_messages(history: list, picked: str, shown: dict, request: gr.Request):
                """Agent replies to this shopper not yet in this chat, appended to it."""
                return inbox(service.store, shopper_id(picked, request), history, shown)

            inbox_io = ([chat, user, seen], [chat, seen])
            for trigger in (send.click, box.submit):
                trigger(
                    respond,
                    [box, chat, user, conversation],
                    [chat, cards, opened, box, basket_box, line],
                ).then(check_messages, *inbox_io)
            check.click(check_messages, *inbox_io)
            user.change(show_basket, [user], [basket_box, line], queue=False)
            user.change(check_messages, *inbox_io, queue=False)
            ui.load(show_basket, [user], [basket_box, line], queue=False)
            ui.load(check_messages, *inbox_io, queue=False)

            def set_line(key: str | None, quantity, picked: str, request: gr.Request):
                return edit_line(key, quantity, picked, request, "set")

            def remove_line(key: str | None, picked: str, request: gr.Request):
                return edit_line(key, 0, picked, request, "remove")

            set_qty.click(set_line, [line, qty, user], [basket_box, line])
            remove.click(remove_line, [line, user], [basket_box, line])
            opened.change(open_product, [opened, user], detail)
            chat.like(feedback, [chat, user], None)

        with gr.Tab("Agent", visible=not service.auth_enabled) as agent_tab:  # staff: on load
            desk_table, table_in, table_out = desk_tab(service, who, staff_name)
        agent_tab.select(desk_table, table_in, table_out)

        def show_desk(request: gr.Request):
            return gr.Tab(visible=who(request).role in ("agent", "admin"))

        ui.load(show_desk, None, agent_tab, queue=False)

        with gr.Tab("Admin"):
            stats = gr.JSON(label="Store")
            stats_btn = gr.Button("Refresh stats")
            kind = gr.Radio(["products", "events", "orders"], value="products", label="Ingest")
            upload = gr.File(label="File (CSV, TSV, JSONL, Parquet)")
            report = gr.JSON(label="Ingest report (rejects with line numbers)")

            def load_stats(request: gr.Request):
                return (
                    service.store.stats()
                    if who(request).role == "admin"
                    else {"error": "admins only"}
                )

            def ingest(file, what: str, request: gr.Request, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
                if who(request).role != "admin":
                    return {"error": "admins only"}
                if file is None:
                    return {"error": "choose a file first"}
                path = file if isinstance(file, str) else file.name
                try:
                    return service.ingest_file(what, path)
                finally:  # the uploaded copy is not kept (the rejects report names lines)
                    with contextlib.suppress(OSError):
                        os.unlink(path)

            stats_btn.click(load_stats, None, stats)
            upload.upload(ingest, [upload, kind], report)
    return ui


def _text(content) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def mount_ui(app, service: Service):
    """Mount the UI at `/` (after the API routes, which keep precedence); with API keys, behind
    the sign-in page."""
    auth = None
    if service.auth_enabled:
        add_login_routes(app, service)
        auth = signed_in(service)
    return gr.mount_gradio_app(
        app, build_ui(service), path="/", auth_dependency=auth, css=CSS,
        max_file_size=service.settings.max_upload_mib * 1024 * 1024,
    )  # fmt: skip
