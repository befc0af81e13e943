"""How one shopping message changes the constraints in force (`apply_constraints`).

Only shopping turns change them; support turns such as "what's your return policy?" leave them in
force:
- Budget: a new bound replaces the earlier bound on the same side; a bound that contradicts the
  other side drops it. "cheaper" with no number sets price < the cheapest price cited in the last
  assistant message, else < CHEAPER_FACTOR (0.8) x the ceiling in force; "more expensive" sets
  price > the dearest cited price (else > the old ceiling) and drops the ceiling. "any price",
  "forget the budget", "no budget" clear both sides.
- Category: a category different from the one in force replaces it, restarts the topic and drops
  brands not named again. Change words ("actually", "instead", "what about") also restart the
  topic; other new words refine it ("for two players" after "board games").
- Brand: a later brand replaces the earlier one. "not X"/"no X"/"without X" excludes X (a brand
  or category the vocabulary knows, else a free-text term); naming X again lifts the exclusion.
- Rating: a later minimum replaces the earlier one; "any rating" clears it. "in stock" stays on.
- Colour and size are soft attributes (added to the ranking text); later values replace them.
- A message about specific items ("is the second one wooden?") changes no constraint.
"""

from __future__ import annotations

from assistant.turn.conversation_state import ConversationState
from retrieval import textre
from retrieval.search.query import Vocabulary, parse_query
from retrieval.storage.mirror import Filters

CHEAPER_FACTOR = 0.8


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CHEAPER = textre.compile(
    r"\b(?:cheaper|less expensive|lower[- ]priced|more affordable|too (?:expensive|pricey|dear))\b",
    textre.I,
)
_DEARER = textre.compile(
    r"\b(?:more expensive|pricier|higher[- ]end|more premium|fancier)\b", textre.I
)
_CLEAR_BUDGET = textre.compile(
    r"\b(?:any price|any budget|no budget|whatever (?:the )?price|money is no object|"
    r"forget (?:about )?(?:the |my )?(?:budget|price(?: limit)?)|ignore (?:the |my )?(?:budget|price)|"
    r"(?:remove|drop|lift) (?:the |my )?(?:budget|price (?:limit|filter))|"
    r"(?:price|budget|cost) (?:doesn'?t|does not) matter|don'?t care about (?:the )?price)\b",
    textre.I,
)
_CLEAR_RATING = textre.compile(
    r"\b(?:any rating|forget (?:the )?rating|rating doesn'?t matter)\b", textre.I
)
_COLORS = (
    "red|blue|green|black|white|pink|purple|yellow|orange|grey|gray|brown|silver|gold|navy|beige|"
    "turquoise|multicolou?r(?:ed)?"
)
_COLOR = textre.compile(
    rf"\b(?:in|colou?r:?|colou?red)\s+({_COLORS})\b|\b({_COLORS})\s+(?:one|ones|version|colou?r)\b|^\s*({_COLORS})\s*(?:please)?[.!?]*\s*$",
    textre.I,
)
_SIZES = r"xxs|xs|s|m|l|xl|xxl|small|medium|large|extra large|\d{1,2}(?:\.5)?"
_SIZE = textre.compile(
    rf"\bsize:?\s*({_SIZES})\b|\b(xxs|xs|xl|xxl|small|medium|large)\s+size\b|\bin (?:a )?(xs|xl|xxl|small|medium|large)\b",
    textre.I,
)
_CLEAR_ATTR = textre.compile(r"\bany (colou?r|size)\b", textre.I)
_NEGATED = textre.compile(
    r"\b(?:not|no|without|except|excluding|other than)\s+(?:any\s+)?([a-z][\w'&-]*)", textre.I
)
_NOT_TERMS = _words(
    "more less too so very sure thanks thank problem worries budget price one ones longer that this "
    "them those these it the a an way need matter rush"
)
_CHANGE = textre.compile(
    r"\b(?:actually|instead|what about|how about|rather|switch to|change to|something else|forget (?:that|it|those))\b|^\s*now\b",
    textre.I,
)
_LEAD = textre.compile(
    r"^(?:actually|ok(?:ay)?|so|well|hmm+|and|but|also|now|then|instead|please|maybe|hi|hey|"
    r"(?:can|could|would|will) you(?: please)?|(?:please )?(?:show|find|get|give|recommend|suggest|search)(?: me| for)?|"
    r"i(?:'m| am) (?:looking|searching|hunting) for|i(?:'m| am) after|look(?:ing)? for|"
    r"i(?:'d| would)? (?:want|need|like)(?: to (?:buy|get|see|order|find))?|do you (?:have|sell|stock|carry)|"
    r"have you got|got|any|some|what about|how about|let'?s (?:see|try)|try|switch to|change to)\b[\s,.!?:;-]*",
    textre.I,
)
_TAIL = textre.compile(
    r"(?:[\s,]+(?:please|instead|then|thanks|thank you|too|as well))+[\s.!?]*$|[\s.!?,]+$", textre.I
)
_CONTENT_WORD = textre.compile(r"[a-z0-9']+")
_FILLER = _words(
    "a an the one ones something anything stuff things options option them those these it for me "
    "please instead some other else more less cheaper expensive and or with in of to any like"
)
_REFINE_START = textre.compile(
    r"^(?:for|with|that|which|without|made|suitable|from|by|in|around|about|one|ones|something|anything)\b",
    textre.I,
)
_ONES = textre.compile(r"\bones?\b", textre.I)


