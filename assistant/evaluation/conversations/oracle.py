"""The conversation eval's oracle: expectations computed from a store's RAW files, checked against
the answer as shown to the shopper (each turn's text and cards). Standard library only: it must
not import `assistant` or `retrieval` (a unit test enforces this), so the engine cannot grade
itself.

`check_case(case, turns, store, today)` → `{"passed", "violations", "misses"}`. A violation is a
wrong fact anywhere (price, rating, date, id, false superlative, false "free" delivery, a card
breaking the constraints); a miss is an expected fact absent. Either fails the case.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from datetime import date, timedelta
from pathlib import Path

TOYS_COLUMNS = {"product_id": "uniq_id", "title": "product_name", "price": "price_gbp",
                "category": "amazon_category_and_sub_category", "rating": "average_rating",
                "in_stock": "number_available_in_stock"}  # fmt: skip
MONTHS = ("january february march april may june july august september october november "
          "december").split()  # fmt: skip
_AMOUNT = re.compile(r"£\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d+\.\d\d)\b")
_RATING = re.compile(
    r"(\d(?:\.\d)?)\s*(?:/\s*5\b|out of 5|stars?|★)|rat(?:ed|ing)(?: of)?\s+(\d(?:\.\d)?)\b"
)
_ISO = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_LONG = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? (" + "|".join(MONTHS) + r")(?:,? (\d{4}))?", re.I)
_VERSUS = re.compile(r"\b(?:against|than|vs\.?|versus|less|more)\b", re.I)
_ORDER = re.compile(r"\bORD-\d+\b", re.I)
_IDTAG = re.compile(r"\b(P\d{5}|[0-9a-f]{32})\b")
_SUPER = {"cheapest": r"cheapest|lowest[- ]price[d]?|least expensive",
          "best_rated": r"best[- ]rated|highest[- ]rated|top[- ]rated"}  # fmt: skip
_STATUS = {"delivered": r"delivered|arrived", "shipped": r"shipped|on its way|dispatched",
           "processing": r"processing|being (?:packed|prepared)", "placed": r"placed|received",
           "cancelled": r"cancell?ed", "returned": r"returned"}  # fmt: skip
_NO = re.compile(r"\b(?:no|not|cannot|can't|can no longer|don't|do not|isn't|aren't|won't|only if|unfortunately|"
                 r"passed|ended|expired|already been returned)\b", re.I)  # fmt: skip
_OPEN_YES, _OPEN_NO = re.compile(r"^\W*yes\b", re.I), re.compile(r"^\W*no\b", re.I)
_YES = re.compile(
    r"\b(?:yes|you can|we accept|we take|we do|is free|ships free|can be returned|eligible|still)\b",
    re.I,
)


# --- raw store -----------------------------------------------------------------------------------
def parse_price(text: str) -> float | None:
    text = re.sub(r"[£$€\s]|GBP", "", text or "")
    if re.fullmatch(r"\d+,\d\d", text):
        text = text.replace(",", ".")
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def parse_rating(text: str) -> float | None:
    m = re.match(r"\s*(\d+(?:\.\d+)?)", text or "")
    return float(m[1]) if m else None


def parse_stock(text: str) -> bool | None:
    text = (text or "").strip().lower()
    if not text:
        return None
    m = re.match(r"(\d[\d,]*)", text)
    return int(m[1].replace(",", "")) > 0 if m else text in ("yes", "true", "in stock")


def stock_count(text: str) -> int | None:
    m = re.match(r"\s*(\d[\d,]*)", text or "")
    return int(m[1].replace(",", "")) if m else None


def load_store(path: Path, rows: int | None = None) -> dict:
    """A demo folder (products/orders/events.csv, store.json) or a toys products CSV."""
    path = Path(path)
    folder = path if path.is_dir() else None
    cols = {k: k for k in TOYS_COLUMNS} if folder else TOYS_COLUMNS
    with open(folder / "products.csv" if folder else path, encoding="utf-8", newline="") as fh:
        raw = list(itertools.islice(csv.DictReader(fh), rows))
    products = {}
    for r in raw:
        pid = r[cols["product_id"]]
        products[pid] = {"product_id": pid, "title": r[cols["title"]].strip(), "price": parse_price(r[cols["price"]]),
                         "rating": parse_rating(r[cols["rating"]]), "in_stock": parse_stock(r[cols["in_stock"]]),
                         "stock": stock_count(r[cols["in_stock"]]),
                         "levels": [c.strip().lower() for c in r[cols["category"]].split(">") if c.strip()]}  # fmt: skip
    store = {"products": products, "orders": [], "events": [], "rules": {}}
    if folder:
        for name in ("orders", "events"):
            with open(folder / f"{name}.csv", encoding="utf-8", newline="") as fh:
                store[name] = list(csv.DictReader(fh))
        store["rules"] = json.loads((folder / "store.json").read_text(encoding="utf-8"))
    return store


def add_business_days(start: date, days: int) -> date:
    d = start
    while days > 0:
        d += timedelta(days=1)
        days -= d.weekday() < 5
    return d


def user_orders(store: dict, user: str | None) -> list[dict]:
    """The user's order lines, newest first."""
    return sorted(
        (r for r in store["orders"] if r["user_id"] == user),
        key=lambda r: r["ordered_at"],
        reverse=True,
    )


