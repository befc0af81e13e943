"""What a message asks for: deterministic rules first, a small learned head where rules can't decide.

Rules are regular expressions for the clear cases (order ids with "status"/"cancel", "refund",
"return policy", "compare X and Y", "recommend", greetings …). When none fires, the message is
embedded with the bundled MiniLM and scored by a multinomial logistic-regression head (fitted with scikit-learn, applied with
numpy).
The head ships as `assistant/turn/intent_head.npz`; rebuild it with
`python -m assistant.evals.intents --write-head` (needs ../shared/data/bitext_support).
If the file is missing, a head is trained from the hand-written examples at first use and cached
under the model cache. Importing this module loads no model and imports no torch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval import textre

HEAD_PATH = Path(__file__).with_name("intent_head.npz")
HEAD_MODEL = "all-MiniLM-L6-v2"
MEMO_SIZE = 4096  # model decisions remembered per classifier (a conversation replays its turns)


class Intent(StrEnum):
    """What the user wants from this turn."""

    RECOMMEND = "recommend"  # open-ended: suggestions, gift ideas, "what should I get"
    SEARCH = "search"  # find/buy products, refine a result list, ask about a shown item
    COMPARE = "compare"  # two or more products side by side
    ORDER_STATUS = "order_status"  # where is my order, tracking, ETA of an order
    CHANGE_ORDER = "change_order"  # add/remove/swap items of an existing order
    CANCEL_ORDER = "cancel_order"
    RETURN_REFUND = "return_refund"  # send something back, get or chase a refund
    POLICY_QUESTION = "policy_question"  # return/refund/cancellation/warranty rules and fees
    ACCOUNT = "account"  # sign-up, login, password, profile, newsletter
    PAYMENT = "payment"  # payment methods, failed payments, invoices and bills
    DELIVERY = "delivery"  # shipping options, times, destinations, delivery address
    FEEDBACK = "feedback"  # complaints, reviews of the shop or its service
    HUMAN_HANDOFF = "human_handoff"  # talk to a person / customer service
    BASKET = "basket"  # add, change, remove or read basket lines (the basket-act head decides)
    SMALL_TALK = "small_talk"
    OUT_OF_SCOPE = "out_of_scope"


SHOPPING = frozenset({Intent.RECOMMEND, Intent.SEARCH, Intent.COMPARE})


@dataclass(frozen=True)
class IntentResult:
    """A classification: the intent, how sure, and which layer decided."""

    intent: Intent
    confidence: float
    source: str  # "rules" | "model"

    def to_dict(self) -> dict:
        """JSON form."""
        return {
            "intent": str(self.intent),
            "confidence": round(self.confidence, 3),
            "source": self.source,
        }


# --- rules -------------------------------------------------------------------------------------

_ORDER_ID = r"(?:\bORD-?\d+\b|\b\d{6,}\b|#\s?\d{4,})"
_ORDER_NOUN = r"\b(?:order|purchase|parcel|package|delivery|shipment)s?\b"
# Words that mark a customer-service matter; shopping rules never fire when one is present.
SUPPORT_WORDS = textre.compile(
    r"\b(?:orders?|purchases?|refund\w*|reimb\w*|rebat\w*|restitution\w*|compensation\w*|"
    r"return(?:s|ed|ing)?|deliver\w*|shipp?\w*|parcels?|packages?|tracking|track|arriv\w*|"
    r"acc?ounts?|profile|delet\w*|passwords?|payments?|pay|invoic\w*|bills?|cancel\w*|"
    r"complain\w*|complaint|claim|agent|policy|policies|warranty|guarantee|address|newsletter|"
    r"sign[- ]?up|log ?in|registration|customer (?:service|support|assistance|care)|fees?)\b",
    textre.I,
)
_GREETING = (
    r"(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|day)|thanks?(?: you)?(?: (?:so|very) much)?|"
    r"thank you|thx|ty|cheers|ok(?:ay)?|cool|great|perfect|nice|awesome|brilliant|lovely|bye|goodbye|"
    r"see you|see ya|how are you(?: doing)?(?: today)?|who are you|what(?:'s| is) your name|"
    r"what can you do|are you a (?:bot|robot|human)|nice to meet you|you(?:'re| are) (?:great|helpful|awesome)|"
    r"that'?s (?:all|great|helpful|perfect)|no,? that'?s (?:it|all)|(?:you )?there\??)"
)


def _rx(pattern: str) -> textre.Pattern:
    return textre.compile(pattern, textre.I)


# (intent, pattern, unless): first match wins; `unless` vetoes the rule.
RULES: list[tuple[Intent, textre.Pattern, textre.Pattern | None]] = [
    (Intent.SMALL_TALK, _rx(rf"^\W*{_GREETING}(?:[\s,!.?:;)(-]+{_GREETING})*[\s!.?:;)(-]*$"), None),
    (
        Intent.HUMAN_HANDOFF,
        _rx(
            r"\b(?:speak|talk|chat|get in touch|connect me)\b.{0,25}\b(?:human|person|agent|someone|somebody|"
            r"representative|operator|staff|customer (?:service|support|care))\b|\b(?:real|live) (?:person|agent|human)\b|"
            r"\bhuman agent\b"
        ),
        None,
    ),
    (
        Intent.POLICY_QUESTION,
        _rx(
            r"\b(?:return|refund|returns|exchange|cancellation|money[- ]back|privacy|price[- ]match)\s+(?:policy|policies|window|period|guarantee)\b|"
            r"\bwarranty\b|\b(?:cancellation|termination|withdrawal|early exit)\s+(?:fees?|charges?|penalt\w+)\b|"
            r"\b(?:in|under) (?:what|which) \w+\b.{0,30}\b(?:refund|reimburs|return)|"
            r"\bterms and conditions\b|\bhow (?:many|long) days?\b.{0,30}\breturn"
        ),
        None,
    ),
    (
        Intent.RETURN_REFUND,
        _rx(
            r"\brefund\w*\b|\breimburse\w*\b|\bmoney back\b|\bsend (?:it|this|them|these|that) back\b|\bsend back\b|"
            r"\breturn (?:this|it|them|these|those|my|the|an?)\b|\bi want to return\b"
        ),
        _rx(r"\bpolicy\b|\bhow long\b|\b(?:in|under) (?:what|which)\b"),
    ),
    (
        Intent.CANCEL_ORDER,
        _rx(
            rf"\bcancel\w*\b.{{0,30}}(?:{_ORDER_NOUN}|{_ORDER_ID})|\b(?:don'?t|do not) want (?:my |the )?(?:order|purchase)\b"
        ),
        _rx(r"\b(?:fees?|charges?|penalt\w+|account|subscription|newsletter)\b"),
    ),
    (
        Intent.ORDER_STATUS,
        _rx(
            rf"\bwhere(?:'s| is| are)? (?:my|our|the) (?:order|parcel|package|stuff|purchase)\b|"
            rf"\bwhere(?:'s| is)\s+(?:(?:my |the )?(?:order|purchase)\s+)?{_ORDER_ID}|"
            rf"\btrack(?:ing)?\b.{{0,20}}(?:{_ORDER_NOUN}|{_ORDER_ID})|\b(?:order|purchase) status\b|"
            rf"\bstatus of (?:my |the )?(?:order|purchase)|{_ORDER_ID}.{{0,25}}\b(?:status|eta|arriv\w*|shipped|dispatched)\b|"
            rf"\b(?:status|eta)\b.{{0,25}}{_ORDER_ID}"
        ),
        _rx(r"\brefund|\bcancel"),
    ),
    (
        Intent.ACCOUNT,
        _rx(
            r"\b(?:password|pwd|newsletter|unsubscribe|sign[- ]?up|log ?in|sign ?in|registration)\b|"
            r"\b(?:create|open|delete|close|remove|deactivate|edit|update|cancel)\w*\b.{0,20}\b(?:account|profile)\b"
        ),
        None,
    ),
    (
        Intent.PAYMENT,
        _rx(
            r"\bpayment (?:methods?|options?|issue|problem|error|failed)|\b(?:paypal|apple pay|google pay|klarna)\b|"
            r"\bcharged twice\b|\bcard (?:was |got )?declined\b|\binvoices?\b|\bpay (?:with|by|using)\b"
        ),
        None,
    ),
    (
        Intent.DELIVERY,
        _rx(
            r"\b(?:ship|deliver)s? (?:to|in)\b|\b(?:delivery|shipping) (?:options?|times?|costs?|charges?|fees?|rates?|address)|"
            r"\bfree (?:delivery|shipping)\b|\bhow long (?:does|will) (?:delivery|shipping)\b|\bnext[- ]day delivery\b"
        ),
        _rx(r"\bmy order\b|\border\s+\S*\d"),
    ),
    (
        Intent.FEEDBACK,
        _rx(
            r"\bcomplain\w*|\bcomplaint\b|\b(?:leave|write|submit|post|send|give)\b.{0,15}\b(?:review|feedback|opinion)\b"
        ),
        None,
    ),
    (
        Intent.COMPARE,
        _rx(
            r"\bcompar\w*\b|\b(?:vs\.?|versus)\b|\bdifference between\b|\bside by side\b|"
            r"\bwhich (?:one |of (?:them|these|those|the \w+) )?(?:is|are|has|would be) (?:better|best|cheaper|bigger|"
            r"smaller|lighter|more \w+)"
        ),
        SUPPORT_WORDS,
    ),
    (
        Intent.RECOMMEND,
        _rx(
            r"\brecommend\w*|\bsuggest\w*|\bgift ideas?\b|\bwhat should i (?:get|buy|gift)\b|"
            r"\bwhat would you (?:get|buy|pick|choose)\b|\bideas? for\b|\bany (?:ideas|suggestions|tips)\b|"
            r"\bpersonali[sz]ed (?:picks|recommendations|suggestions)\b|\bfor me\b.{0,10}\bbased on\b|\bwhat(?:'s| is) (?:good|popular|trending)\b"
        ),
        SUPPORT_WORDS,
    ),
    (
        Intent.SEARCH,
        _rx(
            r"\b(?:show me|looking for|look for|find me|(?:help me )?find (?:a|an|some)|search for|do you (?:have|sell|stock|carry)|"
            r"have you got|got any|i(?:'m| am) after|i need (?:a|an|some) new)\b|"
            r"\b(?:cheaper|less expensive|more expensive|pricier|more affordable)\b|"
            r"\b(?:under|below|less than|up to|max|within|around|budget(?: of| is)?|between)\s*[£$€¥]?\s?\d"
        ),
        SUPPORT_WORDS,
    ),
]


def rule_intent(text: str) -> Intent | None:
    """The intent a deterministic rule assigns, or None when the rules can't decide."""
    for intent, pattern, unless in RULES:
        if pattern.search(text) and not (unless and unless.search(text)):
            return intent
    return None


