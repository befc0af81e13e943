"""The conversation eval's oracle: independent of the engine, and its checks on hand-made answers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.evals.conversations import (
    oracle,
    oracle_basket,
    oracle_facts,
    oracle_misses,
    oracle_reading,
    oracle_store,
)
from assistant.evals.conversations.oracle import check_case

from .stdlib_only import engine_imports

CASES = Path(oracle.__file__).with_name("cases.jsonl")
TODAY = date(2026, 11, 1)


ORACLE = [oracle, oracle_reading, oracle_store, oracle_facts, oracle_misses, oracle_basket]


@pytest.mark.parametrize("module", ORACLE)
def test_oracle_imports_nothing_from_the_engine(module):
    # the oracle's modules use one another's names, nothing else of the project's
    assert not engine_imports(module, {m.__name__ for m in ORACLE})


def test_every_oracle_module_is_checked():
    here = Path(oracle.__file__).parent
    assert {p.stem for p in here.glob("oracle*.py")} == {
        m.__name__.rsplit(".", 1)[1] for m in ORACLE
    }


def test_committed_cases_have_the_documented_shape():
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    cats = {c["category"] for c in cases}
    assert cats == {"gift_open_search", "superlatives", "comparisons", "order_status", "returns",
                    "policy_facts", "personalisation", "multi_turn", "handoff", "not_sold", "basket"}  # fmt: skip
    assert len(cases) >= 330 and len({c["id"] for c in cases}) == len(cases)
    assert all(sum(c["category"] == k for c in cases) >= 30 for k in cats)
    ci = [c for c in cases if c["subset_ci"]]
    assert len(ci) == 44 and all(c["catalog"] == "demo" for c in ci)
    assert all(sum(c["category"] == k for c in ci) == 4 for k in cats)
    assert all(c["expect"]["kind"] in {*oracle.MISSES, "basket"} for c in cases)


def product(pid, title, price, rating, category, stock=True):
    levels = [x.strip().lower() for x in category.split(">")]
    return {
        "product_id": pid,
        "title": title,
        "price": price,
        "rating": rating,
        "in_stock": stock,
        "levels": levels,
    }


@pytest.fixture
def store():
    items = [
        product("P00001", "Zestra 1.5L Red Ceramic Kettle", 17.99, 3.0, "Kitchen > Kettles"),
        product("P00002", "Oakmere 1L Red Ceramic Kettle", 31.49, 4.3, "Kitchen > Kettles"),
        product("P00003", "Copperleaf 1.2L Grey Ceramic Kettle", 81.99, 4.8, "Kitchen > Kettles"),
        product(
            "P00004", "Cheapo Steel Kettle Sold Out", 9.99, 4.0, "Kitchen > Kettles", stock=False
        ),
        product(
            "P00005",
            "Sonora 20W Black USB-C Charger",
            12.49,
            4.1,
            "Electronics > Chargers & Cables",
        ),
    ]
    orders = [
        {"order_id": "ORD-10001", "user_id": "u001", "product_id": "P00005", "quantity": "1", "status": "delivered",
         "ordered_at": "2026-10-20T10:00:00Z", "delivered_at": "2026-10-23T12:00:00Z"},
        {"order_id": "ORD-10002", "user_id": "u001", "product_id": "P00002", "quantity": "1", "status": "processing",
         "ordered_at": "2026-10-30T10:00:00Z", "delivered_at": ""},
        {"order_id": "ORD-10003", "user_id": "u002", "product_id": "P00003", "quantity": "1", "status": "shipped",
         "ordered_at": "2026-10-29T10:00:00Z", "delivered_at": ""},
    ]  # fmt: skip
    rules = {"return_window_days": 30, "non_returnable_if_opened": ["Beauty"], "free_shipping_threshold": 40.0,
             "standard_delivery_business_days_min": 3, "standard_delivery_business_days_max": 5}  # fmt: skip
    return {
        "products": {p["product_id"]: p for p in items},
        "orders": orders,
        "events": [],
        "rules": rules,
    }


def card(store, pid, **over):
    p = store["products"][pid]
    return {"product_id": pid, "title": p["title"], "price": p["price"], "rating": p["rating"],
            "category": " > ".join(p["levels"]), "in_stock": p["in_stock"], **over}  # fmt: skip


def grade(store, expect, answer, cards=(), user=None, turns=("a question",)):
    case = {"id": "t", "user": user, "turns": list(turns), "expect": expect}
    return check_case(case, [{"answer": answer, "cards": list(cards)}], store, TODAY)


CHEAPEST = {"kind": "superlative", "which": "cheapest", "n": 1, "category": "Kettles"}


def test_a_correct_superlative_passes(store):
    got = grade(store, CHEAPEST, "The cheapest kettle is Zestra 1.5L Red Ceramic Kettle (£17.99) [P00001].",
                [card(store, "P00001")])  # fmt: skip
    assert got == {"passed": True, "violations": [], "misses": []}


def test_a_false_cheapest_fails(store):
    got = grade(store, CHEAPEST, "The cheapest kettle is Oakmere 1L Red Ceramic Kettle (£31.49) [P00002].",
                [card(store, "P00002")])  # fmt: skip
    assert not got["passed"] and any("called cheapest" in v for v in got["violations"])


def test_a_wrong_price_fails(store):
    got = grade(store, {"kind": "items", "category": "Kettles"},
                "Try Oakmere 1L Red Ceramic Kettle [P00002] at £29.99.", [card(store, "P00002")])  # fmt: skip
    assert not got["passed"] and any("price 29.99" in v for v in got["violations"])


def test_a_card_over_the_budget_fails(store):
    got = grade(store, {"kind": "items", "category": "Kettles", "price_max": 30},
                "Copperleaf 1.2L Grey Ceramic Kettle (£81.99) [P00003].", [card(store, "P00003")])  # fmt: skip
    assert not got["passed"] and any("not under 30" in v for v in got["violations"])


def test_a_product_named_outside_the_cards_fails(store):
    got = grade(store, {"kind": "items", "category": "Kettles"},
                "Zestra 1.5L Red Ceramic Kettle [P00001], or the Copperleaf 1.2L Grey Ceramic Kettle.",
                [card(store, "P00001")])  # fmt: skip
    assert any(
        "P00003 is named in the text but not among the cards" in v for v in got["violations"]
    )


def test_order_status_right_and_wrong_dates(store):
    ok = ("Order ORD-10002 (Oakmere 1L Red Ceramic Kettle) is processing; delivery expected between "
          "2026-11-04 and 2026-11-06. Order ORD-10001 (Sonora 20W Black USB-C Charger) was delivered on "
          "23 October 2026.")  # fmt: skip
    assert grade(store, {"kind": "order_status"}, ok, user="u001")["passed"]
    wrong = ok.replace("2026-11-06", "2026-10-28")
    got = grade(store, {"kind": "order_status"}, wrong, user="u001")
    assert not got["passed"] and any("date 2026-10-28" in v for v in got["violations"])


def test_another_customers_order_id_is_a_violation(store):
    got = grade(store, {"kind": "order_status"}, "Order ORD-10003 is shipped.", user="u001")
    assert any("ORD-10003 is not this shopper's" in v for v in got["violations"])


def test_return_eligibility_from_stated_days(store):
    expect = {"kind": "return", "category": "Kettles", "days_ago": 40}
    assert grade(
        store, expect, "No: the 30-day return window has passed. The warranty covers faults."
    )["passed"]
    assert not grade(store, expect, "Yes, you can return it within 30 days.")["passed"]


def test_free_delivery_for_an_item_under_the_threshold_fails(store):
    got = grade(store, {"kind": "items", "category": "Kettles"},
                "Zestra 1.5L Red Ceramic Kettle [P00001] comes with free delivery.", [card(store, "P00001")])  # fmt: skip
    assert any("free delivery" in v for v in got["violations"])


def test_not_sold_must_show_nothing(store):
    assert grade(store, {"kind": "not_sold"}, "Sorry, we don't sell sofas.")["passed"]
    got = grade(
        store,
        {"kind": "not_sold"},
        "Zestra 1.5L Red Ceramic Kettle [P00001]",
        [card(store, "P00001")],
    )
    assert not got["passed"] and got["misses"]


def test_raw_values_are_parsed_like_the_catalog_rules():
    assert oracle.parse_price("£3.42") == 3.42 and oracle.parse_price("1,299.00") == 1299.0
    assert oracle.parse_price("3,42") == 3.42 and oracle.parse_price("") is None
    assert oracle.parse_rating("4.5 out of 5 stars") == 4.5
    assert oracle.parse_stock("5 new") is True and oracle.parse_stock("0") is False
    assert oracle.parse_stock("") is None


def test_the_basket_oracle_simulates_the_basket_from_the_answers_shown(store):
    shown = "- Zestra 1.5L Red Ceramic Kettle — £17.99 [P00001]\n- Oakmere 1L Red Ceramic Kettle — £31.49 [P00002]"
    case = {"turns": ["kettles", "add the cheaper one", "make that three", "what's in my basket?"],
            "expect": {"kind": "basket", "ops": [{"act": "add", "ref": "cheapest", "qty": 1},
                                                  {"act": "set", "qty": 3}, {"act": "view"}]}}  # fmt: skip
    card = {"product_id": "P00001", "price": 17.99}
    both = [card, {"product_id": "P00002", "price": 31.49}]
    turns = [{"answer": shown, "cards": both},
             {"answer": "Added Zestra 1.5L Red Ceramic Kettle [P00001] at £17.99. Your basket: 1 item, total £17.99.", "cards": [card]},
             {"answer": "Changed Zestra 1.5L Red Ceramic Kettle [P00001] from 1 to 3. Your basket: 3 items, total £53.97.", "cards": [card]},
             {"answer": "Your basket: 3 items, total £53.97.\n- 3 × Zestra 1.5L Red Ceramic Kettle [P00001] — £53.97", "cards": [card]}]  # fmt: skip
    assert oracle_basket.check_basket_case(case, turns, store, TODAY)["passed"]
    wrong = [*turns[:3], {**turns[3], "answer": turns[3]["answer"].replace("53.97", "35.98")}]
    verdict = oracle_basket.check_basket_case(case, wrong, store, TODAY)
    assert not verdict["passed"] and verdict["misses"] and verdict["violations"]


def test_a_number_inside_a_named_title_is_no_price_claim():
    toys = {"products": {"T1": product("T1", "Star Wars 3.75-Inch Figure Finn", 9.45, 4.0, "Toys > Star Wars")},
            "orders": [], "events": [], "rules": {}}  # fmt: skip
    case = {"turns": ["star wars figures"], "user": None,
            "expect": {"kind": "items", "category": "star wars"}}  # fmt: skip
    card = {"product_id": "T1", "price": 9.45}
    ok = "- Star Wars 3.75-Inch Figure Finn — £9.45 [T1]"
    assert check_case(case, [{"answer": ok, "cards": [card]}], toys, TODAY)["violations"] == []
    wrong = ok.replace("£9.45", "£3.75")
    assert check_case(case, [{"answer": wrong, "cards": [card]}], toys, TODAY)["violations"]


def test_a_title_two_products_share_names_the_one_tagged_by_id(store):
    twin = {**store["products"]["P00001"], "product_id": "P00009", "price": 19.99}
    both = {**store, "products": {**store["products"], "P00009": twin}}
    got = grade(both, {"kind": "items", "category": "Kettles"},
                "Try Zestra 1.5L Red Ceramic Kettle — £17.99 [P00001].", [card(both, "P00001")])  # fmt: skip
    assert got["violations"] == []
    got = grade(both, {"kind": "items", "category": "Kettles"},
                "Try Zestra 1.5L Red Ceramic Kettle — £19.99 [P00009].", [card(both, "P00001")])  # fmt: skip
    assert any(
        "P00009 is named in the text but not among the cards" in v for v in got["violations"]
    )
