"""Regex denial of service: each user-text parser's worst time on 4,000-character adversarial
messages (RE2 patterns via retrieval.textre), and in the same run stdlib `re` on the old
patterns that backtracked, on their own bait.

The parsers run without models (rules-only intents, no tagger); the speller loads symspellpy's
English dictionary once (~2 s, not timed). The old greeting rule is exponential: it gets a
190-character message, since 4,000 characters would not finish.
Run: .venv/bin/python benchmarks/regex_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import time

from common import table

N = 4000
ADVERSARIAL = {
    "order, spaces, x": "order" + " " * (N - 6) + "x",
    "spaces, x": " " * (N - 1) + "x",
    "£, spaces, x": "£" + " " * (N - 2) + "x",
    "one letter": "a" * N,
    "a long price": "£" + "9" * (N - 1),
    "ORD-111…": "ORD-" + "1" * (N - 4),
    "open brackets": "(" * N,
    "open tags": "[P1 " * (N // 4),
    "digits and spaces": "1 " * (N // 2),
    "dashes": "5-" * (N // 2),
    "1,1,…": "1," * (N // 2),
    "thank you …, x": ("thank you " * N)[: N - 1] + "x",
    "not lego …": ("not lego " * N)[:N],
    "mixed CJK": ("我要乐高lego的 under £20 " * N)[:N],
}
# the old stdlib patterns (before retrieval.textre), each with the bait it backtracks on
OLD = {
    "order-id (conversation)": (
        r"\b(ORD-?\d+)\b|(?<![£$€\d.,])\b(\d{6,})\b|\b(?:order|purchase)\s*(?:number|no\.?|#)?\s*#?(\d{4,})\b",
        "order, spaces, x",
    ),
    "trailing politeness (conversation)": (
        r"(?:[\s,]+(?:please|instead|then|thanks|thank you|too|as well))+[\s.!?]*$|[\s.!?,]+$",
        "£, spaces, x",
    ),
    "leading tag (grounding)": (
        r"^\s*[-*•]?\s*(?P<lead>(?:[A-Za-z']+,?\s+){0,5})\[(?P<tag>P\d+)\]",
        "spaces, x",
    ),
}


def parsers() -> dict:
    from assistant.prompts import Evidence
    from assistant.turn.basket_act import quantity
    from assistant.turn.conversation_refs import order_ids
    from assistant.turn.decide import superlatives
    from assistant.turn.grounding import Grounder
    from assistant.turn.intents import IntentClassifier, rule_intent
    from assistant.turn.spelling import Speller
    from assistant.turn.understand import understand
    from retrieval.search.query import Vocabulary, parse_query

    vocab = Vocabulary(
        {"LEGO", "Hasbro", "Brewster"}, {"Board Games", "Sets & Kits", "Mugs & Cups"}
    )
    ev = Evidence("recommend", items=[{"product_id": "P00069", "title": "Kenya Coffee 500g",
                                       "price": 13.49, "currency": "GBP", "rating": 4.4}])  # fmt: skip
    classifier = IntentClassifier(use_model=False)
    Speller(dict).correct("warm up")  # loads the dictionary
    return {
        "order ids (conversation)": order_ids,
        "query filters (retrieval.search.query)": lambda t: parse_query(t, vocab),
        "intent rules (intents)": rule_intent,
        "grounding checks": lambda t: Grounder(ev, superlatives=superlatives(ev.items)).ground(t),
        "understand (rules only)": lambda t: understand(
            [{"role": "user", "content": t}], vocab=vocab, classifier=classifier
        ),
        "basket quantity": quantity,
        "speller": lambda t: Speller(dict).correct(t),  # a fresh one: nothing memoised
    }


def worst(fn, texts: dict[str, str], repeat: int) -> tuple[float, str]:
    """(the slowest text's best-of-`repeat` time in ms, its name)."""
    times = {}
    for name, text in texts.items():
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(text)
            best = min(best, time.perf_counter() - t0)
        times[name] = best * 1000
    name = max(times, key=times.get)
    return times[name], name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name, fn in parsers().items():
        ms, on = worst(fn, ADVERSARIAL, args.repeat)
        rows.append({"parser": name, "engine": "RE2 (textre)", "worst ms": ms, "on": on})
    for name, (pattern, bait) in OLD.items():
        rx = re.compile(pattern, re.I)
        ms, on = worst(lambda t, rx=rx: list(rx.finditer(t)), {bait: ADVERSARIAL[bait]}, 1)
        rows.append({"parser": name, "engine": "re, old pattern", "worst ms": ms, "on": on})
    from assistant.turn.intents import _GREETING

    greeting = re.compile(rf"^\W*{_GREETING}(?:[\s,!.?:;)(-]+{_GREETING})*[\s!.?:;)(-]*$", re.I)
    ms, _ = worst(greeting.search, {"bait": "thank you " * 18 + "x"}, 1)
    rows.append({"parser": "small-talk rule (intents)", "engine": "re, old pattern",
                 "worst ms": ms, "on": "thank you ×18, x (190 chars)"})  # fmt: skip
    print(f"{N}-character adversarial messages; RE2 rows: best of {args.repeat}")
    print(table(rows))


if __name__ == "__main__":
    main()