def newest_order_ids(store: dict, user: str | None, n: int = 3) -> list[str]:
    return list(dict.fromkeys(r["order_id"] for r in user_orders(store, user)))[:n]


def line_dates(line: dict, rules: dict) -> set[date]:
    """Dates a sentence about this order line may state: its own and the ones the rules compute."""
    placed = date.fromisoformat(line["ordered_at"][:10])
    out = {placed}
    lo, hi = (
        rules.get("standard_delivery_business_days_min", 3),
        rules.get("standard_delivery_business_days_max", 5),
    )
    out |= {add_business_days(placed, lo), add_business_days(placed, hi)}
    if line["delivered_at"]:
        got = date.fromisoformat(line["delivered_at"][:10])
        out |= {got, got + timedelta(days=rules.get("return_window_days", 30))}
    return out


# --- reading the shown answer --------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    """The text's sentences, policy citations ([file.md › Section]) removed."""
    text = re.sub(r"\[[^\]]*(?:›|\.md)[^\]]*\]", "", text or "")
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def named_products(text: str, store: dict) -> list[str]:
    """Product ids named in the text (by id or by a title of 12+ characters), in order of mention;
    a title inside a longer named title does not count."""
    low, hits = text.lower(), []
    for m in _IDTAG.finditer(text):
        hits.append((m.start(), m.end(), m[1]))
    for pid, p in store["products"].items():
        title = p["title"].lower()
        if len(title) >= 12 and (at := low.find(title)) >= 0:
            hits.append((at, at + len(title), pid))
    keep = [
        h
        for h in hits
        if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
    ]
    # a title two products share names the one the text tags by id, if it tags one of them
    tagged = {m[1] for m in _IDTAG.finditer(text)}
    spans: dict[tuple[int, int], set[str]] = {}
    for a, b, pid in keep:
        spans.setdefault((a, b), set()).add(pid)
    keep = [
        h for h in keep if len(same := spans[h[:2]]) == 1 or h[2] in tagged or not same & tagged
    ]
    return list(dict.fromkeys(pid for _, _, pid in sorted(keep)))


def dates_in(text: str, today: date) -> list[date]:
    out = [date(int(y), int(m), int(d)) for y, m, d in _ISO.findall(text)]
    for d, month, year in _LONG.findall(text):
        out.append(date(int(year or today.year), MONTHS.index(month.lower()) + 1, int(d)))
    return out


def numbers_in(texts: list[str]) -> set[float]:
    """The numbers the shopper typed, in digits or in Chinese numerals ("四星" -> 4)."""
    digits = {
        float(x.replace(",", "")) for t in texts for x in re.findall(r"\d[\d,]*(?:\.\d+)?", t)
    }
    return digits | {_zh_number(x) for t in texts for x in re.findall(f"[{_ZH_DIGITS}十百千]+", t)}


