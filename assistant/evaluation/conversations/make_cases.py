"""Generate `cases.jsonl` for `shopassist eval conversations` (run once; output committed).

    python -m assistant.evaluation.conversations.make_cases

Deterministic (seed 14): the demo store comes from `retrieval.demo.generate_demo`, the toys cases
from the first 2,000 rows of ../shared/data/amazon_uk_toys/products.csv (skipped with a message
when absent), a third of the customer-service phrasings from ../shared/data/bitext_support.
Cases carry declarative expectations only; the oracle computes the answers at run time.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from assistant.evaluation.conversations.basket_cases import basket_cases
from assistant.evaluation.conversations.phrasings import (
    FILLERS,
    HANDOFF,
    NOT_SOLD,
    NOUNS,
    POLICY,
    TAILS,
    TOYS_NOUNS,
)

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[3] / "shared" / "data"
TOYS_CSV = SHARED / "amazon_uk_toys" / "products.csv"
PAIRS_CSV = SHARED / "bitext_support" / "pairs.csv"
SEED = 14
PER_CATEGORY = 33
TOYS_PER_CATEGORY = 10
SHOPPING = ("gift_open_search", "superlatives", "comparisons", "multi_turn")


def read_csv(path: Path, limit: int | None = None) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(itertools.islice(csv.DictReader(fh), limit))


def num(text: str) -> float | None:
    text = re.sub(r"[£,\s]", "", text or "").split("out")[0]
    try:
        return float(text)
    except ValueError:
        return None


def products(rows: list[dict], cat_col: str, price_col: str, stock_col: str) -> list[dict]:
    """Priced, in-stock products with their category levels (a generator's view, not the oracle)."""
    out = []
    for r in rows:
        stock = re.findall(r"\d+", r[stock_col] or "")
        price = num(r[price_col])
        if price is not None and stock and int(stock[0]) > 0:
            out.append({"price": price, "levels": [c.strip() for c in r[cat_col].split(">")]})
    return out


def budget(items: list[dict], level: str, rng: random.Random) -> int:
    prices = sorted(p["price"] for p in items if level in p["levels"])
    pick = prices[min(len(prices) - 1, max(1, int(len(prices) * rng.uniform(0.3, 0.7))))]
    return int(pick // 5 + 1) * 5


def vary(rng: random.Random, text: str) -> str:
    """The way people type: filler, lower case, a typo, a tail."""
    if rng.random() < 0.5:
        text = rng.choice(FILLERS) + text
    if rng.random() < 0.4:
        text = text.lower()
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if long and rng.random() < 0.35:
        i = rng.choice(long)
        j = rng.randrange(1, len(words[i]) - 2)
        w = words[i]
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words) + (rng.choice(TAILS) if rng.random() < 0.4 else "")


def price_phrase(rng: random.Random, amount: int) -> str:
    return rng.choice((f"under £{amount}", f"under {amount}", f"below £{amount}",
                       f"less than {amount} pounds", f"for under {amount} quid"))  # fmt: skip


def case(cat, catalog, user, turns, expect, source="written"):
    return {"category": cat, "catalog": catalog, "user": user, "turns": turns, "expect": expect,
            "source": source}  # fmt: skip


def gift_cases(rng, demo, toys) -> list[dict]:
    items = demo["items"]
    out = [
        case("gift_open_search", "demo", None, ["I'm looking for a gift under 30, what do you suggest?"],
             {"kind": "items", "price_max": 30}),
        case("gift_open_search", "demo", None, ["Show me coffee"],
             {"kind": "items", "category": ["Coffee Beans", "Coffee Makers"]}),
        case("gift_open_search", "demo", "u001", ["a gift for a coffee lover under £40"],
             {"kind": "items", "category": ["Coffee Beans", "Coffee Makers", "Mugs & Cups"], "price_max": 40}),
    ]  # fmt: skip
    themed = [("a tea lover", ["Tea", "Mugs & Cups"]), ("a keen gardener", ["Garden"]),
              ("a bookworm", ["Books"]), ("someone who runs", ["Running Shoes", "Running Socks", "Water Bottles"]),
              ("a chocoholic", ["Chocolate"]), ("my niece who loves puzzles", ["Puzzles"])]  # fmt: skip
    for who, cats in themed:
        b = max(budget(items, cats[0], rng) for _ in range(2))
        text = rng.choice((f"gift for {who} {{p}}", f"any ideas for a present for {who}, {{p}}"))
        out.append(case("gift_open_search", "demo", None, [vary(rng, text.format(p=price_phrase(rng, b)))],
                        {"kind": "items", "category": cats, "price_max": b}))  # fmt: skip
    for leaf in rng.sample(sorted(NOUNS), PER_CATEGORY - TOYS_PER_CATEGORY - len(out)):
        b, plural = budget(items, leaf, rng), NOUNS[leaf][1]
        expect = {"kind": "items", "category": leaf, "price_max": b}
        text = rng.choice((f"{plural} {{p}}", f"I'm looking for {plural} {{p}}", f"show me some {plural} {{p}}",
                           f"need a gift, maybe {plural}? {{p}}"))  # fmt: skip
        if rng.random() < 0.3:
            expect["rating_min"], text = 4.0, text + " rated 4 or more"
        out.append(case("gift_open_search", "demo", rng.choice((None, demo["users"][0])),
                        [vary(rng, text.format(p=price_phrase(rng, b)))], expect))  # fmt: skip
    for level in sorted(TOYS_NOUNS)[:TOYS_PER_CATEGORY] if toys else []:
        b = budget(toys["items"], level, rng)
        out.append(case("gift_open_search", "toys", None,
                        [vary(rng, f"a gift for a child, {TOYS_NOUNS[level]} {price_phrase(rng, b)}")],
                        {"kind": "items", "category": level, "price_max": b}))  # fmt: skip
    return out


def superlative_cases(rng, demo, toys) -> list[dict]:
    out = [
        case(
            "superlatives",
            "demo",
            None,
            ["what's the cheapest kettle"],
            {"kind": "superlative", "which": "cheapest", "n": 1, "category": "Kettles"},
        )
    ]
    forms = [("cheapest", 1, "what's the cheapest {s}?"), ("best_rated", 1, "which {s} is best rated"),
             ("best_rated", 1, "best rated {s} {p}"), ("cheapest", 2, "the two cheapest {pl}"),
             ("best_rated", 2, "show me the 2 highest rated {pl}"), ("cheapest", 1, "lowest price {s} you have"),
             ("cheapest", 1, "cheapest {s} rated 4 or more")]  # fmt: skip
    leaves = sorted(NOUNS)
    for i in range(PER_CATEGORY - TOYS_PER_CATEGORY - 1):
        which, n, form = forms[i % len(forms)]
        leaf = leaves[(i * 7) % len(leaves)]
        expect = {"kind": "superlative", "which": which, "n": n, "category": leaf}
        b = budget(demo["items"], leaf, rng) + 10
        if "{p}" in form:
            expect["price_max"] = b
        if "rated 4" in form:
            expect["rating_min"] = 4.0
        s, pl = NOUNS[leaf]
        out.append(
            case(
                "superlatives",
                "demo",
                None,
                [vary(rng, form.format(s=s, pl=pl, p=price_phrase(rng, b)))],
                expect,
            )
        )
    for i, level in enumerate(sorted(TOYS_NOUNS)[:TOYS_PER_CATEGORY] if toys else []):
        which, n = ("cheapest", 1 + i % 2) if i % 3 else ("best_rated", 1)
        text = {("cheapest", 1): "cheapest {t}", ("cheapest", 2): "the two cheapest {t}",
                ("best_rated", 1): "best rated {t}"}[(which, n)]  # fmt: skip
        out.append(case("superlatives", "toys", None, [vary(rng, text.format(t=TOYS_NOUNS[level]))],
                        {"kind": "superlative", "which": which, "n": n, "category": level}))  # fmt: skip
    return out


def comparison_cases(rng, demo, toys) -> list[dict]:
    out = [
        case(
            "comparisons",
            "demo",
            None,
            ["compare the two cheapest kettles"],
            {"kind": "compare", "which": "cheapest", "n": 2, "category": "Kettles"},
        )
    ]
    leaves = sorted(NOUNS)
    by_leaf = demo["by_leaf"]
    for i in range(PER_CATEGORY - TOYS_PER_CATEGORY - 1):
        leaf = leaves[(i * 3 + 1) % len(leaves)]
        s, pl = NOUNS[leaf]
        kind = i % 4
        if kind == 0:
            turns, expect = [f"compare the two best rated {pl}"], {"which": "best_rated", "n": 2}
        elif kind == 1:
            a, b = rng.sample(by_leaf[leaf], 2)
            expect = {"ids": [a, b]}
            if i % 8 == 5:
                a, b = demo["titles"][a], demo["titles"][b]
            turns = [rng.choice((f"compare {a} and {b}", f"{a} vs {b}, which is better?",
                                 f"whats the difference between {a} and {b}"))]  # fmt: skip
        elif kind == 2:
            b = budget(demo["items"], leaf, rng) + 10
            turns, expect = [f"{pl} {price_phrase(rng, b)}", rng.choice(("compare the first two",
                             "can you compare the top 2", "how do the first two compare?"))], {"previous": [1, 2]}  # fmt: skip
        else:
            turns, expect = (
                [f"the 2 cheapest {pl} side by side please"],
                {"which": "cheapest", "n": 2},
            )
        expect = {"kind": "compare", "category": leaf, **expect}
        out.append(case("comparisons", "demo", None, [vary(rng, t) for t in turns], expect))
    for i, level in enumerate(sorted(TOYS_NOUNS)[:TOYS_PER_CATEGORY] if toys else []):
        which = ("cheapest", "best_rated")[i % 2]
        text = f"compare the two {'cheapest' if which == 'cheapest' else 'best rated'} {TOYS_NOUNS[level]}"
        out.append(case("comparisons", "toys", None, [vary(rng, text)],
                        {"kind": "compare", "which": which, "n": 2, "category": level}))  # fmt: skip
    return out


def multi_turn_cases(rng, demo, toys) -> list[dict]:
    coffee = ["Coffee Beans", "Coffee Makers", "Mugs & Cups"]
    out = [case("multi_turn", "demo", "u001", ["a gift for a coffee lover under £20", "only things rated 4.5 or more"],
                {"kind": "items", "category": coffee, "price_max": 20, "rating_min": 4.5})]  # fmt: skip
    leaves = sorted(NOUNS)
    for i in range(PER_CATEGORY - TOYS_PER_CATEGORY - 1):
        leaf = leaves[(i * 5 + 2) % len(leaves)]
        pl = NOUNS[leaf][1]
        hi = budget(demo["items"], leaf, rng) + 15
        lo = max(5, hi - 10)
        kind = i % 4
        if kind == 0:
            turns = [f"{pl} {price_phrase(rng, hi)}", rng.choice((f"cheaper, under {lo}", f"something cheaper, below £{lo}", f"hmm too much. under {lo}?"))]  # fmt: skip
            expect = {"kind": "items", "category": leaf, "price_max": lo}
        elif kind == 1:
            turns = [f"show me {pl}", rng.choice(("only ones rated 4 or more", "just the ones with 4+ stars", "only things rated 4 or more")), f"and {price_phrase(rng, hi)}"]  # fmt: skip
            expect = {"kind": "items", "category": leaf, "price_max": hi, "rating_min": 4.0}
        elif kind == 2:
            turns = [f"{pl} {price_phrase(rng, hi)}", rng.choice(("tell me more about the second one", "the second one", "what about the 2nd one?"))]  # fmt: skip
            expect = {"kind": "ref", "index": 2}
        else:
            other = leaves[(i * 5 + 9) % len(leaves)]
            turns = [
                f"{pl} {price_phrase(rng, hi)}",
                f"actually, what about {NOUNS[other][1]} instead",
            ]
            expect = {"kind": "items", "category": other}
        out.append(case("multi_turn", "demo", None, [vary(rng, t) for t in turns], expect))
    for i, level in enumerate(sorted(TOYS_NOUNS)[:TOYS_PER_CATEGORY] if toys else []):
        b = budget(toys["items"], level, rng) + 10
        second = ("only ones rated 4.5 or more", f"cheaper, under {max(3, b - 8)}")[i % 2]
        expect = {
            "kind": "items",
            "category": level,
            "price_max": b if i % 2 == 0 else max(3, b - 8),
        }
        if i % 2 == 0:
            expect["rating_min"] = 4.5
        out.append(
            case("multi_turn", "toys", None, [f"{TOYS_NOUNS[level]} under £{b}", second], expect)
        )
    return out


def bitext(
    pairs: list[dict], intents: tuple[str, ...], rng, n: int, keep=lambda r: True
) -> list[dict]:
    rows = sorted(
        (r for r in pairs if r["intent"] in intents and keep(r)), key=lambda r: r["instruction"]
    )
    return rng.sample(rows, n)


def with_order(text: str, row: dict, oid: str) -> str:
    """A Bitext instruction with its order number replaced by this store's order id."""
    text = re.sub(r"\{\{[^}]*\}\}", oid, text)
    text = re.sub(r"\b\d{5,}\b", oid, text)
    return text if oid in text else f"{text.rstrip('?. ')} (order {oid})"


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


def personal_cases(rng, demo) -> list[dict]:
    last = ("something like what I bought last time", "more like my last order pls", "similar to what i got last time?",
            "show me stuff like the thing i bought recently", "i liked my last purchase, anything similar")  # fmt: skip
    hist = ("recommend something for me", "what would I like?", "any picks for me?", "surprise me with something i'd like",
            "got any suggestions based on what i usually buy", "what should i buy next")  # fmt: skip
    out = [
        case(
            "personalisation",
            "demo",
            "u001",
            [last[0]],
            {"kind": "personal", "like": "last_purchase"},
        )
    ]
    for i, u in enumerate(rng.sample(demo["users"], PER_CATEGORY - 1)):
        like, forms = ("last_purchase", last) if i % 2 else ("history", hist)
        out.append(
            case(
                "personalisation",
                "demo",
                u,
                [vary(rng, rng.choice(forms))],
                {"kind": "personal", "like": like},
            )
        )
    return out


def not_sold_cases(rng, demo) -> list[dict]:
    titles = " ".join(demo["titles"].values()).lower()
    things = [t for t in NOT_SOLD if not re.search(r"\b" + re.escape(t.split()[-1]), titles)]
    forms = (
        "do you sell {x}?",
        "I need {x}",
        "looking for {x} under 100",
        "have you got {x}",
        "{x}",
    )
    return [case("not_sold", "demo", None, [vary(rng, forms[i % len(forms)].format(x=x))], {"kind": "not_sold"})
            for i, x in enumerate(itertools.islice(itertools.cycle(things), PER_CATEGORY))]  # fmt: skip


def load_demo(folder: Path) -> dict:
    rows = read_csv(folder / "products.csv")
    orders = read_csv(folder / "orders.csv")
    items = products(rows, "category", "price", "in_stock")
    by_leaf: dict[str, list[str]] = {}
    for r in rows:
        if num(r["price"]) is not None and re.match(r"[1-9]", r["in_stock"]):
            by_leaf.setdefault(r["category"].split(" > ")[-1], []).append(r["product_id"])
    by_user: dict[str, list[dict]] = {}
    for r in orders:
        by_user.setdefault(r["user_id"], []).append(r)
    return {"items": items, "by_leaf": by_leaf, "titles": {r["product_id"]: r["title"] for r in rows},
            "orders": orders, "orders_by_user": by_user, "users": sorted(by_user)}  # fmt: skip


def choose_ci(cases: list[dict], rng) -> None:
    """Exactly 4 demo cases per category; the issue's table examples first."""
    for cat in Counter(c["category"] for c in cases):
        pool = [c for c in cases if c["category"] == cat and c["catalog"] == "demo"]
        firsts = pool[:1] + (
            [c for c in pool if c["turns"][0] == "Show me coffee"]
            if cat == "gift_open_search"
            else []
        )
        rest = [c for c in pool if c not in firsts]
        for c in firsts + rng.sample(rest, 4 - len(firsts)):
            c["subset_ci"] = True


def main(out: Path = HERE / "cases.jsonl") -> list[dict]:
    from retrieval.demo import generate_demo

    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        generate_demo(Path(tmp))
        demo = load_demo(Path(tmp))
    toys = None
    if TOYS_CSV.exists():
        rows = read_csv(TOYS_CSV, 2000)
        toys = {
            "items": products(
                rows, "amazon_category_and_sub_category", "price_gbp", "number_available_in_stock"
            )
        }
    else:
        print(f"{TOYS_CSV} not found: toys cases skipped", file=sys.stderr)
    pairs = read_csv(PAIRS_CSV) if PAIRS_CSV.exists() else None
    if pairs is None:
        print(f"{PAIRS_CSV} not found: no Bitext phrasings", file=sys.stderr)
    cases = (gift_cases(rng, demo, toys) + superlative_cases(rng, demo, toys) + comparison_cases(rng, demo, toys)
             + order_cases(rng, demo, pairs) + return_cases(rng, demo, pairs) + policy_cases(rng, demo, pairs)
             + personal_cases(rng, demo) + multi_turn_cases(rng, demo, toys) + handoff_cases(rng, demo, pairs)
             + not_sold_cases(rng, demo))  # fmt: skip
    # its own draws, so the earlier cases are unchanged
    cases += basket_cases(random.Random(SEED + 15), demo, case, vary)
    counts: Counter = Counter()
    for c in cases:
        counts[c["category"]] += 1
        c["id"] = f"{c['category']}-{counts[c['category']]:03d}"
        c["subset_ci"] = False
    choose_ci(cases, rng)
    keys = ("id", "category", "catalog", "user", "turns", "expect", "subset_ci", "source")
    return write_cases(out, cases, keys)


def write_cases(out: Path, cases: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """The cases as JSONL (only `keys`, in that order), with a one-line summary printed."""
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({k: c[k] for k in keys}, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {out}: {dict(Counter(c['category'] for c in cases))}")
    return cases


if __name__ == "__main__":
    main()
