"""Policy questions answered from the store's rules: yes or no first, then the rule, then the
citation ("is delivery free on a £25 order?" → "No: standard delivery is free on orders over
£40.00; a £25.00 order pays £3.99.").

Which rule a question is about is decided by MiniLM similarity to a few example questions per
rule (`TOPICS`); the values it turns on are read by exact validators (an amount, a payment
method the store names, an order status); the answer is rendered from `ServiceRules` (the
store's `store.json`), so it is true by construction. A question no rule answers closely
enough (cosine below `MIN_SIMILARITY`) gets the closest policy sentence instead.
"""

from __future__ import annotations

import threading

import numpy as np

from assistant.facts import PolicyRule
from assistant.prompts import price_text
from retrieval import textre

MIN_SIMILARITY = 0.6
TOPICS: dict[str, tuple[str, ...]] = {
    "free_delivery": ("is delivery free", "do I get free shipping", "how much does delivery cost",
                      "is shipping free over a certain amount", "what is the delivery charge"),
    "payment": ("can I pay with paypal", "what payment methods do you accept",
                "do you take american express", "which cards can I use to pay",
                "can I pay with crypto", "which payment options are allowed"),
    "express": ("how much is express delivery", "do you offer next day delivery",
                "what does express shipping cost"),
    "return_window": ("how long do I have to return something", "what is the return window",
                      "how many days do I have to send an item back", "what is your refund policy",
                      "am I eligible for a refund"),
    "cancel": ("can I cancel my order", "can I still cancel an order that has shipped",
               "is it too late to cancel", "how do I cancel an order"),
    "return_fee": ("does it cost anything to return something", "are returns free",
                   "do I pay for return shipping", "is there a fee to send it back"),
    "refund_time": ("how long do refunds take", "when will I get my money back",
                    "how many days until my refund arrives"),
    "delivery_time": ("how long does delivery take", "how many days is standard shipping",
                      "how soon will an order arrive"),
    "warranty": ("what warranty do I get", "how long is the guarantee",
                 "is there a warranty on electronics"),
}  # fmt: skip
_YES_NO = textre.compile(
    r"^\W*(?:\w+[,!:]?\s+){0,4}?(?:can|could|do|does|is|are|will|may|am)\b", textre.I
)
_SENTENCES = textre.compile(r"[.?!;](\s+)")  # split_at: a yes/no question may come second
# the method a yes/no payment question names ("pay with Klarna", "do you take bitcoin"), unless
# it is the generic word for one ("pay by card", "accept these payment methods")
_METHOD = textre.compile(
    r"\b(?:pay(?:ing)?\s+(?:with|by|using|via|through)|accept|take)\s+(?:an?\s+|my\s+)?([\w-]+)",
    textre.I,
)
_GENERIC = textre.compile(
    r"^(?:payments?|methods?|options?|cards?|modes?|ways?|it|this|that|these|those|what|which|all|the)$",
    textre.I,
)
_AMOUNT = textre.compile(r"[£$€]\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d{1,5}(?:\.\d{1,2})?)\b")
_STATUSES = ("placed", "processing", "shipped", "dispatched", "delivered")
_STATUS_WORDS = {s: textre.compile(rf"\b{s}\b", textre.I) for s in _STATUSES}
_FREE = textre.compile(r"\bfree\b", textre.I)
_CITED = textre.compile(r"\d+(?:\.\d+)?|[A-Z][a-z]+ ?[A-Z]?[a-z]*")


