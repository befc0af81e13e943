"""One turn of the assistant: understand → retrieve → decide → generate → ground.

`Engine.stream(messages, user)` yields grounded text pieces (whole sentences, never retracted)
and ends with the `TurnResult`; `Engine.answer` returns the result alone. Conversation state is
re-derived from `messages` on every call, so callers (CLI, HTTP API) stay stateless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from assistant import answers
from assistant.conversation import ConversationState, message_text
from assistant.decide import (
    PROMPT_ITEMS,
    compare_answer,
    compared,
    describe_filters,
    satisfies,
    shopping_filters,
    superlative_facts,
)
from assistant.facts import (
    NOTHING,
    BasketChange,
    Cancellable,
    Fact,
    Handoff,
    LikePurchase,
    NoSuchOrder,
    Note,
    NothingFound,
    render,
)
from assistant.grounding import Grounder
from assistant.intents import Intent
from assistant.prompts import Evidence, agent_messages, shopper_messages
from assistant.support import (
    ServiceRules,
    missing_orders,
    open_ticket,
    order_facts,
    policy_sections,
    return_facts,
    user_orders,
)
from assistant.turn.basket import basket_turn
from assistant.turn.chinese import GLOSSARY_FILE, StoreReader
from assistant.turn.interest import Interests
from assistant.turn.notices import notices
from assistant.turn.policy import PolicyTopics, cite, policy_facts
from assistant.turn.select import (
    order_by_superlative,
    qualifying_rows,
    superlative_truth,
    titles_named,
    top_category,
)
from assistant.turn.service import policy_lead, stated_return_facts
from assistant.turn.spelling import Speller
from assistant.turn.understand import Request, understand
from retrieval import textre
from retrieval.basket import change_key, get_basket
from retrieval.index import Filters
from retrieval.profile import user_profile
from retrieval.search import Searcher, item_json

POLICY_TASKS = {
    Intent.POLICY_QUESTION: "policy",
    Intent.DELIVERY: "policy",
    Intent.PAYMENT: "policy",
    Intent.ACCOUNT: "account",
    Intent.FEEDBACK: "policy",
}
ORDER_INTENTS = {Intent.ORDER_STATUS, Intent.CANCEL_ORDER, Intent.CHANGE_ORDER}
ITEM_TASKS = {"recommend", "search", "compare"}
# a delivery question about the shopper's own order is answered from that order
_OWN_ORDER = textre.compile(
    r"\bmy (?:orders?|purchases?|items?|articles?|parcels?|packages?|shipments?|deliver(?:y|ies)|stuff)\b",
    textre.I,
)
_DIGITS = textre.compile(r"\d+")
AGENT_HERE = (
    "I'm a member of the support team and I'm looking into this for you now. "
    "Could you tell me a little more about what you need?"
)


@dataclass
class EngineConfig:
    shop_name: str = "our shop"
    rules: ServiceRules = field(default_factory=ServiceRules)
    prompt_items: int = PROMPT_ITEMS


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


@dataclass
class TurnPlan:
    """Stage 2's output: the request, the decided evidence and how the answer opens."""

    request: Request
    ev: Evidence
    question: str
    described: str = ""
    use_llm: bool = True
    ticket_id: int | None = None
    lead: str = ""  # code-written opening (decided facts), shown before the model's words
    # the true cheapest / dearest / best rated id over every qualifying item (the grounder's check)
    truth: dict[str, str] = field(default_factory=dict)
    model_numbers: bool = True  # False: the model's sentences may state no number (the lead does)
    basket: dict | None = None  # the decided basket fact of a basket turn

    @property
    def state(self) -> ConversationState:
        return self.request.state

    @property
    def known_titles(self) -> dict[str, str]:
        return self.request.known_titles


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
        used = bool(plan.lead) or self._model_text_usable(plan.ev, out)
        text = "".join(shown).strip()
        cards_ids = list(out.item_ids)
        if not used:
            template = self._render_template(plan, grounder)
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
            citations=self._citations(plan, cards, out.policy_ids, used),
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
            self._orders(plan, user, Intent.RETURN_REFUND)
        elif intent in (Intent.RECOMMEND, Intent.SEARCH) and not plan.state.product_ids:
            self._shopping(plan, user, intent)
        elif intent in (Intent.COMPARE, Intent.SEARCH, Intent.RECOMMEND):  # items referred to
            self._about_items(plan, intent)
        elif intent in ORDER_INTENTS or intent == Intent.RETURN_REFUND:
            self._orders(plan, user, intent)
        elif intent == Intent.DELIVERY and user and _OWN_ORDER.search(plan.question):
            self._orders(plan, user, Intent.ORDER_STATUS)  # "when will my order arrive?": its ETA
        elif intent in POLICY_TASKS:
            self._policy(plan, POLICY_TASKS[intent])
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

    def _policy(self, plan: TurnPlan, task: str, topics: tuple[str, ...] | None = None) -> bool:
        """A policy answer: the store's rule decided by code when a rule answers the question
        (yes or no first), else the closest policy sentence; True when a rule answered."""
        sections = policy_sections(self.store, plan.question, k=3)
        plan.ev = Evidence(task, policies=sections)
        topic = self.policy_topics.topic(plan.question)
        facts = [] if topic is None or (topics and topic not in topics) else policy_facts(
            topic, plan.question, self.config.rules, self.store.config.currency
        )  # fmt: skip
        if facts:
            plan.lead = render(facts) + " " + cite(sections, facts)
            plan.ev.facts = facts  # the model may add numbers the cited policies state
        else:
            plan.lead = policy_lead(self.store, plan.question, sections)
        return bool(facts)

    def _basket(self, plan: TurnPlan, user: str | None, messages: list[dict], conversation) -> None:
        """A basket turn: the change decided and applied by code; the answer is its fact."""
        key = change_key(user, conversation, messages) if user else None
        fact, plan.lead, items = basket_turn(self.store, user, plan.request, key)
        plan.ev = Evidence("basket", items=items, facts=[BasketChange(fact, plan.lead)])
        plan.use_llm, plan.model_numbers, plan.basket = False, False, fact

    def _shopping(self, plan: TurnPlan, user: str | None, intent: Intent) -> None:
        req, state = plan.request, plan.state
        f = shopping_filters(state.filters)
        profile = user_profile(self.store, user) if user else None
        like = None
        if req.past_reference and (  # "like last time": the topic, if it finds anything, else
            not state.topic
            or not len(self._qualifying(state.search_text(), f, state.excluded_terms))
        ):  # the newest purchase's category ("suggestions based on what I usually buy")
            like = self._last_purchase(user)
        if like is not None:
            state.topic = like.category.split(">")[-1].strip()
            f = replace(f, exclude_ids=(*f.exclude_ids, like.product_id))
        subject = state.search_text()
        rows = self._qualifying(subject, f, state.excluded_terms)
        if req.interest and like is None:
            rows, subject = self._interest(plan, rows, f, subject)
        k = self.config.prompt_items
        if req.superlative:
            ordered = order_by_superlative(self.store, rows, req.superlative)
            picks = [self.store.index.products[r] for r in ordered[: max(k, req.count or 1)]]
            items = [item_json(p, 1.0, self._why(n, req.superlative)) for n, p in enumerate(picks)]
        else:
            items = self._ranked(plan, user, profile, intent, subject, f, rows, k)
        plan.described = describe_filters(f, self.store.config.currency)
        if state.topic:
            plan.described = f"matching '{state.topic}'" + (
                f", {plan.described}" if plan.described else ""
            )
        if not items:
            wider = []
            if f.price_max is not None or f.price_min is not None:
                wider = self._qualifying(subject, _without_price(f), state.excluded_terms)
            plan.ev = Evidence("none", facts=[NothingFound(plan.described, len(wider) > 0)])
            plan.use_llm = False
            return
        plan.truth = superlative_truth(self.store, rows)
        tags = {i["product_id"]: f"P{n}" for n, i in enumerate(items, 1)}
        facts = (
            superlative_facts(items, tags, req.superlative, len(rows)) if req.superlative else []
        )
        if like is not None:
            facts.append(LikePurchase(like.title))
        plan.ev = Evidence(str(intent), items=items, facts=facts)

    def _interest(self, plan: TurnPlan, rows, f, subject: str):
        """A recipient's interest ("a gift for a bookworm") read as the categories it points to,
        when the words alone find nothing there: (rows, subject) to use."""
        leaves = self.interests.leaves(plan.request.interest)
        leaf_rows = self.interests.rows(leaves)
        if not len(leaf_rows) or np.isin(leaf_rows, rows).any():
            return rows, subject
        plan.state.topic = ", ".join(leaf.lower() for leaf in leaves)
        return leaf_rows[self.store.index.mask(f)[leaf_rows]], plan.state.search_text()

    def _qualifying(self, subject: str, f, excluded: tuple[str, ...] = ()):
        return qualifying_rows(self.store, self.searcher, subject, f, excluded)

    def _ranked(self, plan, user, profile, intent, subject, f, rows, k) -> list[dict]:
        """The best k of the qualifying rows: the recommender's picks for an open request from a
        known shopper, else hybrid search ranking (personalised)."""
        allowed = {self.store.index.ids[r] for r in rows}
        items: list[dict] = []
        if intent == Intent.RECOMMEND and user and not plan.state.topic:
            items = [i for i in self._recommended(user, None, f, 30) if i["product_id"] in allowed]
        if not items and allowed:
            found = self.searcher.search(subject, profile=profile, k=60, filters=f, parse=False)
            items = [i for i in found.items if i["product_id"] in allowed]
        return items[:k]

    @staticmethod
    def _why(position: int, kind: str) -> list[str]:
        word = {"cheapest": "price", "dearest": "price"}.get(kind, "rating")
        low = {"cheapest": "lowest", "dearest": "highest"}.get(kind, "best")
        return [f"the {low} {word} of the items that match" if position == 0 else f"next by {word}"]

    def _last_purchase(self, user: str | None):
        if not user:
            return None
        lines = user_orders(self.store, user, limit=1)
        return self.store.get_product(lines[0]["product_id"]) if lines else None

    def _recommended(self, user: str, profile, f, k: int) -> list[dict]:
        """The recommender's items for this user that satisfy every filter in force."""
        from retrieval.recommend import recommend_for_user

        index = self.store.index
        allowed = index.mask(f)
        picks = recommend_for_user(self.store, user, k=30, profile=profile)
        rows = [(i, index.row_of.get(i["product_id"])) for i in picks]
        return [i for i, row in rows if row is not None and allowed[row] and satisfies(i, f)][:k]

    def _about_items(self, plan: TurnPlan, intent: Intent) -> None:
        req = plan.request
        ids = [i if self.store.get_product(i) else i.upper() for i in plan.state.product_ids]
        if not ids and intent == Intent.COMPARE:
            ids = titles_named(self.store, plan.question)
        if not ids and intent == Intent.COMPARE and (req.superlative or plan.state.topic):
            # "compare the two cheapest kettles": the items are decided over every kettle
            f = shopping_filters(plan.state.filters)
            rows = self._qualifying(plan.state.search_text(), f, plan.state.excluded_terms)
            ordered = order_by_superlative(self.store, rows, req.superlative or "best_rated")
            ids = [self.store.index.ids[r] for r in ordered[: max(2, req.count or 2)]]
            plan.truth = superlative_truth(self.store, rows)
        ids = ids or plan.state.shown_ids[:2]
        products = [p for p in (self.store.get_product(i) for i in ids) if p is not None]
        if not products:
            ask = "Which items do you mean? Tell me their ids or positions in the list."
            plan.ev = Evidence("none", facts=[Note(ask)])
            plan.use_llm = False
            return
        items, tags, facts = compared(products, gaps=intent == Intent.COMPARE)
        plan.ev = Evidence("compare" if len(items) > 1 else "search", items=items, facts=facts)
        if plan.ev.task == "compare":  # the comparison is decided whole: it is the answer
            plan.lead = render(compare_answer(facts, list(tags.values())))
            plan.model_numbers = False
        named = " and ".join(f"[{t}]" for t in tags.values())
        plan.question = f"{plan.question.strip()} (that is {named})"  # references resolved by code

    def _orders(self, plan: TurnPlan, user: str | None, intent: Intent) -> None:
        today = self.today or datetime.now(UTC).date()
        rules = self.config.rules
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
            if intent != Intent.ORDER_STATUS and self._policy(plan, "policy", general):
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
        rows = self._qualifying(subject, Filters())
        ids = {self.store.index.ids[r] for r in rows}
        every = user_orders(self.store, lines[0]["user_id"], limit=50)
        named = [r for r in every if r["product_id"] in ids]
        keep = list(dict.fromkeys(r["order_id"] for r in named))[:3]
        return [r for r in named if r["order_id"] in keep] or lines

    # --- after generation ------------------------------------------------------------------
    @staticmethod
    def _model_text_usable(ev: Evidence, out) -> bool:
        if not out.passed:
            return False
        if ev.task in ITEM_TASKS:
            return bool(out.item_ids)
        if ev.task in ("order_status", "return_refund") and ev.orders:
            return {o["order_id"] for o in ev.orders} <= set(out.order_ids)
        return True

    def _render_template(self, plan: TurnPlan, grounder: Grounder) -> str:
        text = answers.template_answer(plan.ev, plan.described)
        return "\n".join(grounder._render(line) for line in text.split("\n"))

    @staticmethod
    def _citations(
        plan: TurnPlan, cards: list[dict], policy_ids: list[str], used: bool
    ) -> list[dict]:
        cites = [{"kind": "product", "id": c["product_id"], "section": None} for c in cards]
        sections = {p["id"]: p for p in plan.ev.policies}
        ids = policy_ids if used else [p["id"] for p in plan.ev.policies[:1]]
        cites += [
            {"kind": "policy", "id": i, "section": sections[i]["section"]}
            for i in ids
            if i in sections
        ]
        cites += [
            {"kind": "order", "id": o, "section": None}
            for o in dict.fromkeys(r["order_id"] for r in plan.ev.orders)
        ]
        if plan.ticket_id is not None:
            cites.append({"kind": "ticket", "id": str(plan.ticket_id), "section": None})
        return cites


def _without_price(f):
    return replace(f, price_min=None, price_max=None)


def _cited(facts: list[Fact], policies: list[dict]) -> str:
    """Decided return facts and the policy section that states their rule."""
    return f"{render(facts)} {cite(policies, facts)}".strip()


def _failed_twice(messages: list[dict]) -> bool:
    """The last two assistant answers were failures (nothing found / out of scope)."""
    said = [message_text(m) for m in messages if m.get("role") == "assistant"][-2:]
    return len(said) == 2 and all(s.startswith((NOTHING, answers.CANNOT)) for s in said)


def dumps(result: TurnResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, default=str)
