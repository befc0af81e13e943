"""Misses for the conversation eval's oracle: per case family (`expect.kind`), the expected
facts the final answer must state, computed from the raw store; `MISSES` maps each kind to its
check. Standard library only, like the rest of the oracle (a unit test enforces it).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.evals.conversations.oracle_reading import (
    dates_in,
    named_products,
    sentences,
    stance,
)
from assistant.evals.conversations.oracle_store import (
    breaks,
    constraints,
    in_category,
    newest_order_ids,
    qualifying,
    ranked,
    user_orders,
    value,
)

_STATUS = {"delivered": r"delivered|arrived", "shipped": r"shipped|on its way|dispatched",
           "processing": r"processing|being (?:packed|prepared)", "placed": r"placed|received",
           "cancelled": r"cancell?ed", "returned": r"returned"}  # fmt: skip


# --- misses: the expected facts ------------------------------------------------------------------
def miss_items(case, turns, store, today) -> list[str]:
    return [] if turns[-1]["cards"] else ["no items shown although some qualify"]


def miss_superlative(case, turns, store, today) -> list[str]:
    e, turn = case["expect"], turns[-1]
    best = [
        value(p, e["which"])
        for p in ranked(qualifying(store, constraints(e)), e["which"])[: e["n"]]
    ]
    shown = [
        store["products"][c["product_id"]]
        for c in turn["cards"]
        if c["product_id"] in store["products"]
    ]
    got = [
        value(p, e["which"])
        for p in ranked([p for p in shown if breaks(p, constraints(e)) is None], e["which"])
    ]
    out = (
        []
        if got[: e["n"]] == best
        else [f"the true {e['n']} {e['which']} ({best}) are not all among the cards ({got})"]
    )
    first = (
        named_products(turn["answer"], store) or [c["product_id"] for c in turn["cards"]] or [None]
    )[0]
    if best and (
        first not in store["products"] or value(store["products"][first], e["which"]) != best[0]
    ):
        out.append(f"the first item named ({first}) is not the {e['which']} ({best[0]})")
    return out


def miss_compare(case, turns, store, today) -> list[str]:
    e, named = case["expect"], named_products(turns[-1]["answer"], store)
    if "ids" in e or "previous" in e:
        want = e.get("ids") or [
            turns[-2]["cards"][k - 1]["product_id"]
            for k in e["previous"]
            if k <= len(turns[-2]["cards"])
        ]
        return (
            [f"{pid} is not named in the comparison" for pid in want]
            if len(want) < 2 or set(want) - set(named)
            else []
        )
    best = [
        value(p, e["which"])
        for p in ranked(qualifying(store, constraints(e)), e["which"])[: e["n"]]
    ]
    got = [value(store["products"][p], e["which"]) for p in named if p in store["products"]]
    got = sorted((g for g in got if g is not None), reverse=e["which"] == "best_rated")[: e["n"]]
    return (
        []
        if got == best
        else [f"the {e['n']} {e['which']} ({best}) are not the ones compared ({got})"]
    )


def miss_ref(case, turns, store, today) -> list[str]:
    shown = turns[-2]["cards"] if len(turns) > 1 else []
    k = case["expect"]["index"]
    if len(shown) < k:
        return [f"the previous turn showed fewer than {k} items"]
    pid = shown[k - 1]["product_id"]
    named = set(named_products(turns[-1]["answer"], store)) | {
        c["product_id"] for c in turns[-1]["cards"]
    }
    return (
        []
        if pid in named
        else [f"item {k} of the previous turn ({pid}) is not what the answer is about"]
    )


def miss_order_status(case, turns, store, today) -> list[str]:
    e, text = case["expect"], turns[-1]["answer"]
    lines = user_orders(store, case.get("user"))
    if e.get("order_id") and e["order_id"] not in {r["order_id"] for r in lines}:
        other = [
            store["products"].get(r["product_id"], {}).get("title", "")
            for r in store["orders"]
            if r["order_id"] == e["order_id"]
        ]
        out = (
            []
            if re.search(
                r"no order|not on your account|(?:can't|cannot|couldn't|could not) find", text, re.I
            )
            else ["does not say the order is not on this account"]
        )
        return out + [
            f"reveals {t!r} of someone else's order"
            for t in other
            if t and t.lower() in text.lower()
        ]
    out = []
    for oid in [e["order_id"]] if e.get("order_id") else newest_order_ids(store, case.get("user")):
        line = next(r for r in lines if r["order_id"] == oid)
        about = " ".join(s for s in sentences(text) if oid.upper() in s.upper())
        if not about:
            out.append(f"order {oid} is not mentioned")
        elif not re.search(_STATUS[line["status"]], about, re.I):
            out.append(f"order {oid} is not said to be {line['status']}")
        elif line["status"] != "cancelled" and not dates_in(about, today):
            out.append(f"order {oid} has no date")
    return out


def return_expected(case, store, today) -> str:
    """'yes', 'no' or 'conditional' (only if unopened), from the dates and the rules."""
    e, rules = case["expect"], store["rules"]
    window, closed = (
        rules.get("return_window_days", 30),
        [c.lower() for c in rules.get("non_returnable_if_opened", [])],
    )
    if "days_ago" in e:
        top = next(
            (p["levels"][0] for p in store["products"].values() if in_category(p, e["category"])),
            "",
        )
        return "no" if e["days_ago"] > window or (top in closed and e.get("opened")) else "yes"
    line = next(r for r in store["orders"] if r["order_id"] == e["order_id"])
    if line["status"] != "delivered" or not line["delivered_at"]:
        return "no"
    if today > date.fromisoformat(line["delivered_at"][:10]) + timedelta(days=window):
        return "no"
    top = store["products"].get(line["product_id"], {"levels": [""]})["levels"][0]
    return "conditional" if top in closed else "yes"


def miss_return(case, turns, store, today) -> list[str]:
    want, text = return_expected(case, store, today), turns[-1]["answer"]
    if want == "conditional":
        return (
            []
            if re.search(r"unopened|sealed", text, re.I)
            else ["does not say it must be unopened"]
        )
    got = stance(text)
    return [] if got == want else [f"should clearly answer {want!r} (read {got!r})"]


def _span(lo: int, hi: int) -> str:
    return rf"\b{lo}\s*(?:-|–|to)\s*{hi}\b"


def policy_value(e: dict, rules: dict) -> tuple[str, str | None]:
    """(regex the answer must contain, expected yes/no or None) for a policy fact."""
    f, r = e["fact"], rules
    money = {k: rf"£?{r[k]:.2f}\b|£{r[k]:g}\b" for k in ("express_shipping_fee", "standard_shipping_fee",
                                                         "return_label_fee", "free_shipping_threshold")}  # fmt: skip
    values = {
        "refund_days": _span(r["refund_business_days_min"], r["refund_business_days_max"]),
        "standard_delivery_days": _span(r["standard_delivery_business_days_min"], r["standard_delivery_business_days_max"]),
        "return_window_days": rf"\b{r['return_window_days']}[- ]days?\b",
        "warranty_years_electronics": rf"\b{r['warranty_years_electronics']}[- ]years?\b",
        "warranty_years_default": rf"\b{r['warranty_years_default']}[- ]years?\b|\bone[- ]year\b",
        "gift_card_validity_months": rf"\b{r['gift_card_validity_months']} months\b|\b{r['gift_card_validity_months'] // 12} years\b",
        "cancellable_statuses": "|".join(r["cancellable_statuses"]),
        "non_returnable_if_opened": "|".join(r["non_returnable_if_opened"]) + "|unopened|sealed",
        **money,
    }  # fmt: skip
    methods = [m.lower() for m in r["payment_methods"]]
    answer = None
    if f == "payment_methods":
        m = e.get("method", "").lower()
        answer = ("yes" if m in methods else "no") if m else None
        values[f] = (
            re.escape(m) if answer == "yes" else "(?:" + "|".join(map(re.escape, methods)) + r")\W"
        )
    elif e.get("yes_no"):
        answer = {"cancellable_statuses": lambda: e.get("status") in r["cancellable_statuses"],
                  "non_returnable_if_opened": lambda: e.get("category", "").lower() not in [c.lower() for c in r["non_returnable_if_opened"]],
                  "free_shipping_threshold": lambda: e.get("amount", 0) > r["free_shipping_threshold"],
                  "return_window_days": lambda: e.get("days", 0) <= r["return_window_days"]}[f]()  # fmt: skip
        answer = "yes" if answer else "no"
    return values[f], answer


def miss_policy(case, turns, store, today) -> list[str]:
    e, text = case["expect"], turns[-1]["answer"]
    pattern, want = policy_value(e, store["rules"])
    out = (
        []
        if re.search(pattern, text, re.I)
        else [f"the {e['fact']} value ({pattern}) is not stated"]
    )
    if (
        e.get("fact") == "payment_methods"
        and not e.get("method")
        and len(re.findall(pattern, text, re.I)) < 3
    ):
        out.append("fewer than 3 payment methods named")
    if want and stance(text) != want:
        out.append(f"should answer {want!r} first (read {stance(text)!r})")
    return out


def miss_handoff(case, turns, store, today) -> list[str]:
    turn = turns[-1]
    m = re.search(r"ticket\s*(?:#|no\.?|number)?\s*:?\s*#?(\d+)", turn["answer"], re.I)
    if not m:
        return ["no ticket number stated"]
    if turn.get("ticket_id") is not None and int(m[1]) != int(turn["ticket_id"]):
        return [f"states ticket {m[1]} but the ticket opened is {turn['ticket_id']}"]
    return []


def miss_not_sold(case, turns, store, today) -> list[str]:
    out = []
    for k, turn in enumerate(turns, 1):
        if turn["cards"]:
            out.append(f"turn {k} shows {len(turn['cards'])} cards for something not sold")
        if named := named_products(turn["answer"], store):
            out.append(f"turn {k} names products {named[:3]}")
    return out


def target_leaves(case: dict, store: dict) -> set[str]:
    """Leaf categories of the last purchase (newest order) or the user's top 3 from events + orders."""
    lines = user_orders(store, case.get("user"))
    leaf = lambda pid: (store["products"].get(pid) or {"levels": [""]})["levels"][-1]  # noqa: E731
    if case["expect"]["like"] == "last_purchase":
        return {
            leaf(r["product_id"]) for r in lines if lines and r["order_id"] == lines[0]["order_id"]
        }
    counts: dict[str, int] = {}
    for r in store["events"] + lines:
        if r["user_id"] == case.get("user") and r.get("product_id"):
            counts[leaf(r["product_id"])] = counts.get(leaf(r["product_id"]), 0) + 1
    return set(sorted(counts, key=counts.get, reverse=True)[:3])


def miss_personal(case, turns, store, today) -> list[str]:
    cards, want = turns[-1]["cards"], target_leaves(case, store)
    if not cards:
        return ["no items shown"]
    hits = sum(
        leaf in want
        for c in cards
        if (p := store["products"].get(c["product_id"]))
        for leaf in p["levels"][-1:]
    )
    return (
        []
        if 2 * hits >= len(cards)
        else [f"only {hits} of {len(cards)} cards are in {sorted(want)}"]
    )


MISSES = {"items": miss_items, "superlative": miss_superlative, "compare": miss_compare, "ref": miss_ref,
          "order_status": miss_order_status, "return": miss_return, "policy": miss_policy,
          "handoff": miss_handoff, "not_sold": miss_not_sold, "personal": miss_personal}  # fmt: skip