class PolicyTopics:
    """The topic of a policy question by MiniLM similarity to `TOPICS` (vectors built once)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self._lock = threading.Lock()
        self._vectors: tuple[list[str], np.ndarray] | None = None

    def topic(self, question: str) -> str | None:
        with self._lock:
            if self._vectors is None:
                names = [t for t, examples in TOPICS.items() for _ in examples]
                texts = [e for examples in TOPICS.values() for e in examples]
                self._vectors = (names, np.asarray(self.embedder.encode(texts)))
        names, vectors = self._vectors
        sims = vectors @ np.asarray(self.embedder.encode_one(question))
        best = int(sims.argmax())
        return names[best] if sims[best] >= MIN_SIMILARITY else None


def policy_facts(topic: str, question: str, rules, currency: str = "GBP") -> list[PolicyRule]:
    """The store's rule on `topic` applied to the question (empty when the rules don't state it)."""
    return [PolicyRule(topic, s) for s in _rule_sentences(topic, question, rules, currency)]


def _rule_sentences(topic: str, question: str, rules, currency: str) -> list[str]:
    asks = any(_YES_NO.match(part) for part in textre.split_at(_SENTENCES, question))
    money = lambda v: price_text(v, currency)  # noqa: E731
    if topic == "free_delivery" and rules.free_shipping_threshold is not None:
        limit, fee = rules.free_shipping_threshold, rules.standard_shipping_fee
        rule = f"standard delivery is free on orders over {money(limit)}"
        if (amount := _amount(question)) is not None:
            if amount > limit:
                return [f"Yes: {rule}, so a {money(amount)} order ships free."]
            pays = f"; a {money(amount)} order pays {money(fee)}" if fee is not None else ""
            return [f"No: {rule}{pays}."]
        other = f"; otherwise it costs {money(fee)}" if fee is not None else ""
        return [f"{rule[0].upper()}{rule[1:]}{other}."]
    if topic == "payment" and rules.payment_methods:
        listed = _listing(rules.payment_methods)
        named = [m for m in rules.payment_methods if m.lower() in question.lower()]
        if named:
            return [f"Yes: we accept {_listing(named)}."]
        asked = _method_asked(question)  # "can I pay with Klarna?": a method we don't take
        return [f"No: we accept {listed}."] if asks and asked else [f"We accept {listed}."]
    if topic == "cancel" and rules.cancellable_statuses:
        ok = _listing(rules.cancellable_statuses, "or")
        rule = f"an order can be cancelled while it is {ok}; once it has shipped, return it instead"
        said = [s for s in _STATUSES if _STATUS_WORDS[s].search(question)]
        if said and asks:
            verdict = "Yes" if said[0] in rules.cancellable_statuses else "No"
            return [f"{verdict}: {rule}."]
        return [f"{rule[0].upper()}{rule[1:]}."]
    if topic == "return_fee" and rules.return_label_fee is not None:
        fee = money(rules.return_label_fee)
        lead = "No: c" if asks and _FREE.search(question) else "C"
        return [f"{lead}hange-of-mind returns cost {fee} (taken from your refund); returns of "
                f"faulty or wrongly sent items are free."]  # fmt: skip
    if topic == "refund_time" and rules.refund_days_max is not None:
        span = f"{rules.refund_days_min}-{rules.refund_days_max}"
        return [f"Refunds reach your original payment method {span} business days after we "
                f"check the returned item."]  # fmt: skip
    if topic == "express" and rules.express_shipping_fee is not None:
        return [f"Express delivery costs {money(rules.express_shipping_fee)} and arrives the next "
                f"business day."]  # fmt: skip
    if topic == "return_window":
        return [f"You can return most items within {rules.return_window_days} days of delivery."]
    if topic == "delivery_time":
        return [f"Standard delivery takes {rules.delivery_days_min}-{rules.delivery_days_max} "
                f"business days."]  # fmt: skip
    if topic == "warranty":
        return [f"Electronics come with a {rules.warranty_years_electronics}-year warranty and "
                f"everything else with a {rules.warranty_years_default}-year warranty."]  # fmt: skip
    return []


def _method_asked(question: str) -> bool:
    """Does the question name a specific payment method (one the store does not list)?"""
    return any(not _GENERIC.match(m.group(1)) for m in _METHOD.finditer(question))


def _amount(question: str) -> float | None:
    m = _AMOUNT.search(question)
    return float((m.group(1) or m.group(2)).replace(",", "")) if m else None


def _listing(values, last: str = "and") -> str:
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" {last} {values[-1]}"


def cite(sections: list[dict], facts: list) -> str:
    """The citation for decided facts: the retrieved section that states their numbers or names,
    else the closest one."""
    if not sections:
        return ""
    keys = set(_CITED.findall(" ".join(map(str, facts))))
    best = max(sections, key=lambda s: sum(k in s["text"] for k in keys))
    return f"[{best['file']} › {best['section'].split(' > ')[-1]}]"
