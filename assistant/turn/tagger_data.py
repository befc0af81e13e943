"""Training sentences for the slot tagger: shopper requests assembled from labelled pieces.

Each piece carries its label: ITEM (what to search for: product types, brands, attributes),
INTEREST (what a gift's recipient is into: "a coffee lover", "an avid hiker", "someone who
bakes"), PAST (a reference to the shopper's own history) or O (filler, gifts and recipients,
budgets, ratings, superlatives, politeness). The tagger learns the difference from MiniLM's
contextual word vectors, so phrasings outside these pieces are still tagged; exact values
(amounts, ratings, ids) are read by validators, never by the tagger.
"""

from __future__ import annotations

import random

OPENERS = ["", "", "", "hi", "hello,", "hey there,", "hi, could you help me?", "good morning!",
           "ok so", "um", "please", "quick question:", "hiya", "right,", "so"]  # fmt: skip
ASKS = ["i'm looking for", "i am looking for", "looking for", "i need", "i want", "show me",
        "find me", "do you have", "do you sell", "have you got", "any", "can you recommend",
        "could you suggest", "i'd like", "got any", "help me find", "search for", "recommend me",
        "i'm after", "we need", "my son needs", "need", "where can i find", "is there",
        "can i get", "i wanna buy", "i would like to buy", "what have you got in", "browsing for",
        "what do you have in", "can u show me", "lemme see", "trying to find", "shopping for"]  # fmt: skip
DETERMINERS = ["", "", "a", "an", "some", "a good", "a nice", "decent", "new", "a cheap", "a few"]
GIFTS = ["a gift", "a present", "gift ideas", "a birthday present", "something nice", "something",
         "anything", "a little treat", "stocking fillers", "ideas", "a christmas gift",
         "a thank you gift", "a housewarming present", "something special", "a surprise",
         "a secret santa gift", "some inspiration", "a leaving present", "picks", "some picks",
         "suggestions", "recommendations", "top picks"]  # fmt: skip
RECIPIENTS = ["for my dad", "for my mum", "for my wife", "for him", "for her", "for a friend",
              "for my boss", "for a 10 year old", "for my sister's birthday", "for christmas",
              "for a coworker", "for my husband", "for my grandma", "for the kids",
              "for my teenage son", "for a colleague who is leaving", "for our anniversary",
              "for me", "for myself", "for a new neighbour", "for fathers day"]  # fmt: skip
INTERESTS = [
    ("for a", "lover"),
    ("for someone who loves", ""),
    ("for a keen", "fan"),
    ("for someone into", ""),
    ("for a big", "fan"),
    ("for my friend who likes", ""),
]
# People described by what they are into (INTEREST: what to look for, read as an interest in a
# kind of product rather than the product itself); hobbies, not this catalog's words.
FANS = ["runner", "gardener", "baker", "keen cook", "gamer", "hiker", "cyclist", "tea drinker",
        "coffee addict", "music fan", "film buff", "yoga fan", "golfer", "fisherman", "knitter",
        "keen reader", "swimmer", "painter", "camper", "wine lover", "dog owner", "cat person",
        "skier", "tech geek", "foodie", "gym goer", "sweet tooth", "climber", "birdwatcher",
        "home chef", "plant lover", "bookish teen", "fitness fanatic", "puzzle nerd",
        "caffeine addict", "wine snob", "sneakerhead", "gadget freak", "cheese fiend", "tea fiend",
        "workaholic", "shopaholic", "film nerd", "bibliophile", "audiophile", "cinephile",
        "marathon runner", "cocktail fan", "beauty junkie", "skincare addict", "candle fanatic",
        "vinyl collector", "stamp collector", "lego fanatic", "board gamer", "chess player",
        "pet lover", "dog lover", "nature lover", "outdoorsy type", "sporty teen", "new dad",
        "keen gardener", "amateur baker", "budding artist", "aspiring chef", "trainee barista"]  # fmt: skip
FAN_FRAMES = [("for a", ""), ("for an avid", ""), ("for my friend who is a", ""),
              ("for someone who is a big", ""), ("for my dad, he's a", ""), ("for a keen", ""),
              ("for my sister, she's a", ""), ("for a friend who's a huge", ""), ("for a real", ""),
              ("for my colleague, a total", ""), ("for our son - he's a", "")]  # fmt: skip
DOERS = [("bakes", ""), ("cycles", ""), ("swims", ""), ("paints", ""), ("knits", ""),
         ("plays", "golf"), ("goes", "hiking"), ("cooks", ""), ("gardens", "")]  # fmt: skip
BUDGETS = ["under 30", "under £30", "below 50 pounds", "for less than 20", "around 25 quid",
           "up to £40", "max 15", "between 10 and 20", "no more than £35", "cheap", "under 30 dollars",
           "under 20 quid", "budget is 60", "at most 45 pounds", "less than £12.50", "sub 25",
           "within 100", "over 50", "from £20"]  # fmt: skip
RATINGS = ["rated 4.5 or more", "with at least 4 stars", "with good reviews", "that people like",
           "highly rated", "4 stars and up", "rated 4+", "with a rating above 4"]  # fmt: skip
SUPERLATIVES = ["the cheapest", "the best rated", "the two cheapest", "top rated",
                "the most expensive", "the three best rated", "your cheapest", "the best value",
                "the highest rated", "the lowest priced"]  # fmt: skip
PAST = ["like what i bought last time", "like my last order", "the same as last time", "again",
        "like before", "similar to what i got before", "like the one i bought", "that i usually buy",
        "like my previous purchase", "to go with what i bought", "like i ordered last month",
        "as before", "similar to my last one"]  # fmt: skip
SUFFIXES = ["", "", "", "?", "please", "thanks", ", what do you suggest?", ", any ideas?",
            ", what would you recommend?", "in stock", "asap", "for delivery this week",
            ". thanks!", ", what have you got?", "pls", "if possible", "thank you so much",
            "- what's good?", ", what do you think?"]  # fmt: skip
FOLLOW_UPS = ["only things rated 4.5 or more", "cheaper", "cheaper please", "anything cheaper?",
              "what about under 20", "show me more", "any others?", "the second one",
              "more like the first", "only ones in stock", "something less expensive",
              "can you go lower", "what else is there", "any with better reviews?",
              "too pricey", "ok and under 15?", "only the good ones", "other options?",
              "hmm not those", "what about something different", "and under £50", "and cheaper",
              "and rated 4 or more", "and in stock please", "also under 30"]  # fmt: skip
ATTRIBUTES = ["blue", "red", "black", "white", "wooden", "large", "small", "1.7l", "organic",
              "waterproof", "wireless", "stainless steel", "cotton", "quiet", "vegan", "kids",
              "gluten free", "leather", "green", "portable", "king size", "non-stick"]  # fmt: skip
# Product types beyond the demo catalog (including things a store may not sell), so ITEM means
# "a kind of product", not "a word of this catalog".
GENERIC_PRODUCTS = """
laptop sofa car tyres lawn mower guitar perfume dog food printer ink phone case television
washing machine microwave blender rice cooker air fryer frying pan saucepan knife set cutting
board dinner plates wine glasses cushions curtains rug desk chair bookshelf mattress pillows
duvet alarm clock wall clock mirror picture frame candles vase houseplant garden hose
wheelbarrow bird feeder bbq tent sleeping bag hiking boots backpack suitcase umbrella
sunglasses watch necklace earrings bracelet wallet handbag scarf gloves hat socks trainers
sandals dress jeans shirt hoodie pyjamas swimsuit football tennis racket bicycle helmet
skateboard scooter lego set doll teddy bear jigsaw crayons paint set notebook pens calculator
headphones earbuds keyboard mouse monitor webcam usb stick hard drive tablet e-reader camera
tripod drone smart speaker light bulbs extension lead batteries drill screwdriver hammer
paint brushes shampoo conditioner moisturiser sunscreen razor toothbrush hair dryer
straighteners makeup lipstick nail polish vitamins protein powder dumbbells kettlebell
treadmill cat litter fish tank dog lead baby monitor pram car seat nappies olive oil pasta
biscuits honey jam wine beer gin whisky chocolates cheese board spices loose leaf tea
"""
PRODUCTS = [p for p in GENERIC_PRODUCTS.split("\n") if p]


