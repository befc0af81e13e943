"""Basket turns decided by code: which items a message means, whether the change is allowed, the
change applied once, and the one renderer of the decided fact.

`decide(store, user, ask, ctx, text, key)` returns a `BasketFact` (a JSON-ready dict) that says
exactly what changed (or why nothing did) and the basket after it. Stock, price and quantity
limits are checked by code at every change; an ambiguous reference becomes a short question,
never a guess; a product with variants (a list of sizes or colours) is added only once one is
chosen. The fact is stored under the message's change key, so a replayed message re-renders the
first answer and changes nothing (`retrieval.storage.basket.apply_once`).
"""

from __future__ import annotations

from assistant.prompts import price_text
from assistant.turn.basket_act import BasketAsk
from assistant.turn.basket_context import ASK_WHICH, BasketContext
from retrieval import textre
from retrieval.storage.basket import (
    MAX_QUANTITY,
    Basket,
    apply_once,
    clear_basket,
    get_basket,
    line_quantity,
    set_quantity,
)

VARIANT_KEYS = ("size", "sizes", "colour", "colours", "color", "colors", "shoe_size")
_WORD = textre.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _tokens(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) >= 3}


def variants(product) -> tuple[str, list[str]] | None:
    """("size", ["S", "M", "L"]) when the product is sold in variants the shopper must choose."""
    for key in VARIANT_KEYS:
        values = product.attributes.get(key) if product.attributes else None
        if isinstance(values, list) and len(values) > 1:
            name = key.rstrip("s") if key.endswith(("sizes", "colours", "colors")) else key
            return name.replace("_", " "), [str(v) for v in values]
    return None


def _whole_word(value: str) -> textre.Pattern:
    """A search for `value` with no word character either side (a yes/no search)."""
    return textre.compile(rf"(?:^|\W){textre.escape(value)}(?:\W|$)")


def chosen_option(text: str, values: list[str]) -> str | None:
    """The variant value the message names as a whole word ("medium", "size M", "in red")."""
    low = f" {text.lower()} "
    hits = [v for v in values if _whole_word(v.lower()).search(low)]
    return max(hits, key=len) if len(hits) >= 1 else None


class Unresolved(Exception):
    """The message does not say which item; `choices` are the ids to ask about."""

    def __init__(self, choices: list[str]) -> None:
        self.choices = choices


def _by_name(text: str, pool: list[str], titles: dict[str, str]) -> list[str]:
    """The pool items whose titles share the most words with the message (all tied ones)."""
    words = _tokens(text)
    scores = {pid: len(words & _tokens(titles.get(pid, ""))) for pid in pool}
    best = max(scores.values(), default=0)
    return [pid for pid in pool if best and scores[pid] == best]


def _pick(get_product, kind: str, pool: list[str]) -> str | None:
    """The cheapest / dearest / best rated of the pool's items that can be bought (priced)."""
    products = [p for p in (get_product(i) for i in pool) if p is not None and p.price is not None]
    if kind == "best_rated":
        rated = [p for p in products if p.rating is not None]
        return max(rated, key=lambda p: p.rating).product_id if rated else None
    priced = [p for p in products if p.price is not None]
    if not priced:
        return None
    choose = min if kind == "cheapest" else max
    return choose(priced, key=lambda p: p.price).product_id


