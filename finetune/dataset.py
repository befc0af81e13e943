"""Supervised chat examples for LoRA SFT, made exactly as inference makes its prompts.

For each shopper of the store, scripted questions (recommend, search with budgets / categories /
ratings, cheapest / best rated, follow-ups, compare, order status, returns, policy, small talk)
go through the engine's own understand + decide steps; the prompt is `shopper_messages(...)` (or
`agent_messages` for Bitext customer-service tickets) and the target answer is written by code
from the decided evidence: it cites the right tags, names only evidence items, keeps the
superlatives code decided, and is checked by the runtime `Grounder` before it is kept.
Rows are deduplicated, PII-scrubbed, split into train / validation by user and written as JSONL
in the chat "messages" format (plus a "meta" object for evaluation).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.decide import satisfies, shopping_filters, superlatives
from assistant.facts import (
    BestFor,
    ItemDetails,
    OrderStatus,
    PriceGap,
    RatingGap,
    ReturnVerdict,
    Superlative,
)
from assistant.grounding import Grounder
from assistant.prompts import (
    PROMPT_VERSION,
    Evidence,
    agent_messages,
    price_text,
    shopper_messages,
)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?\(?\d{2,5}\)?[ .-]\d{3,4}[ .-]?\d{3,4}(?![\w-])")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_ORDER_SLOTS = {"Order Number", "Order Number Anonymized", "Purchase ID Anonymized", "Order ID"}


@dataclass
class DatasetConfig:
    """What to generate and where to write it."""

    out_dir: str = "runs/shop-smollm2/data"
    """Folder for train.jsonl, validation.jsonl and stats.json."""
    per_user: int = 14
    """Scripted conversations per shopper (before dedupe and grounding checks)."""
    max_users: int | None = None
    """Use only the first N shoppers (tests, quick runs)."""
    bitext: str | None = "../shared/data/bitext_support/pairs.csv"
    """Bitext customer-service pairs (instruction, intent, response); None to skip."""
    bitext_examples: int = 200
    """How many agent-draft examples to make from Bitext tickets."""
    validation_fraction: float = 0.15
    """Share of shoppers whose rows go to validation."""
    shop: str = "our shop"
    shops: tuple[str, ...] = ("our shop", "Northwind Goods", "Maple & Finch", "The Corner Store",
                              "Bright Basket", "Harbour Home")  # fmt: skip
    """Shop names the prompts' {shop} slot is filled with, one per row at random: the name is a
    run-time slot, so the adapter must not learn one."""
    seed: int = 0


@dataclass
class _Catalog:
    """Leaf categories with their in-stock prices, and product ids per leaf."""

    leaves: dict[str, list[float]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)


# --- scrubbing, dedupe, split -----------------------------------------------------------------


def scrub(text: str) -> str:
    """Replace e-mail addresses and phone numbers by neutral markers."""
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


def row_key(row: dict) -> str:
    """Identity of an example: its prompt and target (meta ignored)."""
    blob = json.dumps(row["messages"], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def dedupe(rows: list[dict]) -> list[dict]:
    """Rows without repeats (first kept)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = row_key(row)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def split_by_user(
    rows: list[dict], fraction: float, seed: int = 0
) -> tuple[list[dict], list[dict]]:
    """(train, validation): every user's rows land on one side only."""
    users = sorted({r["meta"]["user"] for r in rows})
    n_val = max(1, round(fraction * len(users))) if len(users) > 1 and fraction > 0 else 0
    val_users = set(random.Random(seed).sample(users, n_val))
    train = [r for r in rows if r["meta"]["user"] not in val_users]
    return train, [r for r in rows if r["meta"]["user"] in val_users]


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- scripted questions -------------------------------------------------------------------------

SEARCH = ("{cat} under £{b}", "show me {cat} under £{b}", "any {cat} below £{b}?",
          "I'm looking for {cat} under £{b}", "do you have {cat} under £{b}?",
          "{cat} for less than £{b} please", "find me {cat} under £{b}")  # fmt: skip
