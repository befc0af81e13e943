"""Stage 2 for item turns, decided by code: the qualifying items of a shopping request (ranked,
recommended, or ordered by a superlative over all of them) and the items a turn names."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.desk.support import user_orders
from assistant.facts import LikePurchase, Note, NothingFound, render
from assistant.prompts import Evidence
from assistant.turn.decide import (
    compare_answer,
    compared,
    describe_filters,
    satisfies,
    shopping_filters,
    superlative_facts,
)
from assistant.turn.engine_plan import TurnPlan
from assistant.turn.intents import Intent
from assistant.turn.interest import Interests
from assistant.turn.select import (
    order_by_superlative,
    qualifying_rows,
    superlative_truth,
    titles_named,
)
from retrieval.search.hybrid import Searcher, item_json
from retrieval.search.profile import user_profile


class ItemDecisions:
    """Decides the items of shopping and comparison turns over one store."""

    def __init__(self, store, searcher: Searcher, interests: Interests) -> None:
        self.store = store
        self.searcher = searcher
        self.interests = interests

    def shopping(self, plan: TurnPlan, user: str | None, intent: Intent, k: int) -> None:
        """A search or recommendation: the qualifying items, the best `k` of them (or the
        first by a superlative over all of them), else the fact that nothing qualifies."""
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
        from retrieval.recs.recommend import recommend_for_user

        index = self.store.index
        allowed = index.mask(f)
        picks = recommend_for_user(self.store, user, k=30, profile=profile)
        rows = [(i, index.row_of.get(i["product_id"])) for i in picks]
        return [i for i, row in rows if row is not None and allowed[row] and satisfies(i, f)][:k]

    def about_items(self, plan: TurnPlan, intent: Intent) -> None:
        """A turn about items it names (ids, positions, titles, "the two cheapest kettles"):
        those items, compared when there are several."""
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


def _without_price(f):
    return replace(f, price_min=None, price_max=None)
