"""Training messages for the basket-act head: what a shopper writes to change or read a basket.

Classes: add · remove · set (a new quantity) · clear · view · none (every other message). The
`none` class holds the intent examples, shopper requests from the slot tagger's data and near
misses that share words with basket messages ("add a budget of 30", "remove an item from my
order", "make it cheaper"), so the head learns what a basket change means, not which words it
uses. Quantities and references are read by exact validators afterwards, never by the head.
"""

from __future__ import annotations

import random

CARTS = ["basket", "cart", "bag", "trolley", "shopping basket", "shopping cart"]
TO_CART = ["", "", "to my {cart}", "to the {cart}", "to {cart}", "into my {cart}", "in my {cart}"]
REFS = ["the first one", "the second one", "the third", "the last one", "the cheaper one",
        "the cheapest one", "the best rated one", "that one", "it", "this", "that", "those",
        "both", "the kettle", "the blue kettle", "the mugs", "the red one", "item 2", "number 3",
        "option 1", "P00012", "the lego set", "the headphones", "the 2nd one", "the jacket",
        "the £24.99 one", "the one from Hartwell", "the puzzle", "the towels", "the bigger one",
        "the coffee", "the toaster", "the first two", "the top one", "the one you mentioned"]  # fmt: skip
QTYS = ["two", "2", "three", "3", "a couple of", "four", "5", "ten", "one", "1", "6"]
OPENERS = ["", "", "", "ok", "great,", "yes", "perfect,", "hmm", "actually", "please", "cool,",
           "nice, ", "right,", "yes please", "lovely,", "alright"]  # fmt: skip
SUFFIXES = ["", "", "", "please", "thanks", "?", "!", "pls", "for me", "thank you", "now",
            ", what do you think?", ", can you help?", "- cheers", ", any thoughts?"]  # fmt: skip

ADD = ["add {ref} {to}", "put {ref} {to}", "i'll take {ref}", "i will take {ref}",
       "can you add {ref} {to}", "could you put {ref} in my {cart}", "add {qty} of {ref}",
       "i'll have {qty} of {ref}", "add {qty} {to}", "i'd like {qty} of {ref}", "add it {to}",
       "add to {cart}", "add {ref}", "stick {ref} in my {cart}", "throw {ref} in the {cart}",
       "pop {ref} in my {cart}", "i want to buy {ref}", "i'll buy {ref}", "get me {qty} of {ref}",
       "add another one", "one more of {ref}", "add {qty} more", "i'll get {ref}",
       "{ref} looks good, add it", "yes add {ref} {to}", "add that to my order list",
       "put {qty} in my {cart}", "i want {ref} in my {cart}", "let's add {ref}",
       "save {ref} in my {cart}", "put {ref} in the {cart} please", "take {qty}",
       "can i have {ref} in my {cart}", "please add {ref} and {ref}", "add {ref} too",
       "put {qty} in my {cart}", "put {qty} of them in", "add {qty} to the {cart}",
       "buy {qty} of {ref}", "i'll take {qty}"]  # fmt: skip
REMOVE = ["remove {ref} from my {cart}", "remove {ref}", "take {ref} out of my {cart}",
          "take {ref} out", "delete {ref} from my {cart}", "drop {ref}", "get rid of {ref}",
          "i don't want {ref} anymore", "i don't need {ref} after all", "remove one of {ref}",
          "take one {ref} out", "take out {ref}", "no more {ref} in my {cart}",
          "can you remove {ref} from the {cart}", "delete {ref}", "remove it",
          "scrap {ref}", "cancel {ref} from my {cart}", "lose {ref}", "take it out of my {cart}",
          "remove {qty} of {ref}", "please take {ref} off my {cart}", "bin {ref}",
          "i changed my mind about {ref}, remove it", "undo adding {ref}"]  # fmt: skip
SET = ["make that {qty}", "make it {qty}", "change {ref} to {qty}", "i need {qty} of {ref} instead",
       "actually {qty} of them", "set {ref} to {qty}", "update {ref} quantity to {qty}",
       "{qty} instead", "change the quantity to {qty}", "make it {qty} please", "i want {qty} of them",
       "can i have {qty} of those instead", "only {qty} please", "just {qty} of {ref}",
       "change it to {qty}", "bump it up to {qty}", "reduce {ref} to {qty}",
       "i'd like {qty} of them not one", "let's make it {qty}", "{qty} of {ref} please, not 1",
       "actually make that {qty}", "quantity {qty}", "increase {ref} to {qty}"]  # fmt: skip
CLEAR = ["empty my {cart}", "clear my {cart}", "remove everything from my {cart}",
         "delete everything in my {cart}", "start again with an empty {cart}", "clear the {cart}",
         "remove all items", "take everything out of my {cart}", "empty the {cart} please",
         "get rid of everything in my {cart}", "wipe my {cart}", "reset my {cart}",
         "i want to start over, clear my {cart}", "remove all of it", "delete all items in my {cart}",
         "throw out everything in the {cart}", "cancel everything in my {cart}"]  # fmt: skip