PLAIN = ("{cat}", "show me some {cat}", "do you sell {cat}?", "I need {cat}", "any good {cat}?")
RATED = ("{cat} rated {r} or more", "{cat} with a rating of {r} or more")
SUPER = ("what are the cheapest {cat}?", "cheapest {cat} please", "which {cat} are best rated?",
         "show me the best rated {cat}")  # fmt: skip
RECOMMEND = ("recommend something for me", "what would you recommend for me?",
             "any suggestions for me?", "recommend some {cat}", "can you suggest {cat} for me?")  # fmt: skip
FOLLOW = ("cheaper please", "something cheaper", "under £{b} please", "only ones rated 4 or more")
COMPARE = ("compare the first two", "compare them", "which of the first two is better?",
           "compare {a} and {b}", "what's the difference between {a} and {b}?")  # fmt: skip
ORDER = ("where is my order?", "what's the status of my order?", "has order {o} shipped?",
         "when will order {o} arrive?", "track order {o} please", "where is {o}?")  # fmt: skip
RETURN = ("can I return my order {o}?", "I want a refund for order {o}",
          "can I still send back order {o}?", "how do I return {o}?", "can I return my last order?")  # fmt: skip
POLICY = ("what is your return policy?", "how long does delivery take?", "do you ship abroad?",
          "how much is express delivery?", "what payment methods do you accept?",
          "when will I get my refund?", "is there free delivery?", "what does the warranty cover?",
          "can I pay with PayPal?", "how do returns work?", "do you deliver to Northern Ireland?",
          "how long is the warranty?")  # fmt: skip
SMALL = ("hi", "hello!", "good morning", "hey there", "thanks!")
TEMPLATES = {"search": SEARCH, "plain": PLAIN, "rated": RATED, "super": SUPER,
             "recommend": RECOMMEND, "policy": POLICY, "order": ORDER, "return": RETURN,
             "small": SMALL, "follow": PLAIN, "compare": PLAIN}  # fmt: skip


def _catalog(store) -> _Catalog:
    cat = _Catalog()
    index = store.index
    for pid in index.live_ids():
        p = index.get(pid)
        if p is None or not p.category:
            continue
        leaf = p.category.split(">")[-1].strip().lower()
        cat.ids.setdefault(leaf, []).append(pid)
        if p.price is not None and p.in_stock is not False:
            cat.leaves.setdefault(leaf, []).append(p.price)
    cat.leaves = {k: sorted(v) for k, v in cat.leaves.items() if len(v) >= 3}
    return cat


def _budget(rng: random.Random, prices: list[float]) -> int:
    """A round budget between the category's cheaper third and its top."""
    p = prices[int(rng.uniform(0.3, 0.95) * (len(prices) - 1))]
    step = 5 if p < 60 else 10 if p < 200 else 50
    return max(step, int(round(p / step + 0.5)) * step)


def user_conversations(
    rng: random.Random, cat: _Catalog, taste: list[str], order_ids: list[str], n: int
) -> Iterator[list[dict]]:
    """`n` scripted conversations (message lists ending with a user turn) for one shopper."""
    leaves = list(cat.leaves)
    liked = [c.split(">")[-1].strip().lower() for c in taste if c]
    liked = [c for c in liked if c in cat.leaves] or leaves
    kinds = ["search", "plain", "rated", "super", "recommend", "follow", "compare", "policy",
             "order", "return", "search", "super", "small"]  # fmt: skip
    for i in range(n):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        c = rng.choice(liked if rng.random() < 0.6 else leaves)
        b = _budget(rng, cat.leaves[c])
        o = rng.choice(order_ids) if order_ids else None
        if kind in ("order", "return") and o is None:
            kind = "policy"
        r = rng.choice(["4", "4.5"])
        text = rng.choice(TEMPLATES[kind]).format(cat=c, b=b, o=o, r=r)
        convo = [{"role": "user", "content": text}]
        if kind == "follow":
            convo.append({"role": "user", "content": rng.choice(FOLLOW).format(b=b)})
        elif kind == "compare":
            pair = rng.sample(cat.ids[c], 2) if len(cat.ids.get(c, [])) >= 2 else None
            q = rng.choice(COMPARE)
            if "{a}" in q and pair:
                convo = [{"role": "user", "content": q.format(a=pair[0], b=pair[1])}]
            else:
                convo.append({"role": "user", "content": q.format(a="", b="")})
        yield convo


