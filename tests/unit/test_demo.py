"""The demo store generator: deterministic, coherent and consistent across files."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.demo import COMPLEMENTS, DEFAULT_NOW, POLICY_FACTS, generate_demo, money

FILES = ["products.csv", "events.csv", "orders.csv"]
POLICIES = ["returns.md", "shipping.md", "warranty.md", "payment.md"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _ts(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    manifest = generate_demo(out)
    products = {p["product_id"]: p for p in _rows(manifest.products_path)}
    return manifest, products, _rows(manifest.events_path), _rows(manifest.orders_path)


def _sub(products, pid: str) -> str:
    return products[pid]["category"].split(" > ")[-1]


def test_same_seed_is_byte_identical_other_seed_differs(tmp_path, demo):
    manifest = demo[0]
    again = generate_demo(tmp_path / "a", seed=7)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (manifest.out_dir / name).read_bytes()
    for path in manifest.policy_paths:
        assert (tmp_path / "a" / "policies" / path.name).read_bytes() == path.read_bytes()
    assert again.counts == manifest.counts
    other = generate_demo(tmp_path / "b", seed=8)
    for name in FILES:
        assert (tmp_path / "b" / name).read_bytes() != (manifest.out_dir / name).read_bytes()
    assert other.showcase_users == manifest.showcase_users  # same personas, other behaviour


def test_output_does_not_depend_on_the_process(tmp_path, demo):
    """Same bytes from a fresh interpreter with another hash seed (no set-order leaks)."""
    code = "import sys; from pathlib import Path; from retrieval.demo import generate_demo; "
    code += "generate_demo(Path(sys.argv[1]))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, cwd=root)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo[0].out_dir / name).read_bytes()


def test_catalog_shape_and_value_formats(demo):
    manifest, products, _, _ = demo
    header = manifest.products_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "product_id,title,description,category,brand,price,currency,rating,"
        "review_count,in_stock,image_url,attributes"
    )
    rows = list(products.values())
    assert len(rows) == manifest.counts["products"] >= 500
    subs_by_top = defaultdict(set)
    for p in rows:
        top, sub = p["category"].split(" > ")
        subs_by_top[top].add(sub)
        assert p["currency"] == "GBP" and p["image_url"] == ""
        assert re.fullmatch(r"\d\.\d", p["rating"]) and 1.0 <= float(p["rating"]) <= 5.0
        assert re.fullmatch(r"0|[1-9]\d* new", p["in_stock"]), p["in_stock"]
        assert p["price"] == "" or re.fullmatch(r"\d+\.\d\d", p["price"])
        assert isinstance(json.loads(p["attributes"]), dict) and json.loads(p["attributes"])
    assert len(subs_by_top) >= 8
    assert all(2 <= len(subs) <= 4 for subs in subs_by_top.values()), subs_by_top
    assert sum(p["price"] == "" for p in rows) == round(0.02 * len(rows))
    assert sum(p["in_stock"] == "0" for p in rows) == round(0.08 * len(rows))
    assert len({p["title"] for p in rows}) >= 0.95 * len(rows)
    brand_tops = defaultdict(set)
    for p in rows:
        brand_tops[p["brand"]].add(p["category"].split(" > ")[0])
    assert any(len(tops) >= 2 for tops in brand_tops.values())
    brands_per_top = Counter(t for tops in brand_tops.values() for t in tops)
    assert all(brands_per_top[t] >= 4 for t in subs_by_top), brands_per_top


def test_text_and_prices_fit_the_subcategory(demo):
    _, products, _, _ = demo
    bands = {"Kettles": (15, 90), "Running Shoes": (40, 160), "Board Games": (8, 60)}
    for sub, (lo, hi) in bands.items():
        items = [p for p in products.values() if p["category"].endswith(f"> {sub}")]
        assert len(items) >= 10
        assert all(lo <= float(p["price"]) <= hi for p in items if p["price"])
    kettles = [p for p in products.values() if p["category"] == "Kitchen > Kettles"]
    assert all("Kettle" in p["title"] and "litre" in p["description"] for p in kettles)
    assert all("capacity_l" in json.loads(p["attributes"]) for p in kettles)
    phones = [p for p in products.values() if p["category"] == "Electronics > Headphones"]
    assert all("battery" in p["description"] for p in phones)
    clothes = [
        json.loads(p["attributes"]) for p in products.values() if "Clothing" in p["category"]
    ]
    assert all({"size", "color"} <= set(a) for a in clothes)


def test_price_and_rating_follow_brand_tier(demo):
    _, products, _, _ = demo
    by_sub = defaultdict(list)
    for p in products.values():
        if p["price"]:
            by_sub[p["category"]].append(p)
    premium, budget = [], []
    for items in by_sub.values():
        ranked = sorted(items, key=lambda p: float(p["price"]))
        for rank, p in enumerate(ranked):
            pos = rank / (len(ranked) - 1)
            if p["brand"] in {"Copperleaf", "Sonora", "Stride Lab", "Fenwick & Row"}:
                premium.append((pos, float(p["rating"])))
            elif p["brand"] in {"Kitchly", "Voltix", "Fitforge", "Basics Co"}:
                budget.append((pos, float(p["rating"])))
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert mean([x for x, _ in premium]) > mean([x for x, _ in budget]) + 0.3
    assert mean([r for _, r in premium]) > mean([r for _, r in budget]) + 0.4


def test_events_reference_known_users_and_products(demo):
    manifest, products, events, _ = demo
    users = {e["user_id"] for e in events}
    assert len(users) == manifest.counts["users"] >= 50
    assert all(re.fullmatch(r"u\d{3}", u) for u in users)
    kinds = Counter(e["event"] for e in events)
    assert set(kinds) == {"view", "cart", "purchase", "return", "rating", "search", "review"}
    assert kinds == manifest.event_counts
    assert 0.15 <= kinds["purchase"] / kinds["cart"] <= 0.30
    for e in events:
        assert _ts(e["ts"]) <= manifest.now
        if e["event"] == "search":
            assert e["product_id"] == "" and e["query"]
        else:
            assert e["product_id"] in products and e["query"] == ""
        assert (e["rating"] != "") == (e["event"] in {"rating", "review"})
        assert (e["text"] != "") == (e["event"] == "review")
        assert (e["quantity"] != "") == (e["event"] in {"cart", "purchase", "return"})
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    span = _ts(events[-1]["ts"]) - _ts(events[0]["ts"])
    assert timedelta(days=150) < span <= timedelta(days=184)


def test_each_users_timestamps_strictly_increase(demo):
    _, _, events, _ = demo
    seen = defaultdict(list)
    for e in events:
        seen[e["user_id"]].append(e["ts"])
    assert all(len(set(ts)) == len(ts) for ts in seen.values())


def test_orders_match_purchase_events(demo):
    manifest, products, events, orders = demo
    purchases = Counter(
        (e["user_id"], e["product_id"], e["ts"], e["quantity"])
        for e in events
        if e["event"] == "purchase"
    )
    rows = Counter((o["user_id"], o["product_id"], o["ordered_at"], o["quantity"]) for o in orders)
    assert rows == purchases and len(orders) == manifest.counts["order_items"]
    owner = {}
    for o in orders:
        assert re.fullmatch(r"ORD-1\d{4}", o["order_id"])
        assert owner.setdefault(o["order_id"], o["user_id"]) == o["user_id"]
        ordered = _ts(o["ordered_at"])
        if o["status"] in {"delivered", "returned"}:
            delivered = _ts(o["delivered_at"])
            assert ordered < delivered <= manifest.now
            days = (ordered.date() + timedelta(days=n) for n in range(1, 15))
            business = sum(d.weekday() < 5 for d in days if d <= delivered.date())
            # next business day at the earliest; one more when ordered after the cutoff
            assert 1 <= business <= POLICY_FACTS["standard_delivery_business_days_max"] + 1
        else:
            assert o["status"] in {"placed", "processing", "shipped", "cancelled"}
            assert o["delivered_at"] == ""
            if o["status"] != "cancelled":
                assert manifest.now - ordered < timedelta(days=10)
    assert len(owner) < len(orders)  # some orders hold several items
    statuses = Counter(o["status"] for o in orders)
    assert statuses["delivered"] > statuses["returned"] > 0


def test_returns_follow_delivery_within_the_window(demo):
    _, products, events, orders = demo
    returned = [o for o in orders if o["status"] == "returned"]
    returns = [e for e in events if e["event"] == "return"]
    assert len(returns) == len(returned) > 0
    window = timedelta(days=POLICY_FACTS["return_window_days"])
    for e in returns:
        matches = [
            o
            for o in returned
            if (o["user_id"], o["product_id"], o["quantity"])
            == (e["user_id"], e["product_id"], e["quantity"])
            and _ts(o["ordered_at"]) < _ts(o["delivered_at"]) < _ts(e["ts"])
            and _ts(e["ts"]) <= _ts(o["delivered_at"]) + window
        ]
        assert matches, e
        top = products[e["product_id"]]["category"].split(" > ")[0]
        assert top not in POLICY_FACTS["non_returnable_if_opened"]


def test_showcase_users_have_distinct_tastes(demo):
    manifest, products, events, orders = demo
    assert len(manifest.showcase_users) >= 3
    assert "coffee" in manifest.showcase_users["u001"]
    assert "parent" in manifest.showcase_users["u003"]

    def shares(user: str) -> dict[str, float]:
        views = Counter(
            products[e["product_id"]]["category"].split(" > ")[0]
            for e in events
            if e["user_id"] == user and e["event"] == "view"
        )
        total = sum(views.values())
        return {top: n / total for top, n in views.items()}

    coffee, parent = shares("u001"), shares("u003")
    assert max(coffee, key=coffee.get) in {"Kitchen", "Food & Drink"}
    assert max(parent, key=parent.get) in {"Toys", "Books"}
    distance = 0.5 * sum(abs(coffee.get(t, 0) - parent.get(t, 0)) for t in coffee | parent)
    assert distance > 0.6
    in_transit = {
        o["user_id"] for o in orders if o["status"] in {"placed", "processing", "shipped"}
    }
    assert len(in_transit & set(manifest.showcase_users)) >= 3


def test_shoppers_follow_their_price_band_and_coherent_tastes(demo):
    manifest, products, events, _ = demo
    prices = defaultdict(list)
    for p in products.values():
        if p["price"]:
            prices[p["category"]].append(float(p["price"]))
    views = defaultdict(list)
    for e in events:
        if e["event"] == "view":
            views[e["user_id"]].append(products[e["product_id"]])

    def price_rank(user: str) -> float:  # mean price percentile of what the user looked at
        ranks = []
        for p in views[user]:
            if p["price"]:
                same = prices[p["category"]]
                ranks.append(sum(x < float(p["price"]) for x in same) / len(same))
        return sum(ranks) / len(ranks)

    assert price_rank("u001") > price_rank("u003") + 0.12  # premium coffee lover vs budget parent
    coherent = 0
    others = [u for u in views if u not in manifest.showcase_users]
    for user in others:
        top2 = [c for c, _ in Counter(p["category"] for p in views[user]).most_common(2)]
        (top_a, sub_a), (top_b, sub_b) = (c.split(" > ") for c in (top2 * 2)[:2])
        linked = sub_b in COMPLEMENTS.get(sub_a, []) or sub_a in COMPLEMENTS.get(sub_b, [])
        coherent += top_a == top_b or linked
    assert coherent >= 0.45 * len(others)  # unrelated random tastes give ~0.15


def test_purchases_lead_to_complements_and_repeats(demo):
    _, products, events, _ = demo
    by_user = defaultdict(list)
    for e in events:
        if e["event"] in {"view", "purchase"}:
            by_user[e["user_id"]].append(
                (_ts(e["ts"]), e["event"], _sub(products, e["product_id"]))
            )
    week = timedelta(days=7)
    after = before = total = 0
    for evs in by_user.values():
        for t0, kind, sub in evs:
            if kind != "purchase" or sub not in COMPLEMENTS:
                continue
            comp = [t for t, k, s in evs if k == "view" and s in COMPLEMENTS[sub]]
            total += 1
            after += any(t0 < t <= t0 + week for t in comp)
            before += any(t0 - week <= t < t0 for t in comp)
    # buying X makes a view of X's complements in the next week far likelier than in the last
    assert total >= 30
    assert after >= 0.4 * total and after >= 1.5 * before
    days = sorted(
        {t.date() for t, k, s in by_user["u001"] if k == "purchase" and s == "Coffee Beans"}
    )
    assert len(days) >= 3 and (days[-1] - days[0]).days >= 28  # bought again and again


def test_policies_state_the_policy_facts(demo):
    manifest = demo[0]
    texts = {p.name: p.read_text(encoding="utf-8") for p in manifest.policy_paths}
    assert set(POLICIES) <= set(texts)
    for name in POLICIES:
        lines = texts[name].splitlines()
        assert lines[0].startswith("# ")
        assert sum(line.startswith("## ") for line in lines) >= 3
    f = POLICY_FACTS
    returns, shipping = texts["returns.md"], texts["shipping.md"]
    assert {int(n) for n in re.findall(r"(\d+) days", returns)} == {f["return_window_days"]}
    assert "of delivery" in returns and money(f["return_label_fee"]) in returns
    refund = f"{f['refund_business_days_min']}-{f['refund_business_days_max']} business days"
    assert refund in returns and refund in texts["faq.md"]
    assert money(f["free_shipping_threshold"]) == "£40" and "over £40" in shipping
    fees = ("free_shipping_threshold", "standard_shipping_fee", "express_shipping_fee")
    std = f"{f['standard_delivery_business_days_min']}-{f['standard_delivery_business_days_max']}"
    assert std in shipping and f"{f['express_cutoff_hour']}:00" in shipping
    assert f"{f['warranty_years_electronics']}-year warranty" in texts["warranty.md"]
    assert f"{f['warranty_years_default']}-year warranty" in texts["warranty.md"]
    assert all(m in texts["payment.md"] for m in f["payment_methods"])
    # every amount the shipping page names is one of the facts, and every fee is named
    assert set(re.findall(r"£\d+(?:\.\d\d)?", shipping)) == {money(f[k]) for k in fees}


def test_naive_now_is_utc_and_bad_sizes_fail(tmp_path):
    manifest = generate_demo(
        tmp_path / "n", n_products=80, n_users=6, now=datetime(2026, 3, 1, 9, 0)
    )
    assert manifest.now == datetime(2026, 3, 1, 9, 0, tzinfo=UTC) != DEFAULT_NOW
    assert manifest.counts["products"] == 80 and manifest.counts["users"] == 6
    assert max(e["ts"] for e in _rows(manifest.events_path)) < "2026-03-01T09:00:00Z"
    with pytest.raises(ValueError, match="n_products"):
        generate_demo(tmp_path / "x", n_products=10)
