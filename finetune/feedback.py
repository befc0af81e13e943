"""Training rows from what people approved: answers shoppers liked, replies agents sent.

A liked answer is re-planned from the conversation it replied to (`assistant.desk.answer_log`) and
its model-written part becomes the target; an agent's sent reply is re-planned from the ticket's
customer messages before it, as the desk drafted it (`assistant.desk.replies.draft_texts`), and the
sent text becomes the target. Both then pass the same check as generated targets
(`dataset.target_is_clean`, against today's evidence): a row that states a fact the evidence
does not hold (a price since changed, a date the agent typed wrong) is dropped and counted.
"""

from __future__ import annotations

import random
from collections import Counter

from assistant.desk.answer_log import rated_answers
from assistant.desk.replies import draft_texts, sent_replies
from assistant.prompts import price_text
from assistant.turn.intents import Intent
from finetune.dataset import example
from retrieval import textre

ANONYMOUS = "(anonymous)"  # the split's user for an answer given to nobody signed in


def feedback_rows(store, engine) -> tuple[list[dict], dict]:
    """(rows, report): the grounded rows, and what was kept and dropped, by source and reason."""
    rows: list[dict] = []
    report = {"liked": Counter(), "agent_sent": Counter()}
    rng = random.Random(0)  # unused by given targets; `example` takes one
    for a in rated_answers(store):
        if a["rating"] < 1:
            report["liked"]["thumbs down: not a target"] += 1
            continue
        row, why = _approved(engine, a["messages"], a["user_id"], a["agent"], a["model_text"],
                             rng, "liked")  # fmt: skip
        _tally(report["liked"], rows, row, why, {"message_id": a["message_id"]})
    for reply, customer_said, user in sent_replies(store):
        row, why = _approved_reply(engine, customer_said, user, reply["sent"], rng)
        meta = {"reply_id": reply["reply_id"], "edited": reply["sent"] != reply["draft"]}
        _tally(report["agent_sent"], rows, row, why, meta)
    return rows, {k: dict(v) for k, v in report.items()}


def tag_form(text: str, ev) -> str:
    """Shown text back in the prompt's form: an item as it is shown ("Title (£15.00) [P00466]",
    "Title [P00466]", "[P00466]"; see `Grounder.render`) becomes its tag "[P2]", a policy
    citation "[returns.md › Return window]" its "[S1]"; lines joined into one paragraph."""
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    for n, item in enumerate(ev.items, 1):
        price = textre.escape(price_text(item.get("price"), item.get("currency") or "GBP"))
        shown = (rf"(?:{textre.escape(item['title'])}\s*)?(?:\({price}\)\s*)?"
                 rf"\[{textre.escape(item['product_id'])}\]")  # fmt: skip
        text = textre.compile(shown, textre.I).sub(f"[P{n}]", text)
    for n, p in enumerate(ev.policies, 1):
        cited = f"[{p['file']} › {p['section'].split(' > ')[-1]}]"
        text = text.replace(cited, f"[S{n}]").replace(f"[{p['id']}]", f"[S{n}]")
    return text


def _approved(engine, messages, user, agent, target, rng, source):
    if not target:
        return None, "code wrote the answer"
    plan = engine.plan(messages, user, agent, act=False)
    row, why = example(engine, messages, user, rng, source, agent, shop=engine.config.shop_name,
                       target=tag_form(target, plan.ev), plan=plan)  # fmt: skip
    if row is not None:
        row["meta"]["user"] = user or ANONYMOUS
    return row, why


def _approved_reply(engine, turns: list[dict], user: str | None, sent: str, rng):
    """The sent reply as the target of the draft the desk made from the same messages."""
    asks = draft_texts(turns)
    if not asks:
        return None, "no customer message before the reply"
    for ask in asks:  # as the desk does: past a bare "a human please" to what it is about
        plan = engine.plan([{"role": "user", "content": ask}], user, True, act=False)
        if plan.state.intent is None or plan.state.intent.intent != Intent.HUMAN_HANDOFF:
            break
    msgs = [{"role": "user", "content": ask}]
    return _approved(engine, msgs, user, True, sent, rng, "agent_sent")


def _tally(counts: Counter, rows: list, row, why: str, meta: dict) -> None:
    if row is None:
        counts[f"dropped: {why}"] += 1
        return
    row["meta"].update(meta)
    rows.append(row)
    counts["kept"] += 1
