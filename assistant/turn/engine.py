"""One turn of the assistant: understand → retrieve → decide → generate → ground.

`Engine.stream(messages, user)` yields grounded text pieces (whole sentences, never retracted)
and ends with the `TurnResult`; `Engine.answer` returns the result alone. Conversation state is
re-derived from `messages` on every call, so callers (CLI, HTTP API) stay stateless.

`Engine.plan` routes each turn to its decisions: `assistant.turn.engine_items` (shopping, items
named) and `assistant.turn.engine_support` (orders, returns, policies);
`assistant.turn.engine_result` holds the `TurnResult` and what assembles it after generation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.desk.support import ServiceRules, open_ticket
from assistant.facts import NOTHING, BasketChange, Handoff
from assistant.prompts import Evidence, agent_messages, shopper_messages
from assistant.turn import answers
from assistant.turn.basket import basket_turn
from assistant.turn.chinese import GLOSSARY_FILE, StoreReader
from assistant.turn.conversation_refs import message_text
from assistant.turn.decide import PROMPT_ITEMS
from assistant.turn.engine_items import ItemDecisions
from assistant.turn.engine_plan import TurnPlan
from assistant.turn.engine_result import TurnResult, citations, model_text_usable, render_template
from assistant.turn.engine_support import SupportDecisions
from assistant.turn.grounding import Grounder
from assistant.turn.intents import Intent
from assistant.turn.interest import Interests
from assistant.turn.notices import notices
from assistant.turn.policy import PolicyTopics
from assistant.turn.spelling import Speller
from assistant.turn.understand import understand
from retrieval import textre
from retrieval.search.hybrid import Searcher
from retrieval.storage.basket import change_key, get_basket

POLICY_TASKS = {
    Intent.POLICY_QUESTION: "policy",
    Intent.DELIVERY: "policy",
    Intent.PAYMENT: "policy",
    Intent.ACCOUNT: "account",
    Intent.FEEDBACK: "policy",
}
ORDER_INTENTS = {Intent.ORDER_STATUS, Intent.CANCEL_ORDER, Intent.CHANGE_ORDER}
# a delivery question about the shopper's own order is answered from that order
_OWN_ORDER = textre.compile(
    r"\bmy (?:orders?|purchases?|items?|articles?|parcels?|packages?|shipments?|deliver(?:y|ies)|stuff)\b",
    textre.I,
)
AGENT_HERE = (
    "I'm a member of the support team and I'm looking into this for you now. "
    "Could you tell me a little more about what you need?"
)


@dataclass
class EngineConfig:
    shop_name: str = "our shop"
    rules: ServiceRules = field(default_factory=ServiceRules)
    prompt_items: int = PROMPT_ITEMS


class Engine:
    """The assistant over one store and one LLM runtime (None: template answers only)."""

    def __init__(
        self,
        store,
        llm=None,
        config: EngineConfig | None = None,
        classifier=None,
        today: date | None = None,
        tagger=None,
    ):
        self.store = store
        self.llm = llm
        self.config = config or EngineConfig()
        self.searcher = Searcher(store)
        self.classifier = classifier
        self.today = today
        if tagger is None:
            from assistant.turn.tagger import default_tagger

            tagger = default_tagger()
        self.tagger = tagger
        self.speller = Speller(self.searcher.catalog_words)
        self.chinese = StoreReader(
            self._category_names,
            lambda texts: store.embedder.encode(texts, dtype="float32"),
            Path(store.config.data_dir) / GLOSSARY_FILE,
            lambda: store.collection("policies").get(include=["documents"])["documents"] or [],
        )
        self.policy_topics = PolicyTopics(store.embedder)
        self.interests = Interests(store)
        self.item_decisions = ItemDecisions(store, self.searcher, self.interests)
        self.support_decisions = SupportDecisions(
            store, self.searcher, self.policy_topics, self.config.rules
        )

    # --- public ----------------------------------------------------------------------------
    def answer(
        self, messages: list[dict], user: str | None = None, agent: bool = False,
        conversation: str | None = None,
    ) -> TurnResult:  # fmt: skip
        """One grounded turn for the conversation so far (`conversation`: a client's id for this
        conversation, which keeps two identical conversations' basket changes apart)."""
        result = None
        for piece in self.stream(messages, user, agent, conversation):
            if isinstance(piece, TurnResult):
                result = piece
        assert result is not None
        return result

    def draft_reply(self, ticket_text: str, customer_id: str) -> dict:
        """Agent assist: a grounded draft for a ticket, its citations and the detected intent."""
        result = self.answer([{"role": "user", "content": ticket_text}], customer_id, agent=True)
        return {
            "draft": result.answer,
            "citations": result.citations,
            "intent": result.intent,
            "cards": result.cards,
            "degraded": result.degraded,
            "llm_text_used": result.llm_text_used,
        }

    def stream(
        self, messages: list[dict], user: str | None = None, agent: bool = False,
        conversation: str | None = None,
    ) -> Iterator[str | TurnResult]:  # fmt: skip
        """Grounded text pieces as they are decided, then the TurnResult (agent: a draft reply)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        plan = self.plan(messages, user, agent, timings, conversation)
        grounder = Grounder(plan.ev, plan.known_titles, plan.truth, numbers=plan.model_numbers)
        shown: list[str] = []
        modelled: list[str] = []  # the model's grounded sentences (fine-tuning targets)
        degraded = False
        if plan.lead:
            lead = grounder.lead(plan.lead)
            timings.setdefault("ttft", round(time.perf_counter() - t0, 3))
            shown.append(lead + "\n")
            yield lead + "\n"
        t_gen = time.perf_counter()
        ground_s = 0.0
        if plan.use_llm and self.llm is not None:
            build = agent_messages if agent else shopper_messages
            prompt = build(plan.question, plan.ev, self.config.shop_name)
            try:
                for piece in self.llm.stream(prompt):
                    g0 = time.perf_counter()
                    for shown_piece in grounder.feed(piece):
                        timings.setdefault("ttft", round(time.perf_counter() - t0, 3))
                        shown.append(shown_piece)
                        modelled.append(shown_piece)
                        yield shown_piece
                    ground_s += time.perf_counter() - g0
                for shown_piece in grounder.finish():
                    shown.append(shown_piece)
                    modelled.append(shown_piece)
                    yield shown_piece
            except Exception as exc:  # LLMUnavailable and anything the backend raised
                from assistant.llm import LLMUnavailable

                if not isinstance(exc, LLMUnavailable | TimeoutError | ConnectionError):
                    raise
                degraded = True
                grounder.discard()  # the unfinished sentence is not shown; an early name line ends
                for shown_piece in grounder.finish():
                    shown.append(shown_piece)
                    yield shown_piece
        elif plan.use_llm:
            degraded = True
        timings["generate"] = round(time.perf_counter() - t_gen - ground_s, 3)
        timings["ground"] = round(ground_s, 3)
        out = grounder.out
        used = bool(plan.lead) or model_text_usable(plan.ev, out)
        text = "".join(shown).strip()
        cards_ids = list(out.item_ids)
        if not used:
            template = render_template(plan, grounder)
            timings.setdefault("ttft", round(time.perf_counter() - t0, 3))
            yield template + "\n"
            text = (text + "\n" + template).strip() if shown else template
            cards_ids += [
                i["product_id"]
                for i in plan.ev.items
                if i["product_id"] not in cards_ids and f"[{i['product_id']}]" in template
            ]
        elif plan.ev.policies and not out.policy_ids and not plan.lead:
            top = plan.ev.policies[0]
            source = f"(Source: {top['file']} › {top['section']})"
            out.policy_ids.append(top["id"])
            yield source + "\n"
            text += "\n" + source
        for notice in [] if agent else notices(plan.request, messages, self.store.config.currency):
            yield notice + "\n"
            text += "\n" + notice
        by_id = {i["product_id"]: i for i in plan.ev.items}
        if plan.ev.task == "compare":  # the items compared, in the order the shopper named them
            cards_ids = [i for i in by_id if i in cards_ids]
        cards = [by_id[i] for i in cards_ids if i in by_id]
        timings["total"] = round(time.perf_counter() - t0, 3)
        yield TurnResult(
            answer=text,
            intent=str(plan.state.intent.intent) if plan.state.intent else "small_talk",
            constraints=plan.request.to_dict(),
            cards=cards,
            citations=citations(plan, cards, out.policy_ids, used),
            degraded=degraded,
            llm_text_used=used and out.passed > 0,
            timings=timings,
            ticket_id=plan.ticket_id,
            dropped=out.dropped,
            basket=get_basket(self.store, user).to_json() if user and not agent else None,
            model_text="".join(modelled).strip() if used and out.passed else "",
        )

    # --- stages ----------------------------------------------------------------------------
    def plan(
        self, messages: list[dict], user: str | None = None, agent: bool = False,
        timings: dict | None = None, conversation: str | None = None, act: bool = True,
    ) -> TurnPlan:  # fmt: skip
        """Stages 1-2: understand the conversation, then retrieve and decide with code (no LLM).

        Fine-tuning, evaluation and benchmarks build prompts from this plan (`plan.ev`). A
        basket turn applies its change here, once per message (see `change_key`), and a handoff
        opens a ticket; `act=False` plans without either (re-planning a past turn)."""
        timings = {} if timings is None else timings
        plan = self._understand(messages, timings)
        if plan.request.basket is not None and not agent:
            if not act:
                plan.use_llm = False
                return plan
            t = time.perf_counter()
            self._basket(plan, user, messages, conversation)
            timings["retrieve"] = round(time.perf_counter() - t, 3)
            return plan
        self._retrieve_and_decide(plan, user, messages, timings, agent, act)
        return plan

    def _understand(self, messages: list[dict], timings: dict) -> TurnPlan:
        t = time.perf_counter()
        request = understand(
            messages,
            vocab=self.searcher.vocabulary(),
            currency=self.store.config.currency,
            classifier=self.classifier,
            tagger=self.tagger,
            titles=lambda pid: getattr(self.store.get_product(pid), "title", None),
            products=self.store.get_product,
            speller=self.speller,
            chinese=self.chinese,
        )
        timings["understand"] = round(time.perf_counter() - t, 3)
        return TurnPlan(request, Evidence("small_talk"), request.question)

    def _retrieve_and_decide(
        self,
        plan: TurnPlan,
        user: str | None,
        messages: list[dict],
        timings: dict,
        agent: bool = False,
        act: bool = True,
    ) -> None:
        t = time.perf_counter()
        intent = plan.state.intent.intent if plan.state.intent else Intent.SMALL_TALK
        if not agent and (intent == Intent.HUMAN_HANDOFF or _failed_twice(messages)):
            turns = [dict(m) for m in messages]
            plan.ticket_id = open_ticket(self.store, user, "handoff", turns) if act else None
            plan.ev = Evidence("handoff", facts=[Handoff(plan.ticket_id)])
            plan.use_llm = False
        elif agent and intent == Intent.HUMAN_HANDOFF:  # the draft is the person they asked for
            plan.ev, plan.lead, plan.use_llm = Evidence("handoff"), AGENT_HERE, False
        elif plan.request.states_return_facts and intent in (
            Intent.RETURN_REFUND,
            Intent.POLICY_QUESTION,
        ):
            self.support_decisions.orders(plan, user, Intent.RETURN_REFUND, self.today)
        elif intent in (Intent.RECOMMEND, Intent.SEARCH) and not plan.state.product_ids:
            self.item_decisions.shopping(plan, user, intent, self.config.prompt_items)
        elif intent in (Intent.COMPARE, Intent.SEARCH, Intent.RECOMMEND):  # items referred to
            self.item_decisions.about_items(plan, intent)
        elif intent in ORDER_INTENTS or intent == Intent.RETURN_REFUND:
            self.support_decisions.orders(plan, user, intent, self.today)
        elif intent == Intent.DELIVERY and user and _OWN_ORDER.search(plan.question):
            # "when will my order arrive?": its ETA
            self.support_decisions.orders(plan, user, Intent.ORDER_STATUS, self.today)
        elif intent in POLICY_TASKS:
            self.support_decisions.policy(plan, POLICY_TASKS[intent])
        elif intent == Intent.OUT_OF_SCOPE:
            plan.ev, plan.use_llm = Evidence("out_of_scope"), False
        else:
            plan.ev = Evidence("small_talk")
        if plan.lead and not plan.model_numbers and not agent:
            # the decided lead is the whole answer: the model would only restate it
            plan.use_llm = False
        timings["retrieve"] = round(time.perf_counter() - t, 3)

    def _category_names(self) -> set[str]:
        return {c for _, cats in self.searcher.vocabulary().entries.values() for c in cats}

    def _basket(self, plan: TurnPlan, user: str | None, messages: list[dict], conversation) -> None:
        """A basket turn: the change decided and applied by code; the answer is its fact."""
        key = change_key(user, conversation, messages) if user else None
        fact, plan.lead, items = basket_turn(self.store, user, plan.request, key)
        plan.ev = Evidence("basket", items=items, facts=[BasketChange(fact, plan.lead)])
        plan.use_llm, plan.model_numbers, plan.basket = False, False, fact


def _failed_twice(messages: list[dict]) -> bool:
    """The last two assistant answers were failures (nothing found / out of scope)."""
    said = [message_text(m) for m in messages if m.get("role") == "assistant"][-2:]
    return len(said) == 2 and all(s.startswith((NOTHING, answers.CANNOT)) for s in said)
