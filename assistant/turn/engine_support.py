"""Stage 2 for support turns, decided by code: the shopper's orders (status, cancelling,
returns and refunds) and the store's policy rules, each answer led by its decided facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from assistant.desk.support import (
    ServiceRules,
    missing_orders,
    order_facts,
    policy_sections,
    return_facts,
    user_orders,
)
from assistant.facts import Cancellable, Fact, NoSuchOrder, Note, render
from assistant.prompts import Evidence
from assistant.turn.engine_plan import TurnPlan
from assistant.turn.intents import Intent
from assistant.turn.policy import PolicyTopics, cite, policy_facts
from assistant.turn.select import qualifying_rows, top_category
from assistant.turn.service import policy_lead, stated_return_facts
from retrieval import textre
from retrieval.search.hybrid import Searcher
from retrieval.storage.mirror import Filters

_DIGITS = textre.compile(r"\d+")


class SupportDecisions:
    """Decides the answers about orders and policies over one store and its service rules."""

    def __init__(
        self, store, searcher: Searcher, policy_topics: PolicyTopics, rules: ServiceRules
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.policy_topics = policy_topics
        self.rules = rules

    def policy(self, plan: TurnPlan, task: str, topics: tuple[str, ...] | None = None) -> bool:
        """A policy answer: the store's rule decided by code when a rule answers the question
        (yes or no first), else the closest policy sentence; True when a rule answered."""
        sections = policy_sections(self.store, plan.question, k=3)
        plan.ev = Evidence(task, policies=sections)
        topic = self.policy_topics.topic(plan.question)
        facts = [] if topic is None or (topics and topic not in topics) else policy_facts(
            topic, plan.question, self.rules, self.store.config.currency
        )  # fmt: skip
        if facts:
            plan.lead = render(facts) + " " + cite(sections, facts)
            plan.ev.facts = facts  # the model may add numbers the cited policies state
        else:
            plan.lead = policy_lead(self.store, plan.question, sections)
        return bool(facts)

    def orders(
        self, plan: TurnPlan, user: str | None, intent: Intent, today: date | None = None
    ) -> None:
        """An order or return turn: the shopper's orders and the facts about them (status,
        cancellable, return window), or the store's rule for a shopper not signed in."""
        today = today or datetime.now(UTC).date()
        rules = self.rules
        req = plan.request
        if intent == Intent.RETURN_REFUND and req.states_return_facts and not req.state.order_ids:
            # the thing returned, without stated numbers ("opened chocolate 20" days ago)
            top = top_category(self.store, self.searcher, _DIGITS.sub(" ", req.subject))
            facts = stated_return_facts(req.days_ago, top, rules, req.opened)
            policies = policy_sections(self.store, "return window refund " + plan.question)
            plan.ev = Evidence("return_refund", facts=facts, policies=policies)
            plan.lead, plan.model_numbers = _cited(facts, policies), False
            return
        if not user:  # a general question about cancelling or refunds gets the store's rule
            general = (
                ("cancel",) if intent == Intent.CANCEL_ORDER else ("refund_time", "return_fee")
            )
            if intent != Intent.ORDER_STATUS and self.policy(plan, "policy", general):
                return
            plan.ev = Evidence(
                "order_status", facts=[Note("Please sign in so I can look up your orders.")]
            )
            plan.lead, plan.use_llm = "", False
            return
        wanted = plan.state.order_ids
        lines = user_orders(self.store, user, wanted or None)
        facts: list[Fact] = [NoSuchOrder(o) for o in missing_orders(wanted, lines)]
        if intent == Intent.RETURN_REFUND:
            lines = self._lines_about(plan, lines)
            facts += return_facts(lines, rules, today)
            policies = policy_sections(self.store, "return window refund " + plan.question)
            plan.ev = Evidence("return_refund", orders=lines, facts=facts, policies=policies)
            plan.lead, plan.model_numbers = _cited(facts, policies), False
            return
        facts += order_facts(lines, rules, today)
        if intent == Intent.CANCEL_ORDER:
            ok = rules.cancellable_statuses
            facts += [Cancellable(r["order_id"], r["status"] in ok) for r in lines]
        if not lines and not wanted:
            facts.append(Note("There are no orders on your account yet."))
        plan.ev = Evidence("order_status", orders=lines, facts=facts)
        plan.lead, plan.model_numbers = render(facts), False  # one answer: the facts lead

    def _lines_about(self, plan: TurnPlan, lines: list[dict]) -> list[dict]:
        """The order lines the shopper names by product, else all of them."""
        subject = plan.request.subject
        if not subject or plan.state.order_ids or not lines:
            return lines
        rows = qualifying_rows(self.store, self.searcher, subject, Filters(), ())
        ids = {self.store.index.ids[r] for r in rows}
        every = user_orders(self.store, lines[0]["user_id"], limit=50)
        named = [r for r in every if r["product_id"] in ids]
        keep = list(dict.fromkeys(r["order_id"] for r in named))[:3]
        return [r for r in named if r["order_id"] in keep] or lines


def _cited(facts: list[Fact], policies: list[dict]) -> str:
    """Decided return facts and the policy section that states their rule."""
    return f"{render(facts)} {cite(policies, facts)}".strip()
