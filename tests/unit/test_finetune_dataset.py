"""The SFT data builder's pieces, the training config and the eval checker, without loading a model."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import pytest

from assistant.evals.finetune import parse_prompt, score, summarize
from assistant.facts import NothingFound, OrderStatus, ReturnVerdict, Superlative
from assistant.prompts import Evidence, shopper_messages
from finetune.bitext import bitext_opener, fill_placeholders
from finetune.dataset import dedupe, scrub, split_by_user
from finetune.targets import (
    facts_target,
    item_target,
    policy_target,
    target_is_clean,
    write_target,
)
from retrieval.storage.mirror import Filters


def _item(pid, title, price, rating, reasons=("matches 'kettles'",)):
    return {"product_id": pid, "title": title, "price": price, "currency": "GBP",
            "rating": rating, "in_stock": True, "reasons": list(reasons)}  # fmt: skip


ITEMS = [
    _item("K1", "Zestra Red Ceramic Kettle", 17.99, 3.0),
    _item("K2", "Copperleaf Grey Ceramic Kettle", 81.99, 4.8),
    _item("K3", "Oakmere Red Ceramic Kettle", 31.49, 4.3),
]
ORDERS = [
    {"order_id": "ORD-10202", "product_id": "A", "title": "Wooden Marble Run", "quantity": 1,
     "status": "shipped", "ordered_at": "2026-10-31", "delivered_at": None},
    {"order_id": "ORD-10148", "product_id": "B", "title": "Vitamin C Cleanser", "quantity": 1,
     "status": "delivered", "ordered_at": "2026-09-12", "delivered_at": "2026-09-18"},
]  # fmt: skip
POLICY = [{"id": "returns-1", "section": "Returns > Return window", "file": "returns.md",
           "text": "You can return most items within 30 days of delivery for a full refund. The 30 days start on delivery."}]  # fmt: skip


def _plan(ev, filters=None, question="kettles"):
    return SimpleNamespace(ev=ev, known_titles={}, question=question,
                           state=SimpleNamespace(filters=filters or Filters()))  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_item_targets_cite_only_evidence_and_keep_decided_superlatives(seed):
    facts = [Superlative("P1", "cheapest", 17.99), Superlative("P2", "best_rated", 4.8)]
    ev = Evidence("search", items=ITEMS, facts=facts)
    text = item_target(ev, "what are the cheapest kettles?", random.Random(seed))
    assert text.startswith(("[P1] is the cheapest", "The cheapest is [P1]"))
    assert set(__import__("re").findall(r"\[(P\d)\]", text)) <= {"P1", "P2", "P3"}
    assert target_is_clean(_plan(ev, question="what are the cheapest kettles?"), text)


def test_budget_is_mentioned_only_when_the_evidence_states_it():
    rng = random.Random(0)
    plain = item_target(Evidence("search", items=ITEMS), "kettles", rng)
    assert "budget" not in plain
    budget = [_item("K1", "Zestra Red Ceramic Kettle", 17.99, 3.0,
                    ("matches 'kettles'", "£17.99: within your £20.00 budget"))]  # fmt: skip
    text = item_target(Evidence("search", items=budget), "kettles under £20", rng)
    assert "within your £20.00 budget" in text
    assert target_is_clean(_plan(Evidence("search", items=budget), Filters(price_max=20.0)), text)


def test_a_target_citing_an_item_over_budget_is_rejected():
    ev = Evidence("search", items=ITEMS)
    plan = _plan(ev, Filters(price_max=30.0))
    assert not target_is_clean(plan, "I'd suggest [P2] at £81.99, rated 4.8.")
    assert target_is_clean(plan, "I'd suggest [P1] at £17.99, rated 3.0.")
    assert not target_is_clean(plan, "Try [P9], it is great.")  # not in the evidence


def test_order_and_return_targets_name_every_order_and_cite_the_policy():
    facts = [
        OrderStatus("ORD-10202", "Wooden Marble Run", "shipped", "2026-10-31",
                    expected_from="2026-11-04", expected_to="2026-11-06"),
        OrderStatus("ORD-10148", "Vitamin C Cleanser", "delivered", "2026-09-01", "2026-09-18"),
    ]  # fmt: skip
    text = facts_target(Evidence("order_status", orders=ORDERS, facts=facts), random.Random(1))
    assert "ORD-10202" in text and "ORD-10148" in text and "2026-11-06" in text
    ended = ReturnVerdict(
        "ORD-10148", "Vitamin C Cleanser", "window_ended", "2026-10-18", lead=True
    )
    assert str(ended).startswith("No: Vitamin C Cleanser from order ORD-10148 can no longer")
    ret = Evidence("return_refund", orders=ORDERS[1:], policies=POLICY, facts=[ended])
    text = facts_target(ret, random.Random(2))
    assert "can no longer be returned" in text and text.endswith("[S1].")
    assert target_is_clean(_plan(ret), text)


def test_policy_small_talk_and_nothing_targets():
    ev = Evidence("policy", policies=POLICY)
    text = policy_target(ev, random.Random(0))
    assert "30 days" in text and "[S1]" in text
    assert write_target(Evidence("small_talk"), "hi", random.Random(0))
    assert (
        write_target(Evidence("none", facts=[NothingFound("", False)]), "x", random.Random(0))
        is None
    )


def test_scrub_removes_contact_details_but_keeps_shop_facts():
    text = "Mail jo.bloggs@example.co.uk or call +44 7700 900123 / 020 7946 0958 about ORD-10001, £1,299.00, 2026-11-04, Ages 1-3."
    out = scrub(text)
    assert "example.co.uk" not in out and "7700" not in out and "7946" not in out
    assert "ORD-10001" in out and "£1,299.00" in out and "2026-11-04" in out and "Ages 1-3" in out


def test_bitext_placeholders_are_filled_with_real_values_or_the_sentence_is_dropped():
    assert (
        fill_placeholders("Order {{Order Number}} at {{Website Name}}.", "ORD-1", "Shop")
        == "Order ORD-1 at Shop."
    )
    assert fill_placeholders("Call {{Customer Support Phone Number}}.", "ORD-1", "Shop") is None
    assert (
        bitext_opener("I see order {{Order Number}} is late. Call {{Phone}}.", "ORD-10001", "")
        == "I see order ORD-10001 is late."
    )
    assert bitext_opener("Call us on {{Customer Support Phone Number}}.", "ORD-1", "") == ""
    assert (
        bitext_opener("Your refund of $50 is on the way.", None, "") == ""
    )  # a number we can't back


def test_dedupe_and_split_keep_each_user_on_one_side():
    rows = [{"messages": [{"role": "user", "content": f"q{i % 7}"}], "meta": {"user": f"u{i % 7}"}}
            for i in range(40)]  # fmt: skip
    unique = dedupe(rows)
    assert len(unique) == 7
    train, val = split_by_user(rows, 0.3, seed=1)
    assert {r["meta"]["user"] for r in train}.isdisjoint({r["meta"]["user"] for r in val})
    assert len(train) + len(val) == len(rows) and val


# --- training config -----------------------------------------------------------------------------


def test_train_config_reads_yaml_and_overrides(tmp_path):
    from finetune.train import load_config

    path = tmp_path / "c.yaml"
    path.write_text("train:\n  lora_r: 8\n  learning_rate: 1.0e-4\n")
    cfg = load_config(path, ["train.batch_size=2", "target_modules=[q_proj, v_proj]"])
    assert (cfg.lora_r, cfg.learning_rate, cfg.batch_size) == (8, 1e-4, 2)
    assert cfg.target_modules == ["q_proj", "v_proj"]
    with pytest.raises(ValueError, match="unknown training settings"):
        load_config(path, ["train.lerning_rate=1"])
    with pytest.raises(ValueError, match="key=value"):
        load_config(path, ["batch_size"])


def test_vllm_commands_use_the_recorded_base_and_adapter(tmp_path):
    from finetune.export import vllm_commands

    (tmp_path / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "/m/base", "r": 16})
    )
    cmds = vllm_commands(tmp_path)
    assert cmds["cpu"].startswith(
        "VLLM_CPU_KVCACHE_SPACE=2 python -m vllm.entrypoints.openai.api_server --model /m/base"
    )
    assert f"--lora-modules shop={tmp_path}" in cmds["gpu"] and cmds["gpu"].startswith(
        "vllm serve /m/base"
    )
    assert "--enable-lora" in cmds["cpu"] and "--max-lora-rank 16" in cmds["cpu"]
    with pytest.raises(ValueError, match="not a PEFT adapter"):
        vllm_commands(tmp_path / "missing")


# --- the evaluation checker ----------------------------------------------------------------------


def _case(question="what are the cheapest kettles?", filters=None, task="search", ev=None):
    ev = ev or Evidence("search", items=ITEMS, facts=[Superlative("P1", "cheapest", 17.99)])
    return {"messages": shopper_messages(question, ev), "task": task, "question": question,
            "filters": filters or {}}  # fmt: skip


def test_checker_parses_the_prompt_it_scores_against():
    ev = parse_prompt(_case()["messages"][-1]["content"])
    assert ev["items"]["P2"] == ("Copperleaf Grey Ceramic Kettle", 81.99, 4.8)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("The cheapest is [P1] at £17.99. [P3] is another option at £31.49.", (True, True, True)),
        ("[P2] is the cheapest at £81.99.", (True, True, False)),  # wrong superlative
        ("[P1] costs £81.99.", (True, False, True)),  # another item's price
        ("Try [P7], the cheapest.", (False, False, False)),  # invented tag
        (
            "[P1] Zestra Red Ceramic Kettle — £17.99, rated 3.0, in stock. Why: x.",
            (False, False, True),
        ),  # echo
        ("I recommend the Moonbeam Teapot Deluxe.", (False, False, False)),  # outside the evidence
    ],
)
def test_checker_scores_item_answers(answer, expected):
    s = score(_case(), answer, ["Moonbeam Teapot Deluxe"])
    assert (s["format"], s["grounded"], s["constraint"]) == expected


def test_checker_scores_budget_and_customer_service_answers():
    over = score(_case("kettles under £40", {"price_max": 40.0}), "[P2] at £81.99 fits.", [])
    assert over["grounded"] and not over["constraint"]
    ev = Evidence("order_status", orders=ORDERS, facts=[])
    case = _case("where is my order?", task="order_status", ev=ev)
    good = score(
        case, "Order ORD-10202 has shipped. Order ORD-10148 was delivered on 2026-09-18.", []
    )
    assert good == {"format": True, "cs": True}
    assert score(case, "Order {{Order Number}} is on its way.", [])["cs"] is False
    assert score(case, "Order ORD-10202 shipped; call 020 7946 0958.", [])["cs"] is False
    assert score(case, "Order ORD-99999 and ORD-10202 and ORD-10148 are fine.", [])["cs"] is False
    assert summarize([good, {"format": False}])["format"] == {"rate": 50.0, "n": 2}
