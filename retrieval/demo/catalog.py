"""Template tables for the demo store: subcategories, brands, complements, texts and policies."""

from __future__ import annotations

from typing import Any

COLORS = ["black", "white", "navy", "blue", "red", "green", "grey", "sage", "cream", "teal"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
MODELS = ["Aero", "Nova", "Classic", "Pulse", "Orbit", "Vista", "Haven", "Summit", "Echo", "Luma"]
MODEL_SUFFIXES = ["", "", " 2", " 3", " Pro", " Plus", " Lite", " Max"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jonah"]
LAST_NAMES = ["Archer", "Bell", "Carter", "Dunmore", "Ellis", "Fairley", "Gower", "Hale", "Ivers"]

# name -> (tier, quality 0..1, top categories)
BRANDS: dict[str, tuple[str, float, tuple[str, ...]]] = {
    "Hartwell": ("mid", 0.72, ("Kitchen", "Home")),
    "Copperleaf": ("premium", 0.88, ("Kitchen",)),
    "Kitchly": ("budget", 0.45, ("Kitchen",)),
    "Brewster & Co": ("premium", 0.85, ("Kitchen", "Food & Drink")),
    "Oakmere": ("mid", 0.66, ("Kitchen", "Home", "Garden")),
    "Zestra": ("budget", 0.52, ("Kitchen",)),
    "Roastwell": ("mid", 0.74, ("Food & Drink",)),
    "Daily Grind": ("budget", 0.55, ("Food & Drink",)),
    "Leaf & Kettle": ("mid", 0.70, ("Food & Drink",)),
    "Highland Tea Co": ("premium", 0.86, ("Food & Drink",)),
    "Cocoa Row": ("premium", 0.84, ("Food & Drink",)),
    "Nestwood": ("mid", 0.68, ("Home",)),
    "Lumen & Co": ("premium", 0.87, ("Home",)),
    "Homely": ("budget", 0.48, ("Home",)),
    "Driftwood Living": ("premium", 0.80, ("Home",)),
    "Brightwave": ("mid", 0.70, ("Electronics",)),
    "Sonora": ("premium", 0.90, ("Electronics",)),
    "Voltix": ("budget", 0.50, ("Electronics",)),
    "Kestrel Audio": ("premium", 0.85, ("Electronics",)),
    "Pixelon": ("mid", 0.65, ("Electronics",)),
    "Northpeak": ("mid", 0.75, ("Clothing", "Sports")),
    "Fenwick & Row": ("premium", 0.86, ("Clothing",)),
    "Basics Co": ("budget", 0.50, ("Clothing",)),
    "Tidewear": ("mid", 0.66, ("Clothing",)),
    "Alder & Moss": ("premium", 0.82, ("Clothing",)),
    "Stride Lab": ("premium", 0.90, ("Sports",)),
    "Pacer": ("mid", 0.70, ("Sports",)),
    "Fitforge": ("budget", 0.50, ("Sports",)),
    "Trailhawk": ("mid", 0.72, ("Sports",)),
    "Little Oak": ("mid", 0.80, ("Toys", "Books")),
    "Playwise": ("budget", 0.55, ("Toys",)),
    "Tinker & Tot": ("premium", 0.88, ("Toys",)),
    "Meeple House": ("mid", 0.78, ("Toys",)),
    "Bright Sparks": ("budget", 0.50, ("Toys",)),
    "Larder Press": ("mid", 0.78, ("Books",)),
    "Quillfield Books": ("mid", 0.74, ("Books",)),
    "Bramble & Finch": ("premium", 0.85, ("Books",)),
    "Paperkite": ("budget", 0.60, ("Books",)),
    "Greenthumb": ("mid", 0.72, ("Garden",)),
    "Fernhill": ("premium", 0.86, ("Garden",)),
    "Spade & Sparrow": ("mid", 0.70, ("Garden",)),
    "GrowRight": ("budget", 0.50, ("Garden",)),
    "Solace Skin": ("premium", 0.88, ("Beauty",)),
    "Pure & Simple": ("budget", 0.58, ("Beauty",)),
    "Glowlab": ("mid", 0.70, ("Beauty",)),
    "Botanica": ("mid", 0.74, ("Beauty",)),
    "Maison Verte": ("premium", 0.84, ("Beauty",)),
}


def _sub(top, noun, band, attrs, title, desc, queries, **more) -> dict[str, Any]:
    return dict(
        top=top, noun=noun, band=band, attrs=attrs, title=title, desc=desc, queries=queries, **more
    )


# Subcategory -> template. attrs are stored (None = generated author); extras only feed the text;
# phrases map an attribute value to wording; desc[0] always, then two of the rest.
SUBCATS: dict[str, dict[str, Any]] = {
    "Kettles": _sub("Kitchen", "kettle", (15, 90),
        {"capacity_l": [1.0, 1.2, 1.5, 1.7], "color": COLORS,
         "material": ["stainless steel", "glass", "ceramic", "matte plastic"]},
        "{brand} {capacity_l}L {Color} {Material} Kettle",
        ["A {capacity_l} litre {material} kettle in {color}.",
         "The {watts}W element boils a full jug in about {boil_min} minutes.",
         "It has {feature}.", "Cordless 360-degree base with auto shut-off and dry-boil cut-out.",
         "A washable limescale filter keeps your tea clear."],
        ["{color} kettle", "{material} kettle", "quiet kettle", "kettle under £{budget}",
         "1.7 litre kettle", "fast boil kettle"],
        extras={"watts": [2200, 2400, 3000], "boil_min": [2, 3, 4],
                "feature": ["a rapid-boil element", "a keep-warm mode", "a quiet-boil design",
                            "variable temperatures for green tea", "an illuminated water window"]}),
    "Coffee Makers": _sub("Kitchen", "coffee maker", (30, 350),
        {"type": ["espresso machine", "filter coffee maker", "bean-to-cup machine", "pod machine"],
         "color": ["black", "white", "red", "cream", "grey"], "cups": [2, 4, 8, 10, 12]},
        "{brand} {model} {Color} {Type}",
        ["The {model} is a {type} that brews up to {cups} cups at a time.",
         "{feature}.", "Removable {tank_l} litre water tank and a drip tray that lifts out.",
         "Descaling alert and auto-off after 20 minutes.", "Finished in {color} with steel trim."],
        ["espresso machine", "bean to cup coffee machine", "coffee maker with milk frother",
         "filter coffee machine", "coffee machine under £{budget}", "{color} coffee machine"],
        extras={"tank_l": [0.8, 1.2, 1.5, 1.8],
                "feature": ["a steam wand froths milk for lattes", "a 15-bar pump for rich crema",
                            "a programmable timer so coffee is ready when you wake",
                            "an integrated conical grinder for fresh beans"]}),
    "Mugs & Cups": _sub("Kitchen", "mug", (6, 35),
        {"material": ["stoneware", "porcelain", "glass", "enamel", "bone china"],
         "color": COLORS, "capacity_ml": [250, 300, 350, 400], "pack": [1, 2, 4, 6]},
        "{brand} {model} {Color} {Material} Mugs, {capacity_ml}ml, Pack of {pack}",
        ["{pack} {material} mugs in {color}, each holding {capacity_ml}ml.",
         "Dishwasher and microwave safe.", "A {finish} finish and a comfortable wide handle.",
         "Perfect for tea, coffee or hot chocolate."],
        ["{color} mugs", "mug set", "large coffee mug", "{material} mugs", "tea cups"],
        extras={"finish": ["reactive glaze", "speckled", "matte", "gloss"]}),
    "Toasters": _sub("Kitchen", "toaster", (20, 120),
        {"slots": [2, 4], "color": COLORS[:8], "material": ["stainless steel", "matte plastic"]},
        "{brand} {model} {slots}-Slice {Color} Toaster",
        ["A {slots}-slice {material} toaster in {color}.",
         "{settings} browning settings plus defrost, reheat and cancel.",
         "Extra-wide slots fit bagels and crumpets.", "A pull-out crumb tray makes cleaning easy."],
        ["4 slice toaster", "{color} toaster", "toaster with wide slots", "toaster and kettle set"],
        extras={"settings": [5, 6, 7, 9]}),
    "Coffee Beans": _sub("Food & Drink", "coffee", (5, 25),
        {"roast": ["light", "medium", "dark"], "origin": ["Colombia", "Ethiopia", "Brazil",
         "Guatemala", "Sumatra", "Kenya", "House Blend"], "weight_g": [250, 500, 1000],
         "form": ["whole bean", "ground"]},
        "{brand} {Origin} {Roast} Roast {Form} Coffee {weight_g}g",
        ["A {roast} roast from {origin}, {form}, in a {weight_g}g resealable bag.",
         "Tasting notes of {notes}.", "Roasted in small batches and packed within 48 hours.",
         "Great for espresso, cafetiere or filter."],
        ["coffee beans", "{roast} roast coffee", "{origin} coffee", "ground coffee for cafetiere",
         "espresso beans"], brands=["Brewster & Co", "Roastwell", "Daily Grind"],
        extras={"notes": ["chocolate and caramel", "berries and citrus", "toasted nuts",
                          "stone fruit and honey", "dark cocoa and spice"]}),
    "Tea": _sub("Food & Drink", "tea", (3, 18),
        {"type": ["English breakfast", "Earl Grey", "green", "peppermint", "chamomile",
                  "rooibos", "chai"], "bags": [40, 80, 160], "organic": [True, False]},
        "{brand} {Org}{Type} Tea, {bags} Bags",
        ["{bags} {type} tea bags{org_desc}.", "Brew for {brew} minutes; add milk to taste.",
         "Plastic-free, compostable bags.", "Ethically sourced from Rainforest Alliance estates."],
        ["earl grey tea", "green tea bags", "herbal tea", "breakfast tea", "organic tea"],
        brands=["Leaf & Kettle", "Highland Tea Co", "Daily Grind", "Brewster & Co"],
        extras={"brew": [2, 3, 4, 5]},
        phrases={"org": ("organic", {True: "Organic ", False: ""}),
                 "org_desc": ("organic", {True: ", certified organic", False: ""})}),
    "Chocolate": _sub("Food & Drink", "chocolate", (2, 20),
        {"cocoa_pct": [35, 54, 70, 85], "flavour": ["sea salt", "orange", "hazelnut",
         "raspberry", "salted caramel", "chilli"], "weight_g": [100, 200]},
        "{brand} {cocoa_pct}% {Flavour} Chocolate {weight_g}g",
        ["A {weight_g}g bar of {cocoa_pct}% cocoa chocolate with {flavour}.",
         "Made with single-estate cocoa.", "Vegan friendly and gluten free.", "A lovely gift."],
        ["dark chocolate", "chocolate gift", "{flavour} chocolate", "vegan chocolate"],
        brands=["Cocoa Row", "Daily Grind", "Brewster & Co"]),
    "Bedding": _sub("Home", "duvet set", (20, 180),
        {"size": ["single", "double", "king", "super king"], "color": COLORS,
         "material": ["cotton percale", "Egyptian cotton", "linen", "brushed cotton", "bamboo"],
         "thread_count": [200, 300, 400, 600]},
        "{brand} {Color} {Material} Duvet Cover Set, {Size}",
        ["A {size} duvet cover and pillowcases in {color} {material}.",
         "{thread_count} thread count for a {feel} feel.", "Hidden button closure.",
         "Machine washable at 40 degrees."],
        ["king size duvet cover", "linen bedding", "{color} bedding", "double duvet set"],
        extras={"feel": ["crisp, cool", "soft, warm", "silky", "relaxed"]}),
    "Lamps": _sub("Home", "lamp", (15, 150),
        {"type": ["table lamp", "floor lamp", "desk lamp", "bedside lamp"], "color": COLORS[:6],
         "material": ["brass", "ceramic", "oak", "matte metal", "rattan"]},
        "{brand} {model} {Color} {Material} {Type}",
        ["A {material} {type} in {color}.", "Takes an E27 bulb; dimmable with a {switch}.",
         "The fabric shade gives a warm, even light.", "{height_cm}cm tall."],
        ["bedside lamp", "floor lamp", "{material} table lamp", "dimmable desk lamp"],
        extras={"switch": ["touch base", "inline dimmer", "foot switch"],
                "height_cm": [35, 45, 60, 150]}),
    "Towels": _sub("Home", "towel", (8, 60),
        {"color": COLORS, "material": ["Turkish cotton", "Egyptian cotton", "bamboo", "waffle"],
         "gsm": [450, 550, 650, 700], "set": ["bath towel", "hand towel pair", "bath sheet",
         "6-piece towel bale"]},
        "{brand} {Color} {Material} {Set}",
        ["A {gsm}gsm {material} {set} in {color}.", "Quick drying and soft from the first wash.",
         "OEKO-TEX certified.", "Hanging loop on every towel."],
        ["bath towels", "{color} towels", "egyptian cotton towels", "towel bale"]),
    "Headphones": _sub("Electronics", "headphones", (20, 350),
        {"type": ["over-ear", "on-ear", "in-ear"], "color": ["black", "white", "navy", "sage"],
         "battery_h": [20, 30, 40, 60], "noise_cancelling": [True, False]},
        "{brand} {model} {Type} {Nc} Headphones, {Color}",
        ["{type} wireless headphones with up to {battery_h} hours of battery.", "{nc_desc}.",
         "Bluetooth 5.3 with multipoint pairing.", "USB-C fast charge: 10 minutes for 3 hours.",
         "Built-in microphones for clear calls."],
        ["noise cancelling headphones", "wireless earbuds", "headphones for running",
         "over ear headphones under £{budget}", "{color} headphones"],
        phrases={"nc": ("noise_cancelling", {True: "Noise Cancelling", False: "Wireless"}),
                 "nc_desc": ("noise_cancelling",
                             {True: "Active noise cancelling quiets trains and offices",
                              False: "A lightweight design without noise cancelling"})}),
    "Speakers": _sub("Electronics", "speaker", (20, 300),
        {"battery_h": [8, 12, 20, 24], "waterproof": ["IPX4", "IPX7"], "color": COLORS[:6]},
        "{brand} {model} Portable Bluetooth Speaker, {Color}",
        ["A portable speaker with {battery_h} hours of playback.",
         "{waterproof} water resistance for the garden or the beach.", "Pair two for stereo.",
         "A built-in strap and USB-C charging."],
        ["waterproof speaker", "bluetooth speaker", "portable speaker for the garden"]),
    "Chargers & Cables": _sub("Electronics", "charger", (6, 50),
        {"type": ["USB-C Charger", "USB-C Cable 2m", "Wireless Charging Pad", "Power Bank"],
         "watts": [20, 30, 65, 100], "color": ["black", "white"]},
        "{brand} {watts}W {Color} {Type}",
        ["A {watts}W {type} in {color}.", "Safe charging for phones, tablets and laptops.",
         "Over-heat and over-current protection.", "Braided, tangle-free design."],
        ["usb c charger", "fast charger", "power bank", "wireless charger"]),
    "Smartwatches": _sub("Electronics", "smartwatch", (50, 400),
        {"color": ["black", "white", "navy", "pink"], "battery_days": [2, 5, 7, 14],
         "gps": [True, False]},
        "{brand} {model} {Gps_t}Smartwatch, {Color}",
        ["A smartwatch with {battery_days} days of battery{gps_desc}.",
         "Heart rate, sleep and step tracking.", "Water resistant to 50m.",
         "Notifications from iPhone and Android."],
        ["smartwatch", "gps watch for running", "fitness tracker", "smartwatch with long battery"],
        phrases={"gps_t": ("gps", {True: "GPS ", False: ""}),
                 "gps_desc": ("gps", {True: " and built-in GPS for runs", False: ""})}),
    "Jackets": _sub("Clothing", "jacket", (30, 250),
        {"size": SIZES, "color": COLORS, "fit": ["men's", "women's"],
         "type": ["rain jacket", "puffer jacket", "fleece jacket", "softshell jacket"]},
        "{brand} {Fit} {Color} {Type}, {size}",
        ["A {fit} {type} in {color}, size {size}.", "{detail}.", "Two zipped hand pockets.",
         "Packs into its own pocket."],
        ["waterproof jacket", "{color} rain jacket", "women's puffer jacket", "fleece size {size}"],
        extras={"detail": ["fully taped seams keep the rain out", "recycled down-free insulation",
                           "a stretch fabric for walking", "an adjustable hood"]}),
    "T-Shirts": _sub("Clothing", "t-shirt", (8, 45),
        {"size": SIZES, "color": COLORS, "fit": ["men's", "women's", "unisex"],
         "material": ["organic cotton", "cotton", "linen blend", "merino wool"]},
        "{brand} {Fit} {Material} T-Shirt, {Color}, {size}",
        ["A {fit} crew-neck t-shirt in {color} {material}, size {size}.", "A relaxed fit.",
         "Pre-shrunk and soft.", "Machine wash at 30 degrees."],
        ["organic cotton t-shirt", "{color} t shirt", "merino t-shirt", "plain tee size {size}"]),
    "Jumpers": _sub("Clothing", "jumper", (20, 120),
        {"size": SIZES, "color": COLORS, "fit": ["men's", "women's"],
         "material": ["merino wool", "lambswool", "cotton", "cashmere blend"],
         "style": ["crew neck", "V-neck", "cardigan", "roll neck"]},
        "{brand} {Fit} {Material} {Style} Jumper, {Color}, {size}",
        ["A {fit} {style} in {color} {material}, size {size}.", "Ribbed cuffs and hem.",
         "Warm without bulk.", "Hand wash or wool cycle."],
        ["merino jumper", "{color} cardigan", "wool jumper", "cashmere jumper"]),
    "Running Shoes": _sub("Sports", "running shoes", (40, 160),
        {"size_uk": [5, 6, 7, 8, 9, 10, 11, 12], "color": COLORS, "fit": ["men's", "women's"],
         "support": ["neutral", "stability", "trail", "cushioned"], "weight_g": [220, 260, 300]},
        "{brand} {model} {Fit} {Support} Running Shoes, {Color}, UK {size_uk}",
        ["{support_desc}.", "{drop_mm}mm drop and a {weight_g}g weight (UK 8).",
         "Breathable engineered mesh upper.", "Reflective details for early runs."],
        ["running shoes for flat feet", "trail running shoes", "cushioned running shoes",
         "women's running shoes size {size_uk}", "{color} trainers"],
        extras={"drop_mm": [4, 6, 8, 10]},
        phrases={"support_desc": ("support", {
            "neutral": "Neutral cushioning for runners with a normal or high arch",
            "stability": "Stability support with a firm medial post, good for flat feet",
            "trail": "A lugged outsole that grips mud and rocky trails",
            "cushioned": "Max-cushion foam for long runs and recovery days"})}),
    "Running Socks": _sub("Sports", "running socks", (5, 20),
        {"size": ["S", "M", "L"], "color": COLORS[:5], "pack": [1, 3, 5],
         "material": ["merino blend", "Coolmax", "cotton blend"]},
        "{brand} {Material} Anti-Blister Running Socks, {Color}, {pack} Pack, {size}",
        ["{pack} pairs of {material} running socks.", "Padded heel and toe.",
         "Seamless toe to prevent blisters.", "Arch support band."],
        ["running socks", "anti blister socks", "merino socks"]),
    "Yoga Mats": _sub("Sports", "yoga mat", (12, 90),
        {"thickness_mm": [3, 4, 6, 8], "material": ["TPE", "natural rubber", "cork", "PVC"],
         "color": COLORS, "weight_kg": [0.9, 1.2, 1.8, 2.5]},
        "{brand} {thickness_mm}mm {Material} Yoga Mat, {Color}",
        ["A {thickness_mm}mm {material} mat in {color}, {weight_kg}kg.",
         "Non-slip on both sides.", "Comes with a carry strap.", "183 x 61cm."],
        ["yoga mat", "thick yoga mat", "non slip yoga mat", "cork yoga mat"]),
    "Water Bottles": _sub("Sports", "water bottle", (6, 40),
        {"capacity_ml": [500, 750, 1000], "material": ["stainless steel", "BPA-free plastic",
         "glass"], "color": COLORS},
        "{brand} {model} {capacity_ml}ml {Material} Water Bottle, {Color}",
        ["A {capacity_ml}ml {material} bottle in {color}.", "Leak-proof lid.",
         "Keeps drinks cold for 24 hours.", "Fits most cup holders."],
        ["water bottle", "insulated water bottle", "1 litre water bottle", "{color} bottle"]),
    "Wooden Toys": _sub("Toys", "toy", (10, 80),
        {"type": ["stacking rings", "train set", "shape sorter", "play kitchen", "marble run",
                  "dolls house", "building blocks"], "age_range": ["1-3", "3-5", "5-8"]},
        "{brand} Wooden {Type} {model}, Ages {age_range}",
        ["A wooden {type} for ages {age_range}.", "Made from FSC-certified beech.",
         "Child-safe, water-based paints.", "{pieces} pieces."],
        ["wooden toys for toddlers", "wooden train set", "gift for 3 year old",
         "toys for ages {age_range}"], extras={"pieces": [6, 12, 24, 40]}),
    "Board Games": _sub("Toys", "board game", (8, 60),
        {"players": ["2", "2-4", "2-6", "3-8"], "age_range": ["6+", "8+", "10+", "14+"],
         "play_time_min": [15, 30, 45, 60, 90],
         "type": ["strategy", "party", "cooperative", "family", "word"]},
        "{gadj} {gnoun}: {Type} Board Game for {players} Players",
        ["A {type} game for {players} players aged {age_range}.",
         "A game takes about {play_time_min} minutes.", "Easy to learn, hard to master.",
         "Includes {cards} cards and a fold-out board."],
        ["board game for 4 players", "family board game", "cooperative game",
         "party game for adults", "2 player board game"],
        extras={"gadj": ["Lost", "Crimson", "Tiny", "Hidden", "Clockwork", "Wild", "Golden"],
                "gnoun": ["Harbour", "Kingdoms", "Railways", "Orchard", "Islands", "Castles"],
                "cards": [54, 80, 120]}),
    "Puzzles": _sub("Toys", "puzzle", (6, 35),
        {"pieces": [300, 500, 1000, 1500], "theme": ["alpine village", "coral reef",
         "vintage map", "cats in a library", "night sky", "wildflowers"]},
        "{brand} {pieces}-Piece Jigsaw Puzzle: {Theme}",
        ["A {pieces}-piece puzzle of a {theme}.", "Thick, recycled board.",
         "Includes a poster.", "Finished size about 70 x 50cm."],
        ["1000 piece puzzle", "jigsaw for adults", "puzzle gift"]),
    "Cookbooks": _sub("Books", "cookbook", (8, 35),
        {"format": ["hardback", "paperback"], "pages": [192, 256, 320], "author": None,
         "theme": ["vegetarian", "weeknight", "baking", "one-pot", "Italian", "air fryer"]},
        "The {badj} {bnoun}: {n} {Theme} Recipes by {author}",
        ["{n} {theme} recipes by {author}.", "{format}, {pages} pages.",
         "Photographed step by step.", "Shopping lists for each week."],
        ["vegetarian cookbook", "baking book", "air fryer recipes", "cookbook gift"],
        brands=["Larder Press", "Bramble & Finch", "Paperkite"],
        extras={"badj": ["Weeknight", "Green", "Slow", "Sunday", "Everyday", "Little"],
                "bnoun": ["Kitchen", "Table", "Pantry", "Oven", "Skillet"],
                "n": [60, 80, 100, 120]}),
    "Fiction": _sub("Books", "novel", (6, 25),
        {"genre": ["crime", "fantasy", "literary fiction", "thriller", "historical fiction"],
         "format": ["hardback", "paperback"], "pages": [288, 352, 416], "author": None},
        "The {fnoun} of {place}: A {Genre} Novel by {author}",
        ["A {genre} novel by {author}.", "{format}, {pages} pages.",
         "A Sunday Times bestseller.", "Soon to be a series."],
        ["crime novel", "fantasy book", "thriller paperback", "book club fiction"],
        brands=["Quillfield Books", "Bramble & Finch", "Paperkite"],
        extras={"fnoun": ["Lighthouse", "Keeper", "Orchard", "Silence", "Map", "Glasshouse"],
                "place": ["Harrow Bay", "Ashdown", "the North", "Saltmarsh", "Elder Street"]}),
    "Children's Books": _sub("Books", "children's book", (4, 20),
        {"format": ["board book", "picture book", "paperback"], "age_range": ["0-3", "3-5",
         "5-8"], "author": None},
        "{Animal} and the {Thing}, by {author}",
        ["A {format} for ages {age_range}.", "Rhyming text, bright pictures.",
         "Perfect for bedtime.", "Sturdy pages for small hands."],
        ["bedtime story book", "picture book for 3 year old", "board book for babies"],
        brands=["Little Oak", "Paperkite", "Bramble & Finch"],
        extras={"animal": ["Otter", "Little Fox", "Bear", "Hedgehog", "Owl"],
                "thing": ["Moon", "Big Storm", "Lost Hat", "Red Balloon", "Night Train"]}),
    "Tools": _sub("Garden", "garden tool", (6, 70),
        {"type": ["trowel", "pruning shears", "hand fork", "hoe", "spade", "loppers"],
         "material": ["stainless steel", "carbon steel"], "weight_kg": [0.3, 0.5, 1.2, 2.1]},
        "{brand} {Material} {Type} {model}",
        ["A {material} {type} weighing {weight_kg}kg.", "Ash wood handle.",
         "Rust resistant.", "Ten-year guarantee on the blade."],
        ["pruning shears", "garden spade", "stainless steel trowel", "lightweight garden tools"]),
    "Planters": _sub("Garden", "planter", (8, 90),
        {"material": ["terracotta", "ceramic", "recycled plastic", "galvanised steel"],
         "diameter_cm": [15, 20, 30, 40, 50], "color": COLORS[:6]},
        "{brand} {diameter_cm}cm {Color} {Material} Planter",
        ["A {diameter_cm}cm {material} planter in {color}.", "Drainage hole and saucer.",
         "Frost resistant.", "Suitable indoors and out."],
        ["large planter", "terracotta pot", "indoor plant pot", "{color} planter"]),
    "Seeds": _sub("Garden", "seeds", (2, 12),
        {"plant": ["tomato", "basil", "sunflower", "wildflower mix", "sweet pea", "chilli"],
         "organic": [True, False], "count": [20, 50, 200]},
        "{brand} {Org}{Plant} Seeds, {count} Seeds",
        ["{count} {plant} seeds{org_desc}.", "Sow indoors from March.",
         "Easy to grow.", "Bee friendly."],
        ["tomato seeds", "wildflower seeds", "herb seeds", "organic seeds"],
        phrases={"org": ("organic", {True: "Organic ", False: ""}),
                 "org_desc": ("organic", {True: ", certified organic", False: ""})}),
    "Skincare": _sub("Beauty", "skincare", (6, 70),
        {"type": ["moisturiser", "serum", "cleanser", "SPF 50 sunscreen", "eye cream"],
         "skin_type": ["dry", "oily", "sensitive", "combination", "normal"],
         "volume_ml": [30, 50, 100, 150],
         "ingredient": ["hyaluronic acid", "niacinamide", "vitamin C", "retinol", "ceramides"]},
        "{brand} {Ingredient} {Type} for {Skin_type} Skin, {volume_ml}ml",
        ["A {ingredient} {type} for {skin_type} skin, {volume_ml}ml.", "Fragrance free.",
         "Dermatologist tested.", "Vegan and cruelty free."],
        ["moisturiser for dry skin", "vitamin c serum", "sunscreen spf 50", "retinol cream"]),
    "Hair Care": _sub("Beauty", "hair care", (4, 40),
        {"type": ["shampoo", "conditioner", "hair mask", "hair oil"],
         "hair_type": ["curly", "fine", "colour-treated", "dry"], "volume_ml": [100, 250, 500]},
        "{brand} {Type} for {Hair_type} Hair, {volume_ml}ml",
        ["A {type} for {hair_type} hair, {volume_ml}ml.", "Sulphate free.",
         "Light, fresh scent.", "Recyclable bottle."],
        ["shampoo for curly hair", "hair mask", "sulphate free shampoo"]),
    "Fragrance": _sub("Beauty", "fragrance", (25, 150),
        {"type": ["eau de parfum", "eau de toilette"], "scent": ["citrus", "woody", "floral",
         "fresh", "amber"], "volume_ml": [30, 50, 100]},
        "{brand} {model} {Type} {volume_ml}ml",
        ["A {scent} {type}, {volume_ml}ml.", "Long lasting.", "A lovely gift.",
         "Made in France."],
        ["perfume gift", "{scent} perfume", "eau de parfum"]),
}  # fmt: skip

COMPLEMENTS: dict[str, list[str]] = {
    "Kettles": ["Mugs & Cups", "Tea"],
    "Coffee Makers": ["Coffee Beans", "Mugs & Cups"],
    "Mugs & Cups": ["Tea", "Coffee Beans"],
    "Toasters": ["Kettles"],
    "Tea": ["Mugs & Cups", "Chocolate"],
    "Bedding": ["Towels", "Lamps"],
    "Headphones": ["Chargers & Cables"],
    "Speakers": ["Chargers & Cables"],
    "Smartwatches": ["Chargers & Cables"],
    "Jackets": ["Jumpers", "T-Shirts"],
    "Running Shoes": ["Running Socks", "Water Bottles", "Smartwatches"],
    "Yoga Mats": ["Water Bottles"],
    "Wooden Toys": ["Children's Books", "Puzzles"],
    "Board Games": ["Puzzles"],
    "Cookbooks": ["Kettles", "Mugs & Cups"],
    "Tools": ["Seeds", "Planters"],
    "Planters": ["Seeds"],
    "Skincare": ["Hair Care"],
}
REPEAT_SUBS = {"Coffee Beans", "Tea"}  # bought again every few weeks
MULTI_QTY_SUBS = {"Coffee Beans", "Tea", "Chocolate", "Running Socks", "Seeds"}

REVIEWS = {
    "good": ["Really happy with the {noun}.", "Great quality for the price.",
             "Exactly as described and arrived quickly.", "Would buy again."],
    "ok": ["Decent {noun}, does the job.", "Fine, but smaller than I expected.",
           "Good value, nothing special."],
    "bad": ["Disappointing {noun}, not worth the money.", "Poor quality, would not buy again.",
            "Not as pictured, disappointed."],
}  # fmt: skip

# Numbers the policies state; code elsewhere decides eligibility from these, never from prose.
POLICY_FACTS: dict[str, Any] = {
    "shop_name": "Brightfield Market",
    "currency": "GBP",
    "return_window_days": 30,  # counted from the delivery date
    "return_label_fee": 2.95,  # change-of-mind returns; faulty items return free
    "refund_business_days_min": 5,
    "refund_business_days_max": 7,
    "non_returnable_if_opened": ["Beauty", "Food & Drink"],  # top-level categories
    "free_shipping_threshold": 40.0,
    "standard_shipping_fee": 3.99,
    "standard_delivery_business_days_min": 3,
    "standard_delivery_business_days_max": 5,
    "express_shipping_fee": 5.99,
    "express_delivery_business_days": 1,
    "express_cutoff_hour": 14,  # UK time, Monday to Friday
    "cancellable_statuses": ["placed", "processing"],
    "warranty_years_electronics": 2,
    "warranty_years_default": 1,
    "payment_methods": [
        "Visa",
        "Mastercard",
        "American Express",
        "PayPal",
        "Apple Pay",
        "Google Pay",
        "Brightfield gift cards",
    ],
    "gift_card_validity_months": 24,
}


def money(value: float) -> str:
    """£40 for whole pounds, £5.99 otherwise."""
    return f"£{value:.0f}" if float(value).is_integer() else f"£{value:.2f}"


POLICY_TEMPLATES = {
    "returns.md": """# Returns and refunds

## Return window
You can return most items within {return_window_days} days of delivery for a full refund. The
{return_window_days} days start on the delivery date shown in your order, not the order date.

## How to return an item
Start a return from Your orders, choose the item and a reason, and print the label. Drop the
parcel at any post office or parcel locker. Change-of-mind returns cost {return_label_fee} (taken
from your refund); returns of faulty or wrongly sent items are free.

## Items we cannot take back
- Opened items from our {non_returnable} departments (skincare, hair care, fragrance, coffee,
  tea, chocolate): for hygiene and food-safety reasons these can only be returned sealed.
- Items marked "final sale" on the product page.
- Gift cards.
Faulty items are always covered by the warranty, whatever the category.

## Refunds
We check returned items within two business days of receiving them. Your refund then reaches the
original payment method in {refund_business_days_min}-{refund_business_days_max} business days.
Orders paid with a gift card are refunded to a gift card.

## Exchanges
We do not swap items directly. Return the item and place a new order; if the new item is
cheaper, the difference comes back with your refund.
""",
    "shipping.md": """# Delivery and shipping

## Delivery options
- Standard delivery: {standard_delivery_business_days_min}-{standard_delivery_business_days_max}
  business days, {standard_shipping_fee}, free on orders over {free_shipping_threshold}.
- Express delivery: next business day for {express_shipping_fee} when you order before
  {express_cutoff_hour}:00 Monday to Friday.

## Free delivery
Orders over {free_shipping_threshold} (after discounts, before delivery charges) ship free with
standard delivery. Express delivery is always {express_shipping_fee}.

## Where we deliver
We deliver to UK mainland addresses. Highlands, islands and Northern Ireland may take two extra
business days. We do not ship outside the UK.

## Tracking your order
Your order moves from placed to processing when we pick it, then to shipped with a tracking
link by email. Business days are Monday to Friday, excluding UK bank holidays.

## Cancelling an order
You can cancel while an order is placed or processing. Once it has shipped, return it instead.
""",
    "warranty.md": """# Warranty

## How long you are covered
Electronics carry a {warranty_years_electronics}-year warranty from the delivery date. All other
products carry a {warranty_years_default}-year warranty. This is on top of your statutory rights.

## What the warranty covers
Faults in materials or workmanship that appear with normal use. We repair, replace or refund the
item, and we pay for the return postage.

## What it does not cover
Accidental damage, wear and tear (for example worn soles or faded fabric), misuse, and batteries
losing capacity gradually over time.

## How to claim
Contact us with your order number (for example ORD-10001) and a photo or short description of the
fault. We reply within two business days.
""",
    "payment.md": """# Payment

## Accepted payment methods
We accept {payment_methods}. All prices are in pounds sterling ({currency}) and include VAT.

## When you are charged
Your card is authorised when you place the order and charged when it ships. If we cancel an
item, the authorisation is released within three business days.

## Gift cards
Gift cards are valid for {gift_card_validity_months} months from purchase and can be combined
with one card payment. They cannot be exchanged for cash.

## Security
Card details are handled by our payment provider and never stored by us. 3-D Secure may ask you
to confirm payment in your banking app.
""",
    "faq.md": """# Frequently asked questions

## What do the order statuses mean?
Placed: we have your order. Processing: we are picking and packing it. Shipped: it is on its way
with a tracking link. Delivered: it has arrived. Cancelled: it will not be sent and you are not
charged. Returned: we received the item back and your refund is on its way.

## When will I get my refund?
{refund_business_days_min}-{refund_business_days_max} business days after we receive the return,
to the original payment method.

## Is delivery free?
Standard delivery is free on orders over {free_shipping_threshold}; otherwise it costs
{standard_shipping_fee}.

## Can I return something after {return_window_days} days?
Not for a change of mind. If it is faulty, the warranty covers it: {warranty_years_electronics}
years for electronics, {warranty_years_default} year for everything else.
""",
}


def policy_documents() -> dict[str, str]:
    """The policy Markdown files, filled in from POLICY_FACTS."""
    f = dict(POLICY_FACTS)
    for key in (
        "return_label_fee",
        "free_shipping_threshold",
        "standard_shipping_fee",
        "express_shipping_fee",
    ):
        f[key] = money(f[key])
    f["non_returnable"] = " and ".join(f["non_returnable_if_opened"])
    methods = f["payment_methods"]
    f["payment_methods"] = ", ".join(methods[:-1]) + " and " + methods[-1]
    return {name: text.format(**f) for name, text in POLICY_TEMPLATES.items()}
