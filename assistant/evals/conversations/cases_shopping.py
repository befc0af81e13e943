"""Shopping cases: gift searches, superlatives, comparisons and multi-turn refinements (on the demo
store and, when its CSV is present, the toys catalogue), personal picks, things not sold."""

from __future__ import annotations

import itertools
import re

from assistant.evals.conversations.case_data import (
    PER_CATEGORY,
    TOYS_PER_CATEGORY,
    budget,
    case,
)
from assistant.evals.conversations.case_wording import price_phrase, vary
from assistant.evals.conversations.phrasings import NOT_SOLD, NOUNS, TOYS_NOUNS


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