def product_phrases(extra: list[str]) -> list[str]:
    """Generic product types split into phrases, plus catalog names and titles (`extra`)."""
    words = " ".join(PRODUCTS).split()
    pairs = [" ".join(words[i : i + 2]) for i in range(0, len(words) - 1, 2)]
    return [*words, *pairs, *extra]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4 or rng.random() > 0.08:
        return word
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def _piece(rng: random.Random, text: str, label: str) -> list[tuple[str, str]]:
    return [(_typo(rng, w), label) for w in text.split()]


def sentence(rng: random.Random, products: list[str]) -> list[tuple[str, str]]:
    """One labelled request: [(word, label)], drawn from the pieces above."""
    kind = rng.random()
    out = _piece(rng, rng.choice(OPENERS), "O")
    if kind < 0.15:
        return out + _piece(rng, rng.choice(FOLLOW_UPS), "O") + _attribute_tail(rng)
    if kind < 0.25:  # a request about the shopper's past
        out += _piece(rng, rng.choice(["something", "anything", "more", "some"]), "O")
        out += _piece(rng, rng.choice(PAST), "PAST")
        return out + _piece(rng, rng.choice(SUFFIXES), "O")
    if kind < 0.33:  # a bare product phrase: "lego star wars", "kettle under 30"
        out = _item(rng, products)
        if rng.random() < 0.4:
            out += _piece(rng, rng.choice(BUDGETS), "O")
        return out + _piece(rng, rng.choice(SUFFIXES[:4]), "O")
    out += _piece(rng, rng.choice(ASKS) if rng.random() < 0.8 else "", "O")
    if kind < 0.5:  # a gift with a recipient or an interest
        out += _piece(rng, rng.choice(GIFTS), "O")
        roll = rng.random()
        if roll < 0.3:  # "for a coffee lover": the product words are the interest
            lead, tail = rng.choice(INTERESTS)
            words = [(w, "INTEREST") for w, _ in _item(rng, products)]
            out += _piece(rng, lead, "O") + words + _piece(rng, tail, "O")
        elif roll < 0.45:  # "for an avid hiker"
            lead, tail = rng.choice(FAN_FRAMES)
            out += _piece(rng, lead, "O") + _piece(rng, rng.choice(FANS), "INTEREST")
            out += _piece(rng, tail, "O")
        elif roll < 0.55:  # "for someone who bakes"
            verb, obj = rng.choice(DOERS)
            out += _piece(rng, "for someone who", "O") + _piece(
                rng, f"{verb} {obj}".strip(), "INTEREST"
            )
        else:
            out += _piece(rng, rng.choice(RECIPIENTS), "O")
    else:
        if rng.random() < 0.2:
            out += _piece(rng, rng.choice(SUPERLATIVES), "O")
        else:
            out += _piece(rng, rng.choice(DETERMINERS), "O")
        out += _item(rng, products)
        if rng.random() < 0.25:
            out += _piece(rng, rng.choice(RECIPIENTS), "O")
    for pool, p in ((BUDGETS, 0.5), (RATINGS, 0.2)):
        if rng.random() < p:
            out += _piece(rng, rng.choice(pool), "O")
    return out + _piece(rng, rng.choice(SUFFIXES), "O")


def _item(rng: random.Random, products: list[str]) -> list[tuple[str, str]]:
    words = _piece(rng, rng.choice(products).lower(), "ITEM")
    if rng.random() < 0.3:
        words = _piece(rng, rng.choice(ATTRIBUTES), "ITEM") + words
    return words


def _attribute_tail(rng: random.Random) -> list[tuple[str, str]]:
    if rng.random() < 0.3:
        return _piece(rng, "in", "O") + _piece(rng, rng.choice(ATTRIBUTES), "ITEM")
    return []