def resolve(get_product, ask: BasketAsk, ctx: BasketContext, text: str, basket: Basket) -> list[str]:  # fmt: skip
    """The ids the message means; raises Unresolved with the choices when it can't tell.

    In order: ids typed or positions named; a price stated; "the cheaper one"; the most title
    words in common; then what the conversation makes unique (the one item shown, the item the
    last basket reply was about, the one basket line)."""
    in_basket = [x.product_id for x in basket.lines]
    if ctx.pending_option and ctx.pending:
        return ctx.pending[:1]
    if ask.act == "add":
        pool = ctx.pending or ctx.shown
        names = ctx.pending or ctx.seen
    else:
        pool = [i for i in (ctx.pending or ctx.shown) if i in in_basket] or in_basket
        names = ctx.pending or in_basket
    if ctx.refs:
        return ctx.refs
    if ctx.ordinals:  # "the fifth one" after three items: ask, never take another item
        raise Unresolved(pool)
    if ask.prices:
        hit = [i for i in names if _price_of(get_product, ctx, i) in ask.prices]
        if len(hit) == 1:
            return hit
    if ask.comparative and pool:
        got = _pick(get_product, ask.comparative, pool)
        if got:
            return [got]
    titles = {i: getattr(get_product(i), "title", "") for i in names}
    named = _by_name(text, names, titles)
    if len(named) == 1:
        return named
    if len(named) > 1:
        raise Unresolved(named)
    if ask.act == "add":
        if ctx.pending:
            raise Unresolved(ctx.pending)
        if ask.more and ctx.last_changed:
            return [ctx.last_changed]
        if len(ctx.shown) == 1:
            return ctx.shown
        raise Unresolved(ctx.shown)
    if ctx.last_changed in in_basket:
        return [ctx.last_changed]
    if len(in_basket) == 1:
        return in_basket
    raise Unresolved(in_basket)


def _price_of(get_product, ctx: BasketContext, pid: str) -> float | None:
    if pid in ctx.shown_prices:
        return ctx.shown_prices[pid]
    p = get_product(pid)
    return p.price if p else None


def answers_question(get_product, ctx: BasketContext, text: str, ask: BasketAsk) -> bool:
    """Does this message answer the basket's question (pick an offered item or a variant)?"""
    if not ctx.pending:
        return False
    if ctx.pending_option:
        product = get_product(ctx.pending[0])
        v = variants(product) if product else None
        return bool(v and chosen_option(text, v[1]))
    pending_only = BasketContext(pending=ctx.pending, refs=ctx.refs, shown_prices=ctx.shown_prices)
    try:
        return bool(resolve(get_product, ask, pending_only, text, Basket("", "")))
    except Unresolved:
        return False


# --- deciding ----------------------------------------------------------------------------------


def _line(product, before: int, after: int, status: str, **extra) -> dict:
    return {"product_id": product.product_id, "title": product.title, "before": before,
            "after": after, "unit_price": product.price, "currency": product.currency,
            "status": status, **extra}  # fmt: skip


def decide(store, user: str | None, ask: BasketAsk, ctx: BasketContext, text: str,
           key: str | None) -> dict:  # fmt: skip
    """The basket fact for this message (applied once under `key`)."""
    if not user:
        return {"kind": "sign_in", "act": ask.act}
    basket = get_basket(store, user)
    if ask.act == "view":
        return {"kind": "view", "act": "view", "basket": basket.to_json()}
    if ask.act == "clear":
        fact, _ = apply_once(store, key, user, lambda conn: _clear(conn, store, user))
        return fact
    try:
        ids = resolve(store.get_product, ask, ctx, text, basket)
    except Unresolved as exc:
        return _question(store, exc.choices, ask, basket)
    products = [p for p in (store.get_product(i) for i in ids) if p is not None]
    if not products:
        return {"kind": "unknown", "act": ask.act, "ids": ids, "basket": basket.to_json()}
    if ask.act == "add" and len(products) == 1 and (v := variants(products[0])):
        option = chosen_option(text, v[1])
        if option is None:
            return {"kind": "ask_option", "act": "add", "option": v[0], "values": v[1],
                    "product_id": products[0].product_id, "title": products[0].title}  # fmt: skip
        options = f"{v[0]}={option}"
    else:
        options = ""

    def apply(conn) -> dict:
        lines = [_change(conn, user, p, ask, ctx, options) for p in products]
        return {"kind": "change", "act": ask.act, "lines": lines}

    fact, _ = apply_once(store, key, user, apply)
    return fact