# --- targets written by code --------------------------------------------------------------------


def _price(item: dict) -> str:
    return price_text(item.get("price"), item.get("currency") or "GBP")


def _rated(item: dict) -> str:
    return f", rated {item['rating']:.1f}" if item.get("rating") is not None else ""


def item_target(ev: Evidence, question: str, rng: random.Random) -> str:
    """Recommend / search answer: one to three evidence items by tag, decided superlatives kept."""
    tags = {f"P{n}": it for n, it in enumerate(ev.items, 1)}
    order = list(tags)
    sentences = []
    for fact in ev.facts:  # superlatives code decided for this question
        if not isinstance(fact, Superlative) or fact.tag not in tags:
            continue
        t, it = fact.tag, tags[fact.tag]
        if fact.kind == "cheapest" and "cheap" in question.lower():
            sentences.append(rng.choice([f"[{t}] is the cheapest at {_price(it)}.",
                                         f"The cheapest is [{t}] at {_price(it)}."]))  # fmt: skip
            order.remove(t), order.insert(0, t)
        elif fact.kind == "best_rated" and "rated" in question.lower():
            sentences.append(rng.choice([f"[{t}] is the best rated, at {it['rating']:.1f}.",
                                         f"The best rated is [{t}] ({it['rating']:.1f})."]))  # fmt: skip
            order.remove(t), order.insert(0, t)
    if not sentences:
        t = order[0]
        it = tags[t]
        sentences.append(rng.choice([f"I'd suggest [{t}] at {_price(it)}{_rated(it)}.",
                                     f"[{t}] is a great fit at {_price(it)}{_rated(it)}.",
                                     f"Take a look at [{t}], {_price(it)}{_rated(it)}.",
                                     f"You might like [{t}] for {_price(it)}{_rated(it)}."]))  # fmt: skip
    line = " ".join(it.get("reasons", [])[:2])
    budget = re.search(r"within your (£[\d,.]+) budget", line)
    if budget:
        sentences[-1] = sentences[-1][:-1] + f", within your {budget.group(1)} budget."
    for t in order[1 : rng.choice([2, 3]) if ev.task == "search" else 2]:
        it = tags[t]
        sentences.append(rng.choice([f"[{t}] is another option at {_price(it)}{_rated(it)}.",
                                     f"There is also [{t}] for {_price(it)}.",
                                     f"[{t}] also matches, at {_price(it)}."]))  # fmt: skip
    return " ".join(sentences)


def compare_target(ev: Evidence, rng: random.Random) -> str:
    """Compare answer: the decided comparison facts, restated, then which to pick for what."""
    out = []
    for f in ev.facts:
        if isinstance(f, PriceGap):
            low, high, less = (price_text(v, f.currency) for v in (f.low, f.high, f.saving))
            out.append(rng.choice([f"[{f.cheaper}] is cheaper at {low} against {high}.",
                                   f"[{f.cheaper}] costs {low}, {less} less than the other."]))  # fmt: skip
        elif not isinstance(f, ItemDetails):
            out.append(str(f))
    cheap = next((f.cheaper for f in ev.facts if isinstance(f, PriceGap)), None)
    rated = next((f.higher for f in ev.facts if isinstance(f, RatingGap)), None)
    if cheap and rated:
        out.append(str(BestFor(cheap, rated)))
    if not out:
        out = [f"[P{n}] costs {_price(it)}{_rated(it)}." for n, it in enumerate(ev.items[:2], 1)]
    return " ".join(out)


