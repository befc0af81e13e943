"""Basket turns: the exact validators, reference resolution, the decided change and its words.

The basket itself is real SQLite (a temporary file); the catalog is a dict of Products."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.turn.basket import Unresolved, decide, render, resolve, variants
from assistant.turn.basket_act import BasketAsk, comparative, quantity
from assistant.turn.basket_context import basket_context, basket_turns, priced_ids
from retrieval.storage.basket import change_key, get_basket
from retrieval.types import Product

PRODUCTS = {
    "P00001": Product("P00001", "Oakmere 1L Red Ceramic Kettle", price=31.49, rating=4.3,
                      in_stock=True, stock_qty=5),
    "P00002": Product("P00002", "Copperleaf 1.2L Grey Steel Kettle", price=81.99, rating=4.8,
                      in_stock=True),
    "P00003": Product("P00003", "Hartwell Aero Teal Enamel Mugs, Pack of 4", price=22.49,
                      rating=4.6, in_stock=True),
    "P00004": Product("P00004", "Zestra Sold Out Toaster", price=19.99, in_stock=False),
    "P00005": Product("P00005", "Trailhead Rain Jacket", price=60.0, in_stock=True,
                      attributes={"size": ["S", "M", "L"]}),
}  # fmt: skip
SHOWN = "Here are 3 options:\n- {} — £31.49 [P00001]\n- {} — £81.99 [P00002]\n- {} — £22.49 [P00003]".format(
    *(PRODUCTS[i].title for i in ("P00001", "P00002", "P00003"))
)  # fmt: skip


@pytest.fixture
def store(tmp_path):
    from retrieval.storage.schema import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    import threading

    return SimpleNamespace(
        engine=engine,
        write_lock=threading.RLock(),
        config=SimpleNamespace(currency="GBP"),
        get_product=PRODUCTS.get,
    )


def _conversation(*turns: str) -> list[dict]:
    roles = ["user", "assistant"]
    return [{"role": roles[n % 2], "content": t} for n, t in enumerate(turns)]


def _turn(store, user, messages, act, **slots):
    ask = BasketAsk(act, 0.9, **slots)
    text = messages[-1]["content"]
    flags = [False] * (len([m for m in messages if m["role"] == "user"]) - 1) + [True]
    ctx = basket_context(messages, flags, text)
    fact = decide(store, user, ask, ctx, text, change_key(user, None, messages))
    return fact, render(fact, get_basket(store, user) if user else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add two of those", (2, False)),
        ("make that 3", (3, False)),
        ("add another one", (1, True)),
        ("two more please", (2, True)),
        ("add the first two", (None, False)),  # positions, not a quantity
        ("add the £24.99 one", (None, False)),  # a price, not a quantity
        ("add P00012", (None, False)),  # an id
        ("add the 2nd one", (None, False)),
        ("add item 3", (None, False)),
        ("a couple of the mugs", (2, False)),
        ("add it", (None, False)),
    ],
)
def test_quantity_is_only_a_number_the_shopper_states_as_one(text, expected):
    assert quantity(text) == expected


def test_comparatives_name_a_shown_item():
    assert comparative("put the cheaper one in my basket") == "cheapest"
    assert comparative("the more expensive one") == "dearest"
    assert comparative("add the best rated one") == "best_rated"
    assert comparative("add the first one") is None


def test_prices_as_shown_are_read_per_item():
    assert priced_ids(SHOWN) == {"P00001": 31.49, "P00002": 81.99, "P00003": 22.49}


def test_references_by_position_price_comparison_and_name(store):
    basket = get_basket(store, "u1")
    msgs = _conversation("show me kettles and mugs", SHOWN)

    def ids(text, act="add", **slots):
        ctx = basket_context([*msgs, {"role": "user", "content": text}], [False, True], text)
        return resolve(PRODUCTS.get, BasketAsk(act, 0.9, **slots), ctx, text, basket)

    assert ids("add the second one") == ["P00002"]
    assert ids("add the last one") == ["P00003"]
    assert ids("add both") == ["P00001", "P00002"]
    assert ids("add the £81.99 one", prices=[81.99]) == ["P00002"]
    assert ids("put the cheaper one in", comparative="cheapest") == ["P00003"]
    assert ids("add the mugs") == ["P00003"]
    with pytest.raises(Unresolved) as asked:
        ids("add the kettle")  # two kettles were shown: ask, never guess
    assert asked.value.choices == ["P00001", "P00002"]
    with pytest.raises(Unresolved):
        ids("add it")


def test_add_change_remove_and_the_total_by_code(store):
    msgs = _conversation("kettles and mugs?", SHOWN, "add two of the first one")
    fact, text = _turn(store, "u1", msgs, "add", quantity=2)
    assert fact["lines"][0]["after"] == 2
    assert text == ("Added 2 × Oakmere 1L Red Ceramic Kettle [P00001] at £31.49 each. "
                    "Your basket: 2 items, total £62.98.")  # fmt: skip
    msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": "make that 3"}]
    _, text = _turn(store, "u1", msgs, "set", quantity=3)
    assert text.startswith("Changed Oakmere 1L Red Ceramic Kettle [P00001] from 2 to 3.")
    assert get_basket(store, "u1").total == 94.47
    msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": "remove it"}]
    _, text = _turn(store, "u1", msgs, "remove")
    assert (
        text
        == "Removed Oakmere 1L Red Ceramic Kettle [P00001] from your basket. Your basket is now empty."
    )


def test_a_replayed_message_changes_the_basket_once(store):
    msgs = _conversation("kettles and mugs?", SHOWN, "add the mugs")
    first = _turn(store, "u1", msgs, "add")
    again = _turn(store, "u1", msgs, "add")  # a client retry: the same messages
    assert first == again and get_basket(store, "u1").count == 1
    _turn(store, "u1", [*msgs, {"role": "assistant", "content": first[1]},
                        {"role": "user", "content": "add the mugs"}], "add")  # fmt: skip
    assert get_basket(store, "u1").count == 2  # a new message is a new change


def test_stock_is_checked_and_nothing_is_added_past_it(store):
    shown = "- Zestra Sold Out Toaster — £19.99 [P00004]\n- Oakmere 1L Red Ceramic Kettle — £31.49 [P00001]"
    msgs = _conversation("toasters", shown, "add the first one")
    fact, text = _turn(store, "u1", msgs, "add")
    assert fact["lines"][0]["status"] == "out_of_stock" and "out of stock" in text
    msgs[-1]["content"] = "add 6 of the second one"
    fact, text = _turn(store, "u1", msgs, "add", quantity=6)
    assert fact["lines"][0]["status"] == "over_stock"
    assert text.startswith("Only 5 of Oakmere 1L Red Ceramic Kettle [P00001] are in stock")
    assert get_basket(store, "u1").lines == []


def test_a_changed_price_is_stated(store):
    shown = "- Oakmere 1L Red Ceramic Kettle — £29.99 [P00001]"  # the price when it was shown
    fact, text = _turn(store, "u1", _conversation("kettle", shown, "add it"), "add")
    assert "Its price is now £31.49 (it was £29.99 when I showed it)." in text


def test_variants_must_be_chosen_before_the_line_is_added(store):
    assert variants(PRODUCTS["P00005"]) == ("size", ["S", "M", "L"])
    msgs = _conversation("rain jacket", "- Trailhead Rain Jacket — £60.00 [P00005]", "add it")
    fact, text = _turn(store, "u1", msgs, "add")
    assert fact["kind"] == "ask_option" and text.startswith("Which size would you like for")
    assert get_basket(store, "u1").lines == []
    msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": "M please"}]
    flags = basket_turns(msgs, [None, BasketAsk("add", 0.9), None])
    assert flags == [False, True, True]
    ctx = basket_context(msgs, flags, "M please")
    fact = decide(store, "u1", BasketAsk("add", 0.9), ctx, "M please", "k")
    assert fact["lines"][0]["options"] == "size=M"
    assert get_basket(store, "u1").lines[0].options == "size=M"


def test_no_user_no_basket(store):
    fact, text = _turn(store, None, _conversation("kettle", SHOWN, "add the first"), "add")
    assert fact["kind"] == "sign_in" and "sign in" in text