_ZH_DIGITS = "零〇一二两三四五六七八九"
_ZH_VALUE = dict(zip(_ZH_DIGITS, (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _zh_number(text: str) -> float:
    """A Chinese numeral up to the thousands ("二十五" -> 25, "两百" -> 200)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_VALUE[ch]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = 0
    return float(total + digit)


def stance(text: str) -> str | None:
    """'no' when the first sentence with a yes/no signal is negative, 'yes' when affirmative."""
    for s in sentences(text):
        if _OPEN_YES.search(s) or _OPEN_NO.search(s):
            return "yes" if _OPEN_YES.search(s) else "no"
        if _NO.search(s):
            return "no"
        if _YES.search(s):
            return "yes"
    return None


# --- constraints ---------------------------------------------------------------------------------
def in_category(p: dict, category) -> bool:
    wanted = [category] if isinstance(category, str) else category
    return any(w.lower() in p["levels"] for w in wanted)


def breaks(p: dict, spec: dict) -> str | None:
    """Why product `p` does not qualify under the case's constraints (None when it does)."""
    price, rating = p["price"], p["rating"]
    if spec.get("category") and not in_category(p, spec["category"]):
        return f"category {' > '.join(p['levels'])} is not {spec['category']}"
    if "price_max" in spec and (price is None or price > spec["price_max"]
                                or (price == spec["price_max"] and not spec.get("price_max_inclusive"))):  # fmt: skip
        return f"price {price} is not under {spec['price_max']}"
    if "price_min" in spec and (price is None or price < spec["price_min"]):
        return f"price {price} is below {spec['price_min']}"
    if "rating_min" in spec and (rating is None or rating < spec["rating_min"]):
        return f"rating {rating} is below {spec['rating_min']}"
    if p["in_stock"] is not True:
        return "not in stock"
    return None


def qualifying(store: dict, spec: dict) -> list[dict]:
    return [p for p in store["products"].values() if breaks(p, spec) is None]


def ranked(items: list[dict], which: str) -> list[dict]:
    key = "price" if which == "cheapest" else "rating"
    have = [p for p in items if p[key] is not None]
    return sorted(have, key=lambda p: p[key], reverse=which == "best_rated")


def value(p: dict, which: str) -> float | None:
    return p["price"] if which == "cheapest" else p["rating"]


# --- per-fact violations -------------------------------------------------------------------------
def check_cards(turn: dict, store: dict, spec: dict | None) -> list[str]:
    out = []
    for card in turn["cards"]:
        p = store["products"].get(card["product_id"])
        if p is None:
            out.append(f"card {card['product_id']} is not a real product")
            continue
        if (
            card.get("price") is not None
            and p["price"] is not None
            and abs(card["price"] - p["price"]) > 0.005
        ):
            out.append(f"card {p['product_id']} shows {card['price']}, the store says {p['price']}")
        if spec is not None and (why := breaks(p, spec)):
            out.append(f"card {p['product_id']} breaks the request: {why}")
    return out


def check_named(turn: dict, store: dict, allowed: set[str]) -> list[str]:
    cards = {c["product_id"] for c in turn["cards"]}
    out = []
    for pid in named_products(turn["answer"], store):
        if pid not in store["products"]:
            out.append(f"{pid} named in the text is not a real product")
        elif pid not in cards | allowed:
            out.append(f"{pid} is named in the text but not among the cards")
    return out


def without_titles(sentence: str, named: list[dict]) -> str:
    """The sentence with the named products' titles cut out (their digits are names, not claims)."""
    for p in sorted(named, key=lambda p: -len(p["title"])):
        sentence = re.sub(re.escape(p["title"]), " ", sentence, flags=re.I)
    return sentence


def check_amounts(sentence: str, named: list[dict], free: set[float]) -> list[str]:
    prices = {p["price"] for p in named if p["price"] is not None}
    out = []
    for m in _AMOUNT.finditer(sentence):
        amount = float((m[1] or m[2]).replace(",", ""))
        if not any(abs(amount - x) < 0.005 for x in prices | free):
            out.append(f"price {amount:.2f} is no price of the product(s) named in: {sentence!r}")
    return out


def check_ratings(sentence: str, named: list[dict], free: set[float]) -> list[str]:
    ratings = {p["rating"] for p in named if p["rating"] is not None} | free
    out = []
    for m in _RATING.finditer(sentence):
        r = float(m[1] or m[2])
        if r not in ratings:
            out.append(f"rating {r} is no rating of the product(s) named in: {sentence!r}")
    return out


def allowed_dates(
    sentence: str, named: list[str], store: dict, case: dict, today: date
) -> set[date]:
    lines = user_orders(store, case.get("user"))
    about = [r for r in lines if r["order_id"].upper() in sentence.upper()]
    about = about or [r for r in lines if r["product_id"] in named] or lines
    out = {today}.union(*(line_dates(r, store["rules"]) for r in about))
    if "days_ago" in case["expect"]:
        start = today - timedelta(days=case["expect"]["days_ago"])
        out |= {start, start + timedelta(days=store["rules"].get("return_window_days", 30))}
    return out


def check_dates(sentence: str, named: list[str], store: dict, case: dict, today: date) -> list[str]:
    ok = allowed_dates(sentence, named, store, case, today)
    return [f"date {d} is not a date of the order or rule the sentence is about: {sentence!r}"
            for d in dates_in(sentence, today) if d not in ok]  # fmt: skip


def check_order_ids(text: str, store: dict, case: dict) -> list[str]:
    mine = {r["order_id"].upper() for r in user_orders(store, case.get("user"))}
    typed = {o.upper() for t in case["turns"] for o in _ORDER.findall(t)}
    return [
        f"order {o} is not this shopper's"
        for o in _ORDER.findall(text)
        if o.upper() not in mine | typed
    ]


def check_superlative(sentence: str, named: list[dict], universe: list[dict]) -> list[str]:
    out = []
    for which, pattern in _SUPER.items():
        if (
            not named
            or not re.search(pattern, sentence, re.I)
            or not (top := ranked(universe, which))
        ):
            continue
        claimed, best = named[0], value(top[0], which)
        if value(claimed, which) != best:
            out.append(f"{claimed['product_id']} is called {which.replace('_', ' ')} but "
                       f"{top[0]['product_id']} has {best}: {sentence!r}")  # fmt: skip
    return out


def check_free(sentence: str, named: list[dict], rules: dict) -> list[str]:
    limit = rules.get("free_shipping_threshold")
    if limit is None or not re.search(
        r"\bfree\b.*\b(deliver|shipping|postage)|\b(deliver|shipping|postage)\w*\b.*\bfree\b",
        sentence,
        re.I,
    ):
        return []
    if any(p["price"] is not None and p["price"] <= limit for p in named):
        return [
            f"free delivery claimed for an item at or under the £{limit:g} threshold: {sentence!r}"
        ]
    if named or any(abs(a - limit) < 0.005 for a in numbers_in([sentence])):
        return []
    return [f"free delivery claimed without the £{limit:g} threshold: {sentence!r}"]


def turn_violations(case: dict, turns: list[dict], i: int, store: dict, today: date) -> list[str]:
    """Every per-fact violation in turn `i` (the final turn is also held to the case's constraints)."""
    turn, final, expect = turns[i], i == len(turns) - 1, case["expect"]
    spec = (
        constraints(expect)
        if final and expect["kind"] in ("items", "superlative", "compare")
        else {}
    )
    if expect["kind"] == "compare" and ("ids" in expect or "previous" in expect):
        spec = {}
    owned = {r["product_id"] for r in user_orders(store, case.get("user"))}
    typed = numbers_in(case["turns"][: i + 1])
    rule_amounts = {float(v) for v in store["rules"].values() if isinstance(v, int | float)}
    out = (
        check_cards(turn, store, spec)
        + check_named(turn, store, owned)
        + check_order_ids(turn["answer"], store, case)
    )
    for s in sentences(turn["answer"]):
        ids = named_products(s, store)
        named = [store["products"][p] for p in ids if p in store["products"]]
        prices, ratings = typed | rule_amounts, set(typed)
        if _VERSUS.search(
            s
        ):  # "X is cheaper: £24.99 against £46.99, £22.00 less": the compared cards
            shown = [
                store["products"][c["product_id"]]
                for c in turn["cards"]
                if c["product_id"] in store["products"]
            ]
            named, cost = named + shown, [p["price"] for p in shown if p["price"] is not None]
            prices |= {round(abs(a - b), 2) for a in cost for b in cost}
        claims = without_titles(s, named)  # "3.75-Inch Figure" in a title is no price
        out += check_amounts(claims, named, prices) + check_ratings(claims, named, ratings)
        out += check_dates(s, ids, store, case, today) + check_free(s, named, store["rules"])
        if final or len(turns) == 1:
            out += check_superlative(s, named, superlative_universe(case, turn, named, store))
    return out


def constraints(expect: dict) -> dict:
    keys = ("category", "price_max", "price_max_inclusive", "price_min", "rating_min")
    return {k: expect[k] for k in keys if k in expect}


def superlative_universe(case: dict, turn: dict, named: list[dict], store: dict) -> list[dict]:
    """Compare turns: the compared items. Otherwise every product qualifying under the case's
    constraints (the named item's leaf category when the case names none)."""
    if case["expect"]["kind"] == "compare":
        return [
            store["products"][c["product_id"]]
            for c in turn["cards"]
            if c["product_id"] in store["products"]
        ]
    spec = constraints(case["expect"])
    if not spec.get("category") and named and named[0]["levels"]:
        spec["category"] = named[0]["levels"][-1]
    return qualifying(store, spec)


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


def check_case(case: dict, turns: list[dict], store: dict, today: date) -> dict:
    """Grade one played case. `turns`: per turn {"answer": str, "cards": [card…], "ticket_id"?}."""
    violations = [
        v for i in range(len(turns)) for v in turn_violations(case, turns, i, store, today)
    ]
    misses = MISSES[case["expect"]["kind"]](case, turns, store, today)
    violations = list(dict.fromkeys(violations))
    return {"passed": not violations and not misses, "violations": violations, "misses": misses}