def order_sentence(f: OrderStatus, rng: random.Random) -> str:
    """One order's status in words a person would use (the values are the fact's)."""
    o, t = f.order_id, f.title
    if f.status == "delivered" and f.delivered_at:
        return rng.choice([f"Your order {o} ({t}) was delivered on {f.delivered_at}.",
                           f"Order {o} with {t} arrived on {f.delivered_at}."])  # fmt: skip
    if f.expected_to and f.late:
        return f"Order {o} ({t}) is running late: it was expected by {f.expected_to}. Sorry about that."
    if f.expected_to:
        a, b = f.expected_from, f.expected_to
        return rng.choice([f"Order {o} ({t}) is {f.status} and should arrive between {a} and {b}.",
                           f"Your order {o} ({t}) is {f.status}; expect it between {a} and {b}."])  # fmt: skip
    return rng.choice(
        [f"Order {o} ({t}) is {f.status}.", f"Your order {o} ({t}) has been {f.status}."]
    )


def return_sentence(f: ReturnVerdict, rng: random.Random) -> str:
    """One order line's return verdict in words a person would use."""
    head = f"{f.title} from order {f.order_id}"
    if f.outcome == "ok":
        return rng.choice(
            [f"You can return {head} until {f.until}.", f"{head} can be returned until {f.until}."]
        )
    if f.outcome == "window_ended":
        return f"Sorry, {head} can no longer be returned: the {f.window_days}-day window ended on {f.until}."
    if f.outcome == "not_delivered":
        return f"{head} has not been delivered yet, so it can't be returned yet."
    return str(f)


def facts_target(ev: Evidence, rng: random.Random) -> str:
    """Order / return answer: every decided fact restated (all orders named), plus the policy tag."""
    out = []
    for fact in ev.facts:
        if isinstance(fact, OrderStatus):
            out.append(order_sentence(fact, rng))
        elif isinstance(fact, ReturnVerdict):
            out.append(return_sentence(fact, rng))
        else:
            out.append(str(fact))
    if ev.task == "return_refund" and ev.policies:
        out.append(f"{_first_sentence(ev.policies[0]['text'])[:-1]} [S1].")
    return " ".join(out)


def _first_sentence(text: str) -> str:
    text = " ".join(text.replace("- ", " ").split())
    first = re.split(r"(?<=[.!?])\s+", text)[0].strip()
    return first if first.endswith((".", "!", "?")) else first + "."


def policy_target(ev: Evidence, rng: random.Random) -> str:
    """Policy answer from the top section, cited by its tag."""
    text = " ".join(ev.policies[0]["text"].replace("- ", " ").split())
    parts = [s for s in re.split(r"(?<=[.!?])\s+", text) if s][:2]
    body = " ".join(parts).rstrip(".")
    if not body[:1].isupper():  # "5-7 business days after …": the section title says what
        body = f"{ev.policies[0]['section'].split('>')[-1].strip().rstrip('?:')}: {body}"
    lead = rng.choice(["", "Our policy says: ", "Good question. ", "Here is how it works: "])
    return f"{lead}{body} [S1]."


SMALL_REPLIES = (
    "Hello! I can help you find products, check an order or answer questions about returns.",
    "Hi! Ask me for product ideas, the status of an order, or our delivery and returns rules.",
    "Happy to help! I can suggest products, track your orders and explain our store policies.",
)


def write_target(ev: Evidence, question: str, rng: random.Random) -> str | None:
    """The answer a good assistant gives for this evidence (None: no code-made answer)."""
    if ev.task in ("recommend", "search") and ev.items:
        return item_target(ev, question, rng)
    if ev.task == "compare" and len(ev.items) >= 2:
        return compare_target(ev, rng)
    if ev.task in ("order_status", "return_refund") and ev.facts:
        return facts_target(ev, rng)
    if ev.task in ("policy", "account") and ev.policies:
        return policy_target(ev, rng)
    if ev.task == "small_talk":
        return rng.choice(SMALL_REPLIES)
    return None


