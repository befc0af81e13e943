"""The conversation eval's oracle: expectations computed from a store's RAW files, checked against
the answer as shown to the shopper (each turn's text and cards). Standard library only: it must
not import `assistant` or `retrieval` (a unit test enforces this), so the engine cannot grade
itself.

`check_case(case, turns, store, today)` → `{"passed", "violations", "misses"}`. A violation is a
wrong fact anywhere (price, rating, date, id, false superlative, false "free" delivery, a card
breaking the constraints); a miss is an expected fact absent. Either fails the case.

The oracle's parts, each standard library only and importing only its sibling oracle modules:
- `oracle_reading`: the raw values (price, rating, stock) and the answer as shown (sentences,
  products named, dates, numbers typed, yes/no stance);
- `oracle_store`: loading the raw store, the user's orders and rule dates, the case's constraints;
- `oracle_facts`: the per-fact violations of each turn (`turn_violations`);
- `oracle_misses`: the expected facts per case family (`MISSES`);
- `oracle_basket`: basket cases, simulated from the answers shown.
This module grades a case and re-exports the parts' public names, so `oracle.X` keeps working.
"""

from __future__ import annotations

from datetime import date

from assistant.evals.conversations.oracle_facts import (
    allowed_dates,
    check_amounts,
    check_cards,
    check_dates,
    check_free,
    check_named,
    check_order_ids,
    check_ratings,
    check_superlative,
    superlative_universe,
    turn_violations,
    without_titles,
)
from assistant.evals.conversations.oracle_misses import (
    MISSES,
    miss_compare,
    miss_handoff,
    miss_items,
    miss_not_sold,
    miss_order_status,
    miss_personal,
    miss_policy,
    miss_ref,
    miss_return,
    miss_superlative,
    policy_value,
    return_expected,
    target_leaves,
)
from assistant.evals.conversations.oracle_reading import (
    MONTHS,
    dates_in,
    named_products,
    numbers_in,
    parse_price,
    parse_rating,
    parse_stock,
    sentences,
    stance,
    stock_count,
)
from assistant.evals.conversations.oracle_store import (
    TOYS_COLUMNS,
    add_business_days,
    breaks,
    constraints,
    in_category,
    line_dates,
    load_store,
    newest_order_ids,
    qualifying,
    ranked,
    user_orders,
    value,
)

__all__ = [
    "MISSES",
    "MONTHS",
    "TOYS_COLUMNS",
    "add_business_days",
    "allowed_dates",
    "breaks",
    "check_amounts",
    "check_cards",
    "check_case",
    "check_dates",
    "check_free",
    "check_named",
    "check_order_ids",
    "check_ratings",
    "check_superlative",
    "constraints",
    "dates_in",
    "in_category",
    "line_dates",
    "load_store",
    "miss_compare",
    "miss_handoff",
    "miss_items",
    "miss_not_sold",
    "miss_order_status",
    "miss_personal",
    "miss_policy",
    "miss_ref",
    "miss_return",
    "miss_superlative",
    "named_products",
    "newest_order_ids",
    "numbers_in",
    "parse_price",
    "parse_rating",
    "parse_stock",
    "policy_value",
    "qualifying",
    "ranked",
    "return_expected",
    "sentences",
    "stance",
    "stock_count",
    "superlative_universe",
    "target_leaves",
    "turn_violations",
    "user_orders",
    "value",
    "without_titles",
]


def check_case(case: dict, turns: list[dict], store: dict, today: date) -> dict:
    """Grade one played case. `turns`: per turn {"answer": str, "cards": [card…], "ticket_id"?}."""
    violations = [
        v for i in range(len(turns)) for v in turn_violations(case, turns, i, store, today)
    ]
    misses = MISSES[case["expect"]["kind"]](case, turns, store, today)
    violations = list(dict.fromkeys(violations))
    return {"passed": not violations and not misses, "violations": violations, "misses": misses}