def _change(conn, user, product, ask: BasketAsk, ctx: BasketContext, options: str) -> dict:
    before = line_quantity(conn, user, product.product_id, options)
    extra = {"options": options} if options else {}
    shown = ctx.shown_prices.get(product.product_id)
    if shown is not None and product.price is not None and abs(shown - product.price) >= 0.005:
        extra["shown_price"] = shown
    if ask.act == "remove":
        if not before:
            return _line(product, 0, 0, "not_in_basket", **extra)
        after = max(before - ask.quantity, 0) if ask.quantity else 0
    elif ask.act == "set":
        after = ask.quantity or before
    else:  # add
        after = before + (ask.quantity or 1)
    if after > before:
        if product.price is None:
            return _line(product, before, before, "no_price", **extra)
        if product.in_stock is False:
            return _line(product, before, before, "out_of_stock", **extra)
        if product.stock_qty is not None and after > product.stock_qty:
            return _line(product, before, before, "over_stock", stock=product.stock_qty, **extra)
        if after > MAX_QUANTITY:
            return _line(product, before, before, "too_many", limit=MAX_QUANTITY, **extra)
    set_quantity(conn, user, product.product_id, after, options)
    return _line(product, before, after, "ok", **extra)


def _clear(conn, store, user) -> dict:
    removed = clear_basket(conn, user)
    return {"kind": "change", "act": "clear", "removed": sum(q for _, _, q in removed)}


def _question(store, choices: list[str], ask: BasketAsk, basket: Basket) -> dict:
    offered = []
    for pid in choices[:6]:
        p = store.get_product(pid)
        if p is not None:
            offered.append({"product_id": pid, "title": p.title, "price": p.price,
                            "currency": p.currency})  # fmt: skip
    kind = "ask_which" if offered else ("empty" if ask.act != "add" else "nothing_shown")
    return {"kind": kind, "act": ask.act, "choices": offered, "quantity": ask.quantity,
            "basket": basket.to_json()}  # fmt: skip


def basket_turn(store, user: str | None, request, key: str | None) -> tuple[dict, str, list[dict]]:
    """A whole basket turn for the engine: (the fact, its answer, the cards: the items it is
    about, or the basket's lines when it is read)."""
    from retrieval.search.hybrid import item_json

    fact = decide(store, user, request.basket, request.basket_ctx, request.question, key)
    basket = get_basket(store, user) if user else None
    ids = [x["product_id"] for x in fact.get("lines", []) + fact.get("choices", [])]
    if fact.get("product_id"):
        ids.append(fact["product_id"])
    if fact["kind"] == "view" and basket is not None:
        ids = [x.product_id for x in basket.lines]
    held = {x.product_id for x in basket.lines} if basket else set()

    def why(pid: str) -> list[str]:
        if fact["kind"] == "ask_which":
            return ["you may mean this"]
        return ["in your basket" if pid in held else "not in your basket"]

    products = [p for p in (store.get_product(i) for i in dict.fromkeys(ids)) if p is not None]
    return fact, render(fact, basket), [item_json(p, 1.0, why(p.product_id)) for p in products]


# --- rendering ---------------------------------------------------------------------------------


def render(fact: dict, basket: Basket | None) -> str:
    """The answer for a basket fact: what changed (or why not), then the basket's total."""
    kind = fact["kind"]
    if kind == "sign_in":
        return ("Please sign in to use a basket: I can only keep items for a signed-in shopper. "
                "Checkout happens on the shop's own pages.")  # fmt: skip
    if kind == "ask_which":
        return _render_question(fact)
    if kind == "ask_option":
        values = fact["values"]
        listed = ", ".join(values[:-1]) + f" or {values[-1]}"
        return f"Which {fact['option']} would you like for {fact['title']} [{fact['product_id']}]: {listed}?"
    if kind == "nothing_shown":
        return "Which item should I add? Ask me for something first, or give me its id."
    if kind == "empty":
        return "Your basket is empty, so there's nothing to change."
    if kind == "unknown":
        return "I can't find that item in our catalog, so your basket is unchanged."
    if kind == "view":
        return _render_basket(basket, opening=True)
    parts = [_render_line(x, fact["act"]) for x in fact.get("lines", [])]
    if fact["act"] == "clear":
        n = fact.get("removed", 0)
        s = "s" if n != 1 else ""
        return (
            f"I've emptied your basket ({n} item{s} removed)."
            if n
            else "Your basket was already empty."
        )
    return " ".join([*parts, _render_basket(basket, opening=False)]).strip()


def _money(value: float | None, currency: str) -> str:
    return price_text(value, currency or "GBP")