def target_is_clean(plan, target: str) -> bool:
    """The runtime grounder keeps every sentence, and cited items satisfy the constraints."""
    grounder = Grounder(plan.ev, plan.known_titles, superlatives(plan.ev.items))
    out = grounder.ground(target)
    if out.dropped or "{{" in target:
        return False
    f = shopping_filters(plan.state.filters)
    by_id = {i["product_id"]: i for i in plan.ev.items}
    return all(satisfies(by_id[p], f) for p in out.item_ids)


# --- building rows ------------------------------------------------------------------------------


def _meta(plan, user: str, source: str) -> dict:
    return {
        "user": user,
        "source": source,
        "task": plan.ev.task,
        "question": plan.question,
        "evidence": plan.ev.item_ids(),
        "orders": sorted({o["order_id"] for o in plan.ev.orders}),
        "filters": plan.state.filters.to_dict() if plan.state.filters else {},
        "prompt_version": PROMPT_VERSION,
    }


def example(engine, messages, user, rng, source="script", agent=False, opener="", shop=None,
            target: str | None = None, plan=None):  # fmt: skip
    """(row or None, reason): prompt from the engine's own steps (or the given `plan` of these
    messages), target written by code (or given: an answer a shopper liked, a reply an agent
    sent), kept only if grounded. Planning changes nothing (no basket change, no ticket)."""
    plan = plan or engine.plan(messages, user, agent, act=False)
    if not plan.use_llm:
        return None, "code answers alone"
    if target is None:
        target = write_target(plan.ev, plan.question, rng)
        if target is None:
            return None, f"no target for task {plan.ev.task}"
        if opener and target_is_clean(plan, f"{opener} {target}"):
            target = f"{opener} {target}"
    if not target_is_clean(plan, target):
        return None, "target failed grounding"
    build = agent_messages if agent else shopper_messages
    prompt = build(plan.question, plan.ev, shop or engine.config.shop_name)
    msgs = [*prompt, {"role": "assistant", "content": target}]
    msgs = [{"role": m["role"], "content": scrub(m["content"])} for m in msgs]
    return {"messages": msgs, "meta": _meta(plan, user, source)}, "ok"


def store_users(store) -> dict[str, list[str]]:
    """user id -> their order ids (users with events but no orders get an empty list)."""
    from sqlalchemy import select

    from retrieval.sql import events, orders

    with store.engine.connect() as conn:
        users = {r[0]: [] for r in conn.execute(select(events.c.user_id).distinct())}
        for uid, oid in conn.execute(select(orders.c.user_id, orders.c.order_id).distinct()):
            users.setdefault(uid, []).append(oid)
    return {u: sorted(set(o)) for u, o in sorted(users.items())}


# --- Bitext customer-service tickets --------------------------------------------------------------

BITEXT_INTENTS = frozenset(
    "track_order cancel_order change_order get_refund track_refund check_refund_policy "
    "delivery_period delivery_options check_payment_methods payment_issue".split()
)


def fill_placeholders(text: str, order_id: str | None, shop: str) -> str | None:
    """Bitext {{Slots}} filled from demo data; None when a slot has no true value here."""

    def fill(m: re.Match) -> str:
        slot = m.group(1)
        if slot in _ORDER_SLOTS and order_id:
            return order_id
        if slot == "Website Name":
            return shop
        raise KeyError(slot)

    try:
        return _PLACEHOLDER.sub(fill, text)
    except KeyError:
        return None


def bitext_opener(response: str, order_id: str | None, shop: str) -> str:
    """The reply's first sentence with slots filled, or "" when it can't be made true."""
    first = re.split(r"(?<=[.!?])\s+", " ".join(response.split()))[0]
    filled = fill_placeholders(first, order_id, shop)
    if not filled or len(filled.split()) > 35 or not filled.endswith((".", "!")):
        return ""
    rest = filled.replace(order_id, " ") if order_id else filled
    return "" if re.search(r"\d|\{|\}", rest) else filled