def _update_prices(
    f: Filters, new: Filters, text: str, shown: list[float], notes: list[str]
) -> None:
    if _CLEAR_BUDGET.search(text):
        f.price_min = f.price_max = None
        notes.append("budget cleared")
    if new.price_max is not None:
        f.price_max, f.price_max_inclusive = new.price_max, new.price_max_inclusive
        if f.price_min is not None and new.price_min is None and f.price_min >= new.price_max:
            f.price_min = None
    if new.price_min is not None:
        f.price_min, f.price_min_inclusive = new.price_min, new.price_min_inclusive
        if f.price_max is not None and new.price_max is None and f.price_max <= new.price_min:
            f.price_max = None
    if new.price_max is None and _CHEAPER.search(text):
        _cheaper(f, shown, notes)
    if new.price_min is None and _DEARER.search(text):
        floor = max(shown) if shown else f.price_max
        f.price_max = None
        if floor is not None:
            f.price_min, f.price_min_inclusive = floor, False
            notes.append(f"more expensive: price > {floor:g} (dearer than shown)")


def _cheaper(f: Filters, shown: list[float], notes: list[str]) -> None:
    if shown:
        ceiling, why = min(shown), "below the cheapest price shown"
    elif f.price_max is not None:
        ceiling, why = (
            round(f.price_max * CHEAPER_FACTOR, 2),
            f"{CHEAPER_FACTOR:g} x the last budget",
        )
    else:
        notes.append("cheaper: no price shown or budget set, nothing to lower")
        return
    f.price_max, f.price_max_inclusive = ceiling, False
    if f.price_min is not None and f.price_min >= ceiling:
        f.price_min = None
    notes.append(f"cheaper: price < {ceiling:g} ({why})")


def _update_names(f: Filters, new: Filters, topic_change: bool) -> None:
    named = set(new.brands) | set(new.categories) | set(new.brands_or_categories)
    if new.categories or new.brands_or_categories or topic_change:
        f.categories, f.brands_or_categories = new.categories, new.brands_or_categories
        f.brands = new.brands
    elif new.brands:
        f.brands = new.brands
    ex_b = (set(f.exclude_brands) - named) | set(new.exclude_brands)
    ex_c = (set(f.exclude_categories) - named) | set(new.exclude_categories)
    f.exclude_brands, f.exclude_categories = tuple(sorted(ex_b)), tuple(sorted(ex_c))
    for key in ("brands", "categories", "brands_or_categories"):
        kept = [v for v in getattr(f, key) if v not in ex_b | ex_c]
        setattr(f, key, tuple(kept))


def _blank(text: str, pattern: textre.Pattern) -> str:
    return pattern.sub(" ", text)


