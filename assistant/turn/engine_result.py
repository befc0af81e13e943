"""The result of one turn (the `ask --json` document) and how `Engine.stream` assembles it after
generation: whether the model's grounded text stands, the template answer when it does not, and
the turn's citations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from assistant.prompts import Evidence
from assistant.turn import answers
from assistant.turn.engine_plan import TurnPlan
from assistant.turn.grounding import GroundedText, Grounder

ITEM_TASKS = {"recommend", "search", "compare"}


@dataclass
class TurnResult:
    """The `ask --json` document (plus the answer text)."""

    answer: str
    intent: str
    constraints: dict
    cards: list[dict]
    citations: list[dict]
    degraded: bool
    llm_text_used: bool
    timings: dict[str, float]
    ticket_id: int | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)
    basket: dict | None = None  # the shopper's basket after the turn (None: no signed-in user)
    message_id: str | None = None  # set by the service: what feedback names (the API's `id`)
    model_text: str = ""  # the grounded sentences the model wrote ("" when code wrote it all)

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "intent": self.intent,
            "constraints": self.constraints,
            "cards": self.cards,
            "citations": self.citations,
            "degraded": self.degraded,
            "llm_text_used": self.llm_text_used,
            "timings": self.timings,
            "ticket_id": self.ticket_id,
            "grounding": {"dropped": [{"text": t, "reason": r} for t, r in self.dropped]},
            "basket": self.basket,
            "message_id": self.message_id,
        }


def model_text_usable(ev: Evidence, out: GroundedText) -> bool:
    """The model's grounded text can stand as the answer (else the template answer follows)."""
    if not out.passed:
        return False
    if ev.task in ITEM_TASKS:
        return bool(out.item_ids)
    if ev.task in ("order_status", "return_refund") and ev.orders:
        return {o["order_id"] for o in ev.orders} <= set(out.order_ids)
    return True


def render_template(plan: TurnPlan, grounder: Grounder) -> str:
    """The code-written answer for the plan's evidence, rendered like the model's sentences."""
    text = answers.template_answer(plan.ev, plan.described)
    return "\n".join(grounder.render(line) for line in text.split("\n"))


def citations(plan: TurnPlan, cards: list[dict], policy_ids: list[str], used: bool) -> list[dict]:
    """The items, policy sections, orders and ticket the answer rests on."""
    cites = [{"kind": "product", "id": c["product_id"], "section": None} for c in cards]
    sections = {p["id"]: p for p in plan.ev.policies}
    ids = policy_ids if used else [p["id"] for p in plan.ev.policies[:1]]
    cites += [
        {"kind": "policy", "id": i, "section": sections[i]["section"]} for i in ids if i in sections
    ]
    cites += [
        {"kind": "order", "id": o, "section": None}
        for o in dict.fromkeys(r["order_id"] for r in plan.ev.orders)
    ]
    if plan.ticket_id is not None:
        cites.append({"kind": "ticket", "id": str(plan.ticket_id), "section": None})
    return cites


def dumps(result: TurnResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, default=str)