def bitext_tickets(path: Path, users: dict[str, list[str]], n: int, rng) -> Iterator[tuple]:
    """(user, ticket text, opener) for `n` tickets, order numbers replaced by the user's real ones."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("intent") in BITEXT_INTENTS]
    rng.shuffle(rows)
    with_orders = [u for u, o in users.items() if o]
    for r in rows[:n]:
        user = rng.choice(with_orders)
        order_id = rng.choice(users[user])
        ticket = r["instruction"]
        if r.get("entity_type") == "order_id" and r.get("entity_value"):
            ticket = ticket.replace(r["entity_value"], order_id)
        ticket = re.sub(r"\b\d{6,}\b", order_id, ticket)
        mentioned = order_id if order_id in ticket else None
        yield user, ticket, bitext_opener(r.get("response", ""), mentioned, "")


# --- the whole set --------------------------------------------------------------------------------


def _with_first_answer(engine, convo: list[dict], user: str) -> list[dict]:
    """Two user turns → insert the assistant's (template) answer to the first one."""
    if len(convo) < 2:
        return convo
    first = engine.answer(convo[:1], user)
    return [convo[0], {"role": "assistant", "content": first.answer}, *convo[1:]]


def generate_rows(store, cfg: DatasetConfig, engine=None, progress: bool = False) -> tuple:
    """(rows, skipped reasons) for the whole store."""
    from collections import Counter

    from tqdm import tqdm

    from assistant.engine import Engine, EngineConfig
    from retrieval.demo import DEFAULT_NOW
    from retrieval.profile import user_profile

    engine = engine or Engine(
        store, None, EngineConfig(shop_name=cfg.shop), today=DEFAULT_NOW.date()
    )
    rng = random.Random(cfg.seed)
    cat = _catalog(store)
    users = store_users(store)
    if cfg.max_users:
        users = dict(list(users.items())[: cfg.max_users])
    rows, skipped = [], Counter()
    for user, order_ids in tqdm(users.items(), desc="shoppers", disable=not progress):
        taste = user_profile(store, user).top_categories(3)
        for convo in user_conversations(rng, cat, taste, order_ids, cfg.per_user):
            convo = _with_first_answer(engine, convo, user)
            row, why = example(engine, convo, user, rng, shop=rng.choice(cfg.shops))
            rows.append(row) if row else skipped.update([why])
    if cfg.bitext and Path(cfg.bitext).exists() and cfg.bitext_examples > 0:
        tickets = bitext_tickets(Path(cfg.bitext), users, cfg.bitext_examples, rng)
        for user, ticket, opener in tqdm(list(tickets), desc="tickets", disable=not progress):
            msgs = [{"role": "user", "content": ticket}]
            row, why = example(
                engine, msgs, user, rng, "bitext", True, opener, rng.choice(cfg.shops)
            )
            rows.append(row) if row else skipped.update([why])
    return rows, dict(skipped)


def build_dataset(store, cfg: DatasetConfig, progress: bool = False,
                  feedback: tuple[list[dict], dict] | None = None) -> dict:  # fmt: skip
    """Generate, dedupe, split by user and write train.jsonl / validation.jsonl / stats.json.
    `feedback`: (rows, report) from `finetune.feedback.feedback_rows`, added to the generated."""
    from collections import Counter

    rows, skipped = generate_rows(store, cfg, progress=progress)
    rows = dedupe(rows + (feedback[0] if feedback else []))
    train, val = split_by_user(rows, cfg.validation_fraction, cfg.seed)
    out = Path(cfg.out_dir)
    write_jsonl(train, out / "train.jsonl")
    write_jsonl(val, out / "validation.jsonl")
    stats = {
        "train": len(train),
        "validation": len(val),
        "skipped": skipped,
        "tasks": dict(Counter(r["meta"]["task"] for r in rows)),
        "sources": dict(Counter(r["meta"]["source"] for r in rows)),
        "feedback": feedback[1] if feedback else None,
        "prompt_version": PROMPT_VERSION,
        "config": asdict(cfg),
        "files": {"train": str(out / "train.jsonl"), "validation": str(out / "validation.jsonl")},
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats
