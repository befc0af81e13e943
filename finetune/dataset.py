"""Supervised chat examples for LoRA SFT, made exactly as inference makes its prompts.

For each shopper of the store, scripted questions (recommend, search with budgets / categories /
ratings, cheapest / best rated, follow-ups, compare, order status, returns, policy, small talk)
go through the engine's own understand + decide steps; the prompt is `shopper_messages(...)` (or
`agent_messages` for Bitext customer-service tickets) and the target answer is written by code
from the decided evidence: it cites the right tags, names only evidence items, keeps the
superlatives code decided, and is checked by the runtime `Grounder` before it is kept.
Rows are deduplicated, PII-scrubbed, split into train / validation by user and written as JSONL
in the chat "messages" format (plus a "meta" object for evaluation).

This module is the entry point (config, rows, scrub / dedupe / split, JSONL files); the pieces
live beside it: `finetune.scripts` (catalog sampling and scripted shopper conversations),
`finetune.targets` (the code-written target answers and their grounding check) and
`finetune.bitext` (Bitext ticket helpers).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.prompts import PROMPT_VERSION, agent_messages, shopper_messages
from finetune.bitext import bitext_tickets
from finetune.scripts import load_catalog, user_conversations
from finetune.targets import target_is_clean, write_target

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?\(?\d{2,5}\)?[ .-]\d{3,4}[ .-]?\d{3,4}(?![\w-])")


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

    from retrieval.storage.schema import events, orders

    with store.engine.connect() as conn:
        users = {r[0]: [] for r in conn.execute(select(events.c.user_id).distinct())}
        for uid, oid in conn.execute(select(orders.c.user_id, orders.c.order_id).distinct()):
            users.setdefault(uid, []).append(oid)
    return {u: sorted(set(o)) for u, o in sorted(users.items())}


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

    from assistant.turn.engine import Engine, EngineConfig
    from retrieval.demo import DEFAULT_NOW
    from retrieval.search.profile import user_profile

    engine = engine or Engine(
        store, None, EngineConfig(shop_name=cfg.shop), today=DEFAULT_NOW.date()
    )
    rng = random.Random(cfg.seed)
    cat = load_catalog(store)
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