def _render_line(x: dict, act: str) -> str:
    name = f"{x['title']}" + (f" ({x['options'].replace('=', ' ')})" if x.get("options") else "")
    ref = f"{name} [{x['product_id']}]"
    cur = x.get("currency") or "GBP"
    status, before, after = x["status"], x["before"], x["after"]
    if status == "out_of_stock":
        return f"{ref} is out of stock, so I haven't added it."
    if status == "no_price":
        return f"{ref} has no price yet, so I can't add it."
    if status == "over_stock":
        held = f" and you already have {before} in your basket" if before else ""
        return f"Only {x['stock']} of {ref} are in stock{held}, so I haven't changed your basket."
    if status == "too_many":
        return f"A basket line holds at most {x['limit']}, so I haven't changed {ref}."
    if status == "not_in_basket":
        return f"{ref} isn't in your basket."
    price = ""
    if "shown_price" in x:
        price = (f" Its price is now {_money(x['unit_price'], cur)} "
                 f"(it was {_money(x['shown_price'], cur)} when I showed it).")  # fmt: skip
    if act == "set" and after and before:
        return f"Changed {ref} from {before} to {after}." + price
    if after > before:
        each = f"at {_money(x['unit_price'], cur)} each" if after - before > 1 else \
            f"at {_money(x['unit_price'], cur)}"  # fmt: skip
        if "shown_price" in x:
            each = ""
        what = f"{after - before} × {ref}" if after - before > 1 else ref
        return f"Added {what} {each}".rstrip() + "." + price
    if after == 0:
        return f"Removed {ref} from your basket."
    if after < before:
        return f"Took {before - after} of {ref} out; {after} left in your basket."
    return f"{ref}: you have {after} in your basket."


def _render_basket(basket: Basket | None, opening: bool) -> str:
    if basket is None:
        return ""
    if not basket.lines:
        return "Your basket is empty." if opening else "Your basket is now empty."
    n = basket.count
    total = _money(basket.total, basket.currency)
    head = f"Your basket: {n} item{'s' if n != 1 else ''}, total {total}."
    if not opening:
        return head
    rows = []
    for x in basket.lines:
        name = x.title + (f" ({x.options.replace('=', ' ')})" if x.options else "")
        if not x.available:
            rows.append(f"- {name} [{x.product_id}] — no longer available, not in the total")
        else:
            rows.append(
                f"- {x.quantity} × {name} [{x.product_id}] — {_money(x.line_total, x.currency)}"
            )
    return head + "\n" + "\n".join(rows)


def _render_question(fact: dict) -> str:
    qty = fact.get("quantity")
    verb = {"add": "add", "remove": "remove", "set": "change"}.get(fact["act"], "change")
    how = f" ({qty} of it)" if qty and fact["act"] == "add" and qty > 1 else ""
    rows = [f"{n}. {c['title']} — {_money(c['price'], c.get('currency'))} [{c['product_id']}]"
            for n, c in enumerate(fact["choices"], 1)]  # fmt: skip
    return f"{ASK_WHICH}? Tell me which to {verb}{how}:\n" + "\n".join(rows)


def change_line(store, user: str, act: str, product_id: str | None, quantity: int = 1,
                options: str = "") -> dict:  # fmt: skip
    """A basket change from the REST API or the UI's panel, with the chat's checks: `add`
    (quantity more), `set` (quantity; 0 removes), `remove` (the line) or `clear` (everything).
    Returns the fact (`kind` "change", or "unknown" for a product the catalog lacks)."""
    if act == "clear":
        fact, _ = apply_once(store, None, user, lambda conn: _clear(conn, store, user))
        return fact
    product = store.get_product(product_id or "")
    if product is None:
        return {"kind": "unknown", "act": act, "ids": [product_id]}
    ask = BasketAsk(act, 1.0, None if act == "remove" else quantity)
    if act == "set" and quantity == 0:
        ask = BasketAsk("remove", 1.0, None)

    def apply(conn) -> dict:
        return {"kind": "change", "act": ask.act,
                "lines": [_change(conn, user, product, ask, BasketContext(), options)]}  # fmt: skip

    fact, _ = apply_once(store, None, user, apply)
    return fact