# --- learned head ------------------------------------------------------------------------------


class TextEncoder(Protocol):
    """Anything with `encode(texts) -> (n, d) float32` (the MiniLM Embedder or a test fake)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class IntentHead:
    """Softmax regression over sentence embeddings."""

    weights: np.ndarray  # (d, C)
    bias: np.ndarray  # (C,)
    labels: tuple[Intent, ...]
    scale: float = 10.0
    meta: dict | None = None

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per vector."""
        z = (np.asarray(vectors, dtype=np.float64) * self.scale) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """Write the head as a small .npz."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            labels=np.array([str(x) for x in self.labels]),
            scale=np.array(self.scale),
            meta=np.array(json.dumps(self.meta or {})),
        )

    @classmethod
    def load(cls, path: Path) -> IntentHead:
        """Read a head written by `save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(
                weights=z["weights"].astype(np.float64),
                bias=z["bias"].astype(np.float64),
                labels=tuple(Intent(x) for x in z["labels"]),
                scale=float(z["scale"]),
                meta=json.loads(str(z["meta"])),
            )


def fit_head(
    vectors: np.ndarray,
    labels: list[Intent],
    scale: float = 10.0,
    l2: float = 3e-3,
    meta: dict | None = None,
) -> IntentHead:
    """Class-balanced multinomial logistic regression (scikit-learn, L-BFGS; deterministic):
    the mean balanced log-loss plus `l2`/2 ‖W‖², i.e. sklearn's C = 1 / (l2 · rows)."""
    from sklearn.linear_model import LogisticRegression

    classes = tuple(sorted(set(labels), key=list(Intent).index))
    x = np.asarray(vectors, dtype=np.float64) * scale
    y = np.array([classes.index(c) for c in labels])
    model = LogisticRegression(C=1.0 / (l2 * len(y)), class_weight="balanced", max_iter=2000)
    model.fit(x, y)
    weights, bias = model.coef_.T, model.intercept_
    if len(classes) == 2:  # sklearn keeps one column for two classes: make it a softmax pair
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    return IntentHead(weights, bias, classes, scale, meta)


def example_pairs() -> list[tuple[str, Intent]]:
    """The hand-written training utterances as (text, intent)."""
    from assistant.turn.intent_examples import EXAMPLES

    return [(text, Intent(name)) for name, texts in EXAMPLES.items() for text in texts]


# --- classifier --------------------------------------------------------------------------------


class IntentClassifier:
    """Rules first; the embedding head for what the rules leave undecided."""

    def __init__(
        self,
        encoder: TextEncoder | None = None,
        head: IntentHead | None = None,
        use_model: bool = True,
        fallback: Intent = Intent.SEARCH,
    ) -> None:
        self._encoder, self._head = encoder, head
        self.use_model = use_model
        self.fallback = fallback  # rules-only mode: what an undecided message becomes
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, IntentResult] = OrderedDict()  # conversations replay turns

    def _model(self) -> tuple[TextEncoder, IntentHead]:
        with self._lock:
            if self._encoder is None:
                from retrieval.storage.embeddings import get_embedder

                self._encoder = get_embedder()
            if self._head is None:
                self._head = load_default_head(self._encoder)
        return self._encoder, self._head

    def classify(self, text: str) -> IntentResult:
        """The intent of one message."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: list[str]) -> list[IntentResult]:
        """Intents of many messages; undecided ones are embedded in one batch."""
        out: list[IntentResult | None] = []
        for text in texts:
            intent = rule_intent(text)
            out.append(IntentResult(intent, 1.0, "rules") if intent else None)
        todo = [i for i, r in enumerate(out) if r is None]
        if todo and not self.use_model:
            for i in todo:
                out[i] = IntentResult(self.fallback, 0.0, "rules")
            todo = []
        with self._lock:
            for i in todo:
                out[i] = self._memo.get(texts[i])
        todo = [i for i in todo if out[i] is None]
        if todo:
            for i, result in zip(todo, self._predict([texts[i] for i in todo]), strict=True):
                out[i] = result
        return [r for r in out if r is not None]

    def _predict(self, texts: list[str]) -> list[IntentResult]:
        encoder, head = self._model()
        probs = head.predict_proba(encoder.encode(texts))
        results = [
            IntentResult(head.labels[k], float(p[k]), "model")
            for p, k in zip(probs, probs.argmax(axis=1), strict=True)
        ]
        with self._lock:
            self._memo.update(zip(texts, results, strict=True))
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return results


def load_default_head(encoder: TextEncoder) -> IntentHead:
    """The shipped head, else one trained from the hand-written examples and cached."""
    if HEAD_PATH.exists():
        return IntentHead.load(HEAD_PATH)
    from assistant.config import Settings

    pairs = example_pairs()
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:12]
    path = Settings().model_cache / f"intent_head-examples-{digest}.npz"
    if path.exists():
        return IntentHead.load(path)
    texts, labels = zip(*pairs, strict=True)
    head = fit_head(encoder.encode(list(texts)), list(labels), meta={"trained_on": "examples"})
    head.save(path)
    return head


@lru_cache(maxsize=1)
def default_classifier() -> IntentClassifier:
    """One shared classifier per process: the shipped head over the sentence vectors of the slot
    tagger's MiniLM pass (one encoder pass per message serves both), loaded at first use."""
    from assistant.turn.tagger import default_tagger

    return IntentClassifier(encoder=default_tagger())


def classify(text: str) -> IntentResult:
    """The intent of one message, with the shared classifier."""
    return default_classifier().classify(text)
