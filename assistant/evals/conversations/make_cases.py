"""Generate `cases.jsonl` for `shopassist eval conversations` (run once; output committed).

    python -m assistant.evals.conversations.make_cases

Deterministic (seed 14): the demo store comes from `retrieval.demo.generate_demo`, the toys cases
from the first 2,000 rows of ../shared/data/amazon_uk_toys/products.csv (skipped with a message
when absent), a third of the customer-service phrasings from ../shared/data/bitext_support.
Cases carry declarative expectations only; the oracle computes the answers at run time.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

from assistant.evals.conversations.basket_cases import basket_cases
from assistant.evals.conversations.case_data import case, load_demo, products, read_csv
from assistant.evals.conversations.case_wording import vary
from assistant.evals.conversations.cases_service import (
    handoff_cases,
    order_cases,
    policy_cases,
    return_cases,
)
from assistant.evals.conversations.cases_shopping import (
    comparison_cases,
    gift_cases,
    multi_turn_cases,
    not_sold_cases,
    personal_cases,
    superlative_cases,
)

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[3] / "shared" / "data"
TOYS_CSV = SHARED / "amazon_uk_toys" / "products.csv"
PAIRS_CSV = SHARED / "bitext_support" / "pairs.csv"
SEED = 14
SHOPPING = ("gift_open_search", "superlatives", "comparisons", "multi_turn")


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
