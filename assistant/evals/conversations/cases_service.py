"""Customer-service cases: order status, returns, policy facts and handoff to a person, in written
phrasings and (when its CSV is present) Bitext customer-support instructions."""

from __future__ import annotations

import re

from assistant.evals.conversations.case_data import PER_CATEGORY, bitext, case
from assistant.evals.conversations.case_wording import vary, with_order
from assistant.evals.conversations.phrasings import HANDOFF, NOUNS, POLICY


def order_cases(rng, demo, pairs) -> list[dict]:
    users, orders = demo["users"], demo["orders_by_user"]
    busy = [
        u
        for u in users
        if any(r["status"] in ("processing", "shipped", "placed") for r in orders[u])
    ]
    out = [case("order_status", "demo", "u001", ["where is my order?"], {"kind": "order_status"})]
    if pairs:
        for r in bitext(pairs, ("track_order",), rng, 7, lambda r: r["entity_type"] == "order_id"):
            u = rng.choice(busy)
            oid = rng.choice(orders[u])["order_id"]
            out.append(case("order_status", "demo", u, [with_order(r["instruction"], r, oid)],
                            {"kind": "order_status", "order_id": oid}, "bitext"))  # fmt: skip
        for r in bitext(
            pairs, ("delivery_period",), rng, 4, lambda r: " my " in f" {r['instruction']} "
        ):
            out.append(
                case(
                    "order_status",
                    "demo",
                    rng.choice(busy),
                    [r["instruction"]],
                    {"kind": "order_status"},
                    "bitext",
                )
            )
    mine = ("where is my order?", "wheres my stuff", "has my order shipped yet", "when will my order arrive?",
            "status of my orders pls", "i ordered something, where is it")  # fmt: skip
    about = ("any update on {o}?", "has {o} been delivered", "track {o}", "is order {o} on its way?",
             "what's the status of {o}")  # fmt: skip
    while len(out) < PER_CATEGORY - 3:
        u = rng.choice(busy if rng.random() < 0.6 else users)
        if rng.random() < 0.5:
            out.append(
                case(
                    "order_status",
                    "demo",
                    u,
                    [vary(rng, rng.choice(mine))],
                    {"kind": "order_status"},
                )
            )
        else:
            oid = rng.choice(orders[u])["order_id"]
            out.append(case("order_status", "demo", u, [vary(rng, rng.choice(about).format(o=oid))],
                            {"kind": "order_status", "order_id": oid}))  # fmt: skip
    for u in rng.sample(users, 3):  # someone else's order: must reveal nothing
        other = rng.choice([r for r in demo["orders"] if r["user_id"] != u])["order_id"]
        out.append(
            case(
                "order_status",
                "demo",
                u,
                [f"where is order {other}?"],
                {"kind": "order_status", "order_id": other},
            )
        )
    return out


def return_cases(rng, demo, pairs) -> list[dict]:
    users, lines = demo["users"], demo["orders"]
    single = [r for r in lines if sum(x["order_id"] == r["order_id"] for x in lines) == 1]
    out = [case("returns", "demo", "u002", ["can I return headphones I bought 40 days ago?"],
                {"kind": "return", "category": "Headphones", "days_ago": 40})]  # fmt: skip
    if pairs:
        for r in bitext(pairs, ("get_refund",), rng, 11, lambda r: not r["entity_type"]):
            line = rng.choice(single)
            out.append(case("returns", "demo", line["user_id"], [with_order(r["instruction"], r, line["order_id"])],
                            {"kind": "return", "order_id": line["order_id"]}, "bitext"))  # fmt: skip
    stated = ("can I return {a} {s} I bought {d} days ago?", "bought {a} {s} {d} days ago, can i send it back",
              "is it too late to return {a} {s} from {d} days ago")  # fmt: skip
    opened = {
        "Skincare": "skincare",
        "Coffee Beans": "coffee",
        "Chocolate": "chocolate",
        "Fragrance": "perfume",
    }
    for i in range(9):
        leaf = rng.choice(sorted(NOUNS) + sorted(opened))
        d = rng.choice((3, 7, 12, 20, 40, 45, 60, 90))
        s, a = (opened[leaf], "opened") if leaf in opened else (NOUNS[leaf][0], "a")
        text = stated[i % 3].format(a=a, s=s, d=d).replace("a pair of", "a pair of")
        expect = {
            "kind": "return",
            "category": leaf,
            "days_ago": d,
            **({"opened": True} if leaf in opened else {}),
        }
        out.append(case("returns", "demo", rng.choice(users), [vary(rng, text)], expect))
    out.append(case("returns", "demo", rng.choice(users), ["can i return a kettle i bought last week?"],
                    {"kind": "return", "category": "Kettles", "days_ago": 7}))  # fmt: skip
    forms = ("can I return order {o}?", "i want to send back the {t} from {o}", "is it too late to return {o}?",
             "return {o} please, does it qualify?")  # fmt: skip
    while len(out) < PER_CATEGORY:
        line = rng.choice(single)
        text = rng.choice(forms).format(
            o=line["order_id"], t=demo["titles"].get(line["product_id"], "item")
        )
        out.append(
            case(
                "returns",
                "demo",
                line["user_id"],
                [vary(rng, text)],
                {"kind": "return", "order_id": line["order_id"]},
            )
        )
    return out


def policy_cases(rng, demo, pairs) -> list[dict]:
    out = [case("policy_facts", "demo", None, [vary(rng, t) if i > 1 else t], {"kind": "policy", **e})
           for i, (t, e) in enumerate(POLICY)]  # fmt: skip
    if pairs:
        picks = [("check_refund_policy", {"fact": "refund_days"}, lambda r: "long" in r["instruction"], 3),
                 ("check_refund_policy", {"fact": "return_window_days"}, lambda r: "long" not in r["instruction"], 2),
                 ("delivery_period", {"fact": "standard_delivery_days"}, lambda r: " my " not in f" {r['instruction']} ", 3),
                 ("check_payment_methods", {"fact": "payment_methods"}, lambda r: True, 3)]  # fmt: skip
        for intent, e, keep, n in picks:
            for r in bitext(pairs, (intent,), rng, n, keep):
                out.append(
                    case(
                        "policy_facts",
                        "demo",
                        None,
                        [r["instruction"]],
                        {"kind": "policy", **e},
                        "bitext",
                    )
                )
    return out


def handoff_cases(rng, demo, pairs) -> list[dict]:
    out = [
        case("handoff", "demo", rng.choice((None, *demo["users"])), [t], {"kind": "handoff"})
        for t in HANDOFF
    ]
    if pairs:
        agent = re.compile(r"agent|human|person|someone|operator|representative|speak|talk|chat")
        for r in bitext(
            pairs, ("contact_human_agent",), rng, 11, lambda r: agent.search(r["instruction"])
        ):
            out.append(
                case(
                    "handoff",
                    "demo",
                    rng.choice(demo["users"]),
                    [r["instruction"]],
                    {"kind": "handoff"},
                    "bitext",
                )
            )
    return out[:PER_CATEGORY]