def _attributes(state: ConversationState, text: str) -> str:
    for cleared in _CLEAR_ATTR.finditer(text):
        state.attributes.pop("size" if cleared.group(1).lower() == "size" else "color", None)
    for key, pattern in (("color", _COLOR), ("size", _SIZE)):
        if m := pattern.search(text):
            state.attributes[key] = next(g for g in m.groups() if g).lower()
            text = text[: m.start()] + " " + text[m.end() :]
    return _blank(text, _CLEAR_ATTR)


def _negated_terms(text: str, new: Filters) -> list[str]:
    known = set(new.exclude_brands) | set(new.exclude_categories)
    terms = [m.group(1).lower() for m in _NEGATED.finditer(text)]
    return [t for t in terms if t not in _NOT_TERMS and t not in known]


def _content(rest: str) -> str:
    text = rest.strip()
    while (stripped := _LEAD.sub("", text, count=1)) != text:
        text = stripped
    text = _TAIL.sub("", text).strip(" ,.;:-!?")
    words = _CONTENT_WORD.findall(text.lower())
    return text if any(w not in _FILLER for w in words) else ""


def _subject_words(subject: str, state: ConversationState, negated: list[str]) -> str:
    """The tagged subject minus soft attributes and negated terms (they are kept apart)."""
    drop = {v.lower() for v in state.attributes.values()} | set(negated)
    kept = [w for w in subject.split() if w.lower().strip(",") not in drop]
    return " ".join(kept).strip(", ")


def _keep_names_in(new: Filters, about: Filters) -> None:
    """Keep the brands and categories of `new` that the tagged subject names too (`about`);
    exclusions ("not lego") stay whatever words carry them."""
    new.brands = tuple(b for b in new.brands if b in about.brands)
    new.categories = tuple(c for c in new.categories if c in about.categories)
    both = set(about.brands_or_categories)
    new.brands_or_categories = tuple(x for x in new.brands_or_categories if x in both)


def _update_topic(state: ConversationState, words: str, topic_change: bool) -> None:
    if not words:
        return
    refine = _REFINE_START.match(words) or _ONES.search(words)
    if topic_change or not state.topic or not refine:
        state.topic = words
    else:
        state.topic = f"{state.topic} {words}"


def apply_constraints(
    state: ConversationState,
    text: str,
    vocab: Vocabulary | None,
    currency: str,
    subject: str | None = None,
) -> bool:
    """Fold one shopping message into the state; True when it held only constraints.

    `subject`: the words a learned tagger marked as what to search for (None: the words the
    rules leave over, the old behaviour kept for tests without a model)."""
    parsed = parse_query(text, vocab, currency)
    new, f, notes = parsed.filters, state.filters, state.notes
    if subject and subject.strip(", "):  # a name only outside the subject ("for kids") is no filter
        _keep_names_in(new, parse_query(subject, vocab, currency).filters)
    notes.extend(parsed.matched)
    if parsed.currency_note:
        notes.append(parsed.currency_note)
    _update_prices(f, new, text, state.shown_prices, notes)
    rest = _attributes(state, parsed.text)
    terms = _negated_terms(rest, new)
    rest = _NEGATED.sub(lambda m: " " if m.group(1).lower() in terms else m.group(0), rest)
    for pattern in (_CHEAPER, _DEARER, _CLEAR_BUDGET, _CLEAR_RATING):
        rest = _blank(rest, pattern)
    words = _content(rest) if subject is None else _subject_words(subject, state, terms)
    new_cats = set(new.categories) | set(new.brands_or_categories)
    old_cats = set(f.categories) | set(f.brands_or_categories)
    topic_change = bool(new_cats and new_cats != old_cats) or bool(words and _CHANGE.search(text))
    if topic_change and state.topic:
        notes.append(f"new topic (was: {state.topic})")
    _update_names(f, new, topic_change)
    if new.rating_min is not None:
        f.rating_min = new.rating_min
    elif _CLEAR_RATING.search(text):
        f.rating_min = None
    f.in_stock = True if new.in_stock else f.in_stock
    named = set(new.brands) | set(new.categories) | set(new.brands_or_categories)
    kept = [t for t in state.excluded_terms if t not in named and t not in words.lower().split()]
    state.excluded_terms = tuple(dict.fromkeys([*kept, *terms]))
    _update_topic(state, words, topic_change)
    return not words and not new_cats and not new.brands
