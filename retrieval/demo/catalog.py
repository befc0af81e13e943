"""Template tables for the demo store: subcategories, brands, complements, texts and policies.

The tables live as data in `retrieval/demo/data/` and are loaded here once, into the Python
shapes the generator uses:

- `names.json`: shared word lists (colours, sizes, model names, author names).
- `brands.json`: brand -> tier, quality 0..1 and top categories, loaded as `BRANDS[name] =
  (tier, quality, tops)`.
- `subcategories.json`: subcategory -> template (`SUBCATS`). `attrs` are stored on the product
  (null = a generated author; a string such as "colors" or "colors[:6]" names a list of
  `names.json`); `extras` only feed the text; `phrases` map an attribute value to wording
  (`[[value, wording], ...]`); `desc[0]` is always used, then two of the rest.
- `shopping.json`: complementary subcategories, the staples bought again every few weeks
  (`REPEAT_SUBS`), those bought several at a time (`MULTI_QTY_SUBS`) and the showcase shoppers.
- `texts.json`: review texts per mood and the brand-tier line that ends each description.
- `policy_facts.json`: the numbers the policies state; code elsewhere decides eligibility from
  these, never from prose. `return_window_days` is counted from the delivery date; the
  `return_label_fee` applies to change-of-mind returns (faulty items return free);
  `non_returnable_if_opened` lists top-level categories; `express_cutoff_hour` is UK time,
  Monday to Friday.
- `policies/*.md`: the policy Markdown templates, filled in from the facts.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

DATA = files(__package__) / "data"
POLICY_NAMES = ("returns.md", "shipping.md", "warranty.md", "payment.md", "faq.md")


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


_NAMES = _load("names.json")
COLORS: list[str] = _NAMES["colors"]
SIZES: list[str] = _NAMES["sizes"]
MODELS: list[str] = _NAMES["models"]
MODEL_SUFFIXES: list[str] = _NAMES["model_suffixes"]
FIRST_NAMES: list[str] = _NAMES["first_names"]
LAST_NAMES: list[str] = _NAMES["last_names"]

# name -> (tier, quality 0..1, top categories)
BRANDS: dict[str, tuple[str, float, tuple[str, ...]]] = {
    name: (b["tier"], b["quality"], tuple(b["tops"])) for name, b in _load("brands.json").items()
}


def _values(value: list | str | None) -> list | None:
    """An attribute's values: a list as is, or a named list of names.json ("colors[:6]")."""
    if not isinstance(value, str):
        return value
    match = re.fullmatch(r"(\w+)(?:\[:(\d+)\])?", value)
    if not match or match[1] not in _NAMES:
        raise ValueError(f"unknown list reference in subcategories.json: {value!r}")
    listed = _NAMES[match[1]]
    return listed[: int(match[2])] if match[2] else listed


def _spec(raw: dict[str, Any]) -> dict[str, Any]:
    spec = dict(raw)
    spec["band"] = tuple(raw["band"])
    spec["attrs"] = {k: _values(v) for k, v in raw["attrs"].items()}
    if "phrases" in raw:
        spec["phrases"] = {
            name: (p["attr"], {value: words for value, words in p["wording"]})
            for name, p in raw["phrases"].items()
        }
    return spec


# Subcategory -> template. attrs are stored (None = generated author); extras only feed the text;
# phrases map an attribute value to wording; desc[0] always, then two of the rest.
SUBCATS: dict[str, dict[str, Any]] = {
    name: _spec(raw) for name, raw in _load("subcategories.json").items()
}

_SHOPPING = _load("shopping.json")
COMPLEMENTS: dict[str, list[str]] = _SHOPPING["complements"]
REPEAT_SUBS = set(_SHOPPING["repeat_subcategories"])  # bought again every few weeks
MULTI_QTY_SUBS = set(_SHOPPING["multi_quantity_subcategories"])
# tastes, band, activity, description
SHOWCASE: list[tuple[tuple[str, ...], str, str, str]] = [
    (tuple(s["tastes"]), s["band"], s["activity"], s["description"]) for s in _SHOPPING["showcase"]
]

_TEXTS = _load("texts.json")
REVIEWS: dict[str, list[str]] = _TEXTS["reviews"]
TIER_LINES: dict[str, str] = _TEXTS["tier_lines"]

# Numbers the policies state; code elsewhere decides eligibility from these, never from prose.
POLICY_FACTS: dict[str, Any] = _load("policy_facts.json")


def money(value: float) -> str:
    """£40 for whole pounds, £5.99 otherwise."""
    return f"£{value:.0f}" if float(value).is_integer() else f"£{value:.2f}"


POLICY_TEMPLATES: dict[str, str] = {
    name: (DATA / "policies" / name).read_text(encoding="utf-8") for name in POLICY_NAMES
}


def policy_documents() -> dict[str, str]:
    """The policy Markdown files, filled in from POLICY_FACTS."""
    f = dict(POLICY_FACTS)
    for key in (
        "return_label_fee",
        "free_shipping_threshold",
        "standard_shipping_fee",
        "express_shipping_fee",
    ):
        f[key] = money(f[key])
    f["non_returnable"] = " and ".join(f["non_returnable_if_opened"])
    methods = f["payment_methods"]
    f["payment_methods"] = ", ".join(methods[:-1]) + " and " + methods[-1]
    return {name: text.format(**f) for name, text in POLICY_TEMPLATES.items()}
