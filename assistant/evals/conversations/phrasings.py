"""Phrasings the conversation cases are written from: how shoppers name the demo and toys
categories, filler, things the store does not sell, handoff requests, policy questions."""

# demo leaf category -> (singular, plural), the way shoppers say it
NOUNS = {
    "Kettles": ("kettle", "kettles"), "Toasters": ("toaster", "toasters"),
    "Coffee Makers": ("coffee maker", "coffee makers"), "Mugs & Cups": ("mug", "mugs"),
    "Towels": ("towel", "towels"), "Board Games": ("board game", "board games"),
    "Planters": ("planter", "planters"), "Jumpers": ("jumper", "jumpers"),
    "Yoga Mats": ("yoga mat", "yoga mats"), "Smartwatches": ("smartwatch", "smartwatches"),
    "Cookbooks": ("cookbook", "cookbooks"), "Speakers": ("speaker", "speakers"),
    "Lamps": ("lamp", "lamps"), "Puzzles": ("puzzle", "puzzles"),
    "Water Bottles": ("water bottle", "water bottles"), "Jackets": ("jacket", "jackets"),
    "Headphones": ("pair of headphones", "headphones"), "Running Shoes": ("running shoe", "running shoes"),
    "T-Shirts": ("t-shirt", "t-shirts"), "Wooden Toys": ("wooden toy", "wooden toys"),
}  # fmt: skip

TOYS_NOUNS = {
    "Model Trains & Railway Sets": "model trains", "Dice & Dice Games": "dice games",
    "Beach Toys": "beach toys", "Children's Craft Kits": "craft kits for kids",
    "Fancy Dress": "fancy dress accessories", "Star Wars": "star wars toys",
    "Paper & Stickers": "stickers", "Art Sand": "art sand", "Disney": "disney toys",
    "Toy Vehicles & Accessories": "toy vehicles",
}  # fmt: skip

FILLERS = ("hi, could you help? ", "hello! ", "hey ", "um ", "quick question: ", "")

TAILS = (", what do you suggest?", " pls", " thanks", "?", "", " any ideas", " - thx!")

NOT_SOLD = ("a sofa", "car tyres", "dog food", "a laptop", "a television", "an electric guitar",
            "a bicycle", "printer ink", "a fishing rod", "cat litter", "golf clubs", "an engagement ring",
            "wall paint", "curtains", "sunglasses", "a washing machine", "a fridge", "a baby car seat",
            "a pram", "jeans", "a mattress", "lego technic", "a drone", "wine", "a lawn mower",
            "a microwave", "a hoover", "nappies", "a tent", "ski boots", "a phone case", "car wax",
            "a playstation 5")  # fmt: skip

HANDOFF = ("I want to talk to a human", "can i speak to a real person please",
           "get me an agent, this isn't helping", "i need a human agent now", "transfer me to someone",
           "this bot is useless, let me talk to customer service", "Can I chat with a person?",
           "speak to agent", "I'd like to talk to somebody from your team about my order",
           "hi, could you put me through to a person?", "human please", "talk to a representative",
           "i want to make a complaint to a real person", "can someone from support call me",
           "I need to speak with a manager", "connect me to a live agent", "operator!",
           "not what i asked. human pls", "is there an actual person i can talk to?",
           "please escalate this to a human", "let me talk to someone about a refund",
           "i give up, person please")  # fmt: skip

POLICY = [("how long do refunds take?", {"fact": "refund_days"}),
          ("how much is express delivery?", {"fact": "express_shipping_fee"}),
          ("whats the return window", {"fact": "return_window_days"}),
          ("how much does standard delivery cost", {"fact": "standard_shipping_fee"}),
          ("is delivery free on a £25 order?", {"fact": "free_shipping_threshold", "amount": 25, "yes_no": True}),
          ("do i get free shipping if i spend 60", {"fact": "free_shipping_threshold", "amount": 60, "yes_no": True}),
          ("how long does delivery take?", {"fact": "standard_delivery_days"}),
          ("do you take paypal?", {"fact": "payment_methods", "method": "PayPal", "yes_no": True}),
          ("can i pay with bitcoin", {"fact": "payment_methods", "method": "Bitcoin", "yes_no": True}),
          ("how long is the warranty on headphones?", {"fact": "warranty_years_electronics"}),
          ("what warranty do i get on a jumper", {"fact": "warranty_years_default"}),
          ("how long are gift cards valid for", {"fact": "gift_card_validity_months"}),
          ("does it cost anything to return something?", {"fact": "return_label_fee"}),
          ("can I cancel an order that has already shipped?", {"fact": "cancellable_statuses", "status": "shipped", "yes_no": True}),
          ("can i still cancel if its processing", {"fact": "cancellable_statuses", "status": "processing", "yes_no": True}),
          ("can I return opened skincare?", {"fact": "non_returnable_if_opened", "category": "Beauty", "yes_no": True}),
          ("can i return an opened toaster", {"fact": "non_returnable_if_opened", "category": "Kitchen", "yes_no": True}),
          ("can I return something after 31 days?", {"fact": "return_window_days", "days": 31, "yes_no": True}),
          ("whats the minimum spend for free delivery", {"fact": "free_shipping_threshold"}),
          ("how many days do i have to send something back", {"fact": "return_window_days"}),
          ("what payment methods do you accept", {"fact": "payment_methods"}),
          ("hi, can I return stuff within 2 weeks?", {"fact": "return_window_days", "days": 14, "yes_no": True})]  # fmt: skip