VIEW = ["what's in my {cart}?", "show me my {cart}", "how much is my {cart}?", "what's my {cart} total",
        "how many items are in my {cart}", "view {cart}", "my {cart}", "what have i added so far",
        "can i see my {cart}", "what's the total", "how much do i owe so far", "{cart} total please",
        "what did i put in my {cart}", "show {cart}", "what's in the {cart} now?",
        "list my {cart}", "check my {cart}", "how much will it all cost", "what is my {cart} worth",
        "remind me what's in my {cart}", "total so far?", "open my {cart}",
        "how much is everything in my {cart}", "what do i have in my {cart}"]  # fmt: skip
NEAR_MISSES = ["add a budget of 30", "remove the budget", "can you remove the price filter",
               "show me kettles", "what's in the box?", "how much is the kettle?",
               "is the first one in stock?", "tell me more about the second one",
               "compare the first two", "i want to return the kettle", "remove an item from my order",
               "add an item to my order ORD-10003", "cancel my order", "change my delivery address",
               "change my order", "how much is delivery", "what was the total of my last order",
               "where is my order", "make it cheaper", "make it red", "change the colour to blue",
               "any in blue?", "i'd like a kettle", "i want a new phone", "the first one is nice",
               "how much is the second one?", "is it waterproof?", "does the second one come in red",
               "show me more like the first one", "what's the difference between them",
               "cheaper please", "only ones in stock", "do you sell car tyres?", "two cheapest kettles",
               "i need two kettles for the office, what do you have", "best rated mugs",
               "remove the brand filter", "forget the budget", "something under 20 instead",
               "i bought two of those last year", "can i return it", "refund for the mugs",
               "change the size of my order", "i ordered three, only two arrived",
               "my basket of goods arrived broken", "do you deliver on sundays",
               "is checkout secure?", "how do i pay", "can i pay with paypal",
               "what's your return policy", "talk to a human", "hello", "thanks that's all",
               "get me a kettle under 30", "i want something for my dad", "find me a jacket size m",
               "can i buy gift cards?", "do you have the kettle in white?", "how many are in stock?",
               "how many cups does the coffee machine make", "is the total price including vat?",
               "what's the cheapest one", "show me the cheapest", "which is better",
               "i'll think about it", "not now", "maybe later", "no thanks",
               "i want to add something to my order", "can i add an item to my existing order",
               "please add a second item to order ORD-10004", "remove the mug from my last order",
               "take the kettle off my order", "i'd like to change the quantity on my order",
               "make my order arrive sooner", "add gift wrapping to my order",
               "wheres my stuff", "where's my stuff?", "has my stuff shipped", "what about the 2nd one?",
               "what about the first one?", "and the third one?", "tell me about the second",
               "what about the last one", "more like the second one", "only things rated 4 or more",
               "only ones rated 4 stars or more thanks", "only 5 star ones", "what's the second one like",
               "is the first one any good", "what do people say about the third one",
               "can i still cancel if it's processing", "can i cancel if it hasn't shipped yet",
               "is it too late to cancel", "can i cancel before it ships", "can i change my mind and cancel"]  # fmt: skip


def _typo(rng: random.Random, word: str, p: float) -> str:
    if len(word) < 5 or not word.isalpha() or rng.random() > p:
        return word
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.6:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def _fill(rng: random.Random, template: str) -> str:
    cart = " ".join(_typo(rng, w, 0.3) for w in rng.choice(CARTS).split())
    text = template.replace("{to}", rng.choice(TO_CART))
    while "{ref}" in text:
        text = text.replace("{ref}", rng.choice(REFS), 1)
    text = text.replace("{cart}", cart).replace("{qty}", rng.choice(QTYS))
    if rng.random() < 0.3:  # the way people type: one swapped or dropped letter
        text = " ".join(_typo(rng, w, 0.4) for w in text.split())
    words = [rng.choice(OPENERS), text, rng.choice(SUFFIXES)]
    out = " ".join(w for w in words if w).replace(" ?", "?").replace(" !", "!")
    return out.capitalize() if rng.random() < 0.3 else out


def basket_examples(
    n_per_class: int, seed: int, others: list[str], near_misses: bool = True
) -> list[tuple[str, str]]:
    """(text, act) pairs: n per basket act, twice as many `none` drawn from `others`, and every
    near miss (training) or none of them (held-out sets)."""
    rng = random.Random(seed)
    rows = []
    for act, templates in (("add", ADD), ("remove", REMOVE), ("set", SET), ("clear", CLEAR),
                           ("view", VIEW)):  # fmt: skip
        rows += [(_fill(rng, rng.choice(templates)), act) for _ in range(n_per_class)]
    pool = list(others)
    rng.shuffle(pool)
    rows += [(t, "none") for t in pool[: 2 * n_per_class]]
    rows += [(t, "none") for t in NEAR_MISSES * 4 if near_misses]  # weighted: they are few
    rng.shuffle(rows)
    return rows
