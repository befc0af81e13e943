"""Base vs adapter on the same prompts: validation split and a catalog training never saw.

The checker here reads only the prompt text and the answer (it shares no code with the dataset
builder): format adherence (cites tags / order ids the way the prompt asks, no echoed prompt),
grounded-citation rate (every named product is in the evidence, every price is an evidence
price), constraint satisfaction (cited items meet the budget / rating, and the item named for
"cheapest" / "best rated" really is), and customer-service reply appropriateness (no
placeholders or contact details, only this customer's orders, all of them, or a policy tag).
"""

from __future__ import annotations

import csv
import json
import random
import re
import tempfile
from pathlib import Path

ITEM_TASKS = {"recommend", "search", "compare"}
CS_TASKS = {"order_status", "return_refund", "policy", "account"}
TOYS_MAPPING = {
    "product_id": "uniq_id",
    "title": "product_name",
    "category": "amazon_category_and_sub_category",
    "brand": "manufacturer",
    "price": "price_gbp",
    "in_stock": "number_available_in_stock",
    "review_count": "number_of_reviews",
    "rating": "average_rating",
}
_ITEM = re.compile(r"^\[(P\d+)\] (.+?) — (?:[£$€]([\d,]+\.\d\d)|price unknown)(?:, rated (\d\.\d))?", re.M)  # fmt: skip
_POLICY = re.compile(r"^\[(S\d+)\] ", re.M)
_ORDER_LINE = re.compile(r"^(ORD-\d+): ", re.M)
_TAG = re.compile(r"\[([A-Za-z]\d{1,3})\]")
_MONEY = re.compile(r"[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?)")
_ORDER_ID = re.compile(r"\bORD-\d+\b")
_ECHO = re.compile(  # prompt structure copied into the answer (headers, evidence lines)
    r"^\s*(?:ITEMS|FACTS|ORDERS|POLICY|QUESTION|TICKET)\s*:|\bWhy:|\] [^\[\]\n]{3,}? — (?:[£$€]\d|price unknown)"
    r"|^\s*\[S\d+\] [^\n]{0,60}?: |^\s*ORD-\d+: |, status \w+, ordered \d{4}",
    re.M,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_SUPER = {"cheapest": re.compile(r"\bcheapest\b", re.I),
          "best": re.compile(r"\b(?:best|highest|top)[- ]rated\b", re.I)}  # fmt: skip
_CONTACT = re.compile(r"@\w|\b\d{3,5}[ -]\d{3}[ -]?\d{3,4}\b|https?://|www\.", re.I)
METRICS = ("format", "grounded", "constraint", "cs")
LABELS = {"format": "format adherence", "grounded": "grounded citations",
          "constraint": "constraint satisfaction", "cs": "CS reply appropriateness"}  # fmt: skip


# --- the checker --------------------------------------------------------------------------------


def _money(text: str) -> float:
    return round(float(text.replace(",", "")), 2)


def parse_prompt(text: str) -> dict:
    """Evidence as the model saw it: items {tag: (title, price, rating)}, orders, policy tags."""
    items = {
        m[1]: (m[2], _money(m[3]) if m[3] else None, float(m[4]) if m[4] else None)
        for m in _ITEM.finditer(text)
    }
    amounts = {_money(a) for a in _MONEY.findall(text)}
    return {"items": items, "orders": set(_ORDER_LINE.findall(text)),
            "policies": set(_POLICY.findall(text)), "amounts": amounts}  # fmt: skip


def _meets(item: tuple, f: dict) -> bool:
    _, price, rating = item
    if f.get("price_max") is not None:
        hi = f["price_max"]
        if price is None or price > hi or (price == hi and not f.get("price_max_inclusive")):
            return False
    if f.get("price_min") is not None:
        lo = f["price_min"]
        if price is None or price < lo or (price == lo and not f.get("price_min_inclusive")):
            return False
    return f.get("rating_min") is None or (rating is not None and rating >= f["rating_min"])


def _truth(items: dict) -> dict[str, str]:
    """Which tag is cheapest and which best rated, from the prompt's own numbers."""
    out = {}
    priced = {t: v[1] for t, v in items.items() if v[1] is not None}
    rated = {t: v[2] for t, v in items.items() if v[2] is not None}
    if priced:
        out["cheapest"] = min(priced, key=priced.get)
    if rated:
        out["best"] = max(rated, key=rated.get)
    return out


def _superlative_ok(question: str, answer: str, items: dict, cited: list[str]) -> bool:
    """Every "cheapest" / "best rated" sentence names the true one; the asked one is answered."""
    truth = _truth(items)
    said = set()
    for sentence in _SENTENCE.split(answer):
        tags = {t.upper() for t in _TAG.findall(sentence)}
        for kind, pattern in _SUPER.items():
            if pattern.search(sentence) and tags and kind in truth:
                if truth[kind] not in tags:
                    return False
                said.add(kind)
    for kind, pattern in _SUPER.items():
        if pattern.search(question) and kind in truth and kind not in said:
            return bool(cited) and cited[0] == truth[kind]
    return True


def _prices_ok(answer: str, ev: dict) -> bool:
    """Amounts next to item tags are those items' prices; other amounts come from the prompt."""
    item_prices = {v[1] for v in ev["items"].values() if v[1] is not None}
    other = ev["amounts"] - item_prices  # budgets, price differences
    for sentence in _SENTENCE.split(answer):
        tags = [t.upper() for t in _TAG.findall(sentence) if t.upper() in ev["items"]]
        allowed = ({ev["items"][t][1] for t in tags} | other) if tags else ev["amounts"]
        if any(_money(m) not in allowed for m in _MONEY.findall(sentence)):
            return False
    return True


def score(case: dict, answer: str, other_titles: list[str]) -> dict:
    """Metric name -> True/False for one answer (metrics that don't apply are absent)."""
    ev = parse_prompt(case["messages"][-1]["content"])
    task, low = case["task"], answer.lower()
    echo = bool(_ECHO.search(answer)) or "{{" in answer or not answer.strip()
    tags = [t.upper() for t in _TAG.findall(answer)]
    out: dict = {}
    if task in ITEM_TASKS:
        cited = list(dict.fromkeys(t for t in tags if t in ev["items"]))
        invented = [t for t in tags if t.startswith("P") and t not in ev["items"]]
        shown = {v[0].lower() for v in ev["items"].values()}
        foreign = any(t.lower() in low for t in other_titles if t.lower() not in shown)
        prices_ok = _prices_ok(answer, ev)
        out["format"] = bool(cited) and not echo
        out["grounded"] = bool(cited) and not (invented or foreign) and prices_ok and not echo
        f = case.get("filters") or {}
        constrained = any(f.get(k) is not None for k in ("price_max", "price_min", "rating_min"))
        if constrained or re.search(r"cheapest|best rated|highest rated", case["question"], re.I):
            out["constraint"] = (
                bool(cited)
                and all(_meets(ev["items"][t], f) for t in cited)
                and _superlative_ok(case["question"], answer, ev["items"], cited)
            )
    elif task in CS_TASKS:
        named = set(_ORDER_ID.findall(answer))
        if task in ("order_status", "return_refund") and ev["orders"]:
            out["format"] = bool(named & ev["orders"]) and not echo
            covers = ev["orders"] <= named
        else:
            out["format"] = any(t in ev["policies"] for t in tags) and not echo
            covers = out["format"]
        words = len(answer.split())
        out["cs"] = (covers and named <= ev["orders"] and not _CONTACT.search(answer)
                     and 4 <= words <= 150 and not echo)  # fmt: skip
    else:  # small talk
        out["format"] = not echo and len(answer.split()) <= 60
    return out


def summarize(scores: list[dict]) -> dict:
    """Rate (percent) and count per metric."""
    out = {}
    for m in METRICS:
        vals = [s[m] for s in scores if m in s]
        out[m] = {"rate": round(100 * sum(vals) / len(vals), 1) if vals else None, "n": len(vals)}
    return out


# --- cases ----------------------------------------------------------------------------------------


def validation_cases(path: Path, n: int, seed: int = 0) -> list[dict]:
    """Up to n validation rows, spread over tasks, as prompts (target removed)."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    random.Random(seed).shuffle(rows)
    by_task: dict[str, list] = {}
    for r in rows:
        by_task.setdefault(r["meta"]["task"], []).append(r)
    picked: list[dict] = []
    while len(picked) < n and any(by_task.values()):
        for task in list(by_task):
            if by_task[task] and len(picked) < n:
                r = by_task[task].pop()
                picked.append({"messages": r["messages"][:-1], "task": task,
                               "question": r["meta"]["question"],
                               "filters": r["meta"].get("filters", {})})  # fmt: skip
    return picked


UNSEEN_QUESTIONS = ("{cat} under £{b}", "show me {cat}", "what are the cheapest {cat}?",
                    "{cat} rated 4.5 or more", "recommend some {cat}", "any {cat} below £{b}?",
                    "which {cat} are best rated?")  # fmt: skip


def toys_store(csv_path: Path, rows: int, data_dir: Path, embedder=None):
    """The first `rows` products of the toys CSV ingested into a fresh store."""
    from retrieval.ingest.products import ingest_products
    from retrieval.storage.store import StoreConfig, open_store

    subset = data_dir / "toys_subset.csv"
    with open(csv_path, encoding="utf-8", newline="") as src:
        reader = csv.reader(src)
        lines = [next(reader)] + [r for _, r in zip(range(rows), reader, strict=False)]
    with open(subset, "w", encoding="utf-8", newline="") as dst:
        csv.writer(dst).writerows(lines)
    store = open_store(StoreConfig(data_dir=data_dir / "store"), embedder)
    ingest_products(store, subset, mapping=TOYS_MAPPING)
    return store


def unseen_cases(store, n: int, seed: int = 0) -> list[dict]:
    """Shopping conversations on a catalog training never saw, decided by the engine."""
    from assistant.prompts import shopper_messages
    from assistant.turn.engine import Engine

    engine = Engine(store, None)
    rng = random.Random(seed)
    leaves: dict[str, list[float]] = {}
    for pid in store.index.live_ids():
        p = store.index.get(pid)
        if p and p.category and p.price is not None:
            leaves.setdefault(p.category.split(">")[-1].strip().lower(), []).append(p.price)
    cats = sorted(c for c, prices in leaves.items() if len(prices) >= 6)
    cases: list[dict] = []
    for _ in range(n * 4):
        if len(cases) >= n:
            break
        cat = rng.choice(cats)
        prices = sorted(leaves[cat])
        b = max(5, int(prices[len(prices) // 2] / 5 + 1) * 5)
        msgs = [{"role": "user", "content": rng.choice(UNSEEN_QUESTIONS).format(cat=cat, b=b)}]
        if rng.random() < 0.2:
            first = engine.answer(msgs, None).answer
            msgs += [{"role": "assistant", "content": first},
                     {"role": "user", "content": "compare the first two"}]  # fmt: skip
        plan = engine.plan(msgs, None)
        if not plan.use_llm or plan.ev.task not in ITEM_TASKS:
            continue
        cases.append({"messages": shopper_messages(plan.question, plan.ev), "task": plan.ev.task,
                      "question": plan.question, "filters": plan.state.filters.to_dict()})  # fmt: skip
    return cases


# --- generation -----------------------------------------------------------------------------------


def load_pair(adapter: Path, base: Path | None = None):
    """(peft model, tokenizer): base weights + adapter; `disable_adapter()` gives the base."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if base is None:
        cfg = json.loads((Path(adapter) / "adapter_config.json").read_text())
        base = Path(cfg["base_model_name_or_path"])
    tok = AutoTokenizer.from_pretrained(base)
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return PeftModel.from_pretrained(model, adapter).eval(), tok


def generate(model, tok, prompts: list[list[dict]], max_new_tokens=110, batch_size=8) -> list:
    """Greedy answers for chat prompts, batched by length."""
    import torch

    texts = [
        tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts
    ]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = [""] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        enc = tok(
            [texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False
        )
        with torch.no_grad():
            gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)  # fmt: skip
        for row, i in enumerate(idx):
            new = gen[row, enc["input_ids"].shape[1] :]
            out[i] = tok.decode(new, skip_special_tokens=True).strip()
    return out


def evaluate(model, tok, splits: dict[str, list[dict]], titles: dict[str, list[str]], **gen):
    """{split: {"base"|"adapter": summary}} plus every answer, for the given cases."""
    report: dict = {"splits": {}, "samples": {}}
    for split, cases in splits.items():
        prompts = [c["messages"] for c in cases]
        with model.disable_adapter():
            base = generate(model, tok, prompts, **gen)
        tuned = generate(model, tok, prompts, **gen)
        report["splits"][split] = {
            "n": len(cases),
            "base": summarize([score(c, a, titles[split]) for c, a in zip(cases, base, strict=True)]),
            "adapter": summarize([score(c, a, titles[split]) for c, a in zip(cases, tuned, strict=True)]),
        }  # fmt: skip
        report["samples"][split] = [
            {"question": c["question"], "task": c["task"], "base": b, "adapter": t}
            for c, b, t in zip(cases, base, tuned, strict=True)
        ]
    return report


# --- the whole evaluation and its reports ---------------------------------------------------------


def catalog_titles(store) -> list[str]:
    """Titles long enough to be recognised when a model writes one out."""
    index = store.index
    return [p.title for p in map(index.get, index.live_ids()) if p and len(p.title) >= 12]


def run_eval(
    adapter: Path,
    validation_file: Path | None,
    toys_csv: Path | None = None,
    store=None,
    n_val: int = 40,
    n_unseen: int = 40,
    toys_rows: int = 1500,
    out_dir: Path | None = None,
    base: Path | None = None,
    embedder=None,
    **gen,
) -> dict:
    """Evaluate base vs adapter; writes report.json, report.md and report.png into out_dir."""
    splits: dict[str, list[dict]] = {}
    titles: dict[str, list[str]] = {}
    if validation_file and Path(validation_file).exists():
        splits["validation"] = validation_cases(Path(validation_file), n_val)
        titles["validation"] = catalog_titles(store) if store is not None else []
    with tempfile.TemporaryDirectory(prefix="shopassist-unseen-") as tmp:
        if toys_csv and Path(toys_csv).exists() and n_unseen:
            toys = toys_store(Path(toys_csv), toys_rows, Path(tmp), embedder)
            splits["unseen_catalog"] = unseen_cases(toys, n_unseen)
            titles["unseen_catalog"] = catalog_titles(toys)
    if not splits:
        msg = "nothing to evaluate: give a validation file and/or the toys catalog CSV"
        raise ValueError(msg)
    model, tok = load_pair(Path(adapter), base)
    report = evaluate(model, tok, splits, titles, **gen)
    report["adapter"] = str(adapter)
    if out_dir is not None:
        write_reports(report, Path(out_dir))
    return report


def markdown(report: dict) -> str:
    """The before/after table."""
    lines = [
        "| split | metric | n | base | adapter | Δ (points) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for split, res in report["splits"].items():
        for m in METRICS:
            b, a = res["base"][m], res["adapter"][m]
            if b["rate"] is None:
                continue
            lines.append(f"| {split} | {LABELS[m]} | {b['n']} | {b['rate']:.1f}% | "
                         f"{a['rate']:.1f}% | {a['rate'] - b['rate']:+.1f} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def bar_chart(report: dict, path: Path) -> None:
    """Grouped bars (base grey, adapter blue) per split and metric, drawn with Pillow."""
    from PIL import Image, ImageDraw

    groups = [(s, m, r["base"][m]["rate"], r["adapter"][m]["rate"])
              for s, r in report["splits"].items() for m in METRICS if r["base"][m]["rate"] is not None]  # fmt: skip
    w, h, top, bottom, slot = max(480, 110 * len(groups) + 80), 420, 40, 90, 110
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text(
        (10, 10), "ShopAssist fine-tune: base (grey) vs adapter (blue), % of answers", fill="black"
    )
    plot = h - top - bottom
    d.line((50, top, 50, h - bottom), fill="black")
    d.line((50, h - bottom, w - 10, h - bottom), fill="black")
    for pct in (0, 50, 100):
        y = h - bottom - plot * pct / 100
        d.text((15, y - 6), f"{pct}", fill="black")
    for n, (split, metric, b, a) in enumerate(groups):
        x = 60 + n * slot
        for k, (val, color) in enumerate(((b, (160, 160, 160)), (a, (40, 110, 200)))):
            y = h - bottom - plot * (val or 0) / 100
            d.rectangle((x + k * 45, y, x + k * 45 + 40, h - bottom), fill=color)
            d.text((x + k * 45 + 4, y - 14), f"{val:.0f}", fill="black")
        d.text((x, h - bottom + 8), LABELS[metric][:16], fill="black")
        d.text((x, h - bottom + 24), LABELS[metric][16:32], fill="black")
        d.text((x, h - bottom + 44), split[:16], fill=(90, 90, 90))
    img.save(path)


def write_reports(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md",
             "png": out_dir / "report.png"}  # fmt: skip
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False))
    paths["markdown"].write_text(markdown(report))
    bar_chart(report, paths["png"])
    return paths
