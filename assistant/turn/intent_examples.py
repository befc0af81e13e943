"""Hand-written training utterances for the intent head (shopping intents Bitext lacks, retail phrasing).

Written for this project, not taken from any dataset. One block per intent; `|` separates examples.
"""

from __future__ import annotations


def _split(block: str) -> list[str]:
    return [t.strip() for line in block.strip().splitlines() for t in line.split("|") if t.strip()]


EXAMPLES: dict[str, list[str]] = {
    "recommend": _split("""
recommend me a gift for my dad | what should I get my sister for her birthday | any gift ideas for a 5 year old
can you suggest a board game for the family | what would you recommend for a beginner | suggest something for a rainy day
I need a present for a ten year old who loves science | what's a good gift for a toddler | help me pick a toy for my nephew
what do people usually buy for a new baby | give me some ideas for a secret santa under £15 | surprise me with something fun
what's popular right now | what are your best sellers | show me something I might like
anything you'd recommend for a teenager | I don't know what to buy my niece, any ideas | what's good for a long car journey
what's the best puzzle for an adult | which lego set would you pick for a 7 year old | recommend a good strategy game
I want something creative for a crafty kid | suggestions for a stocking filler | what goes well with the train set I bought
what else would I like based on my past orders | personalised picks for me please | what would you get for a birthday party bag
need inspiration for a christmas present | best gift for someone who has everything | a nice present for grandma
I want to treat myself, what do you suggest | what toys are good for learning maths | ideas for outdoor toys this summer
which games are good for two players | can you recommend something educational | what would make a good first drone
what do you think I should buy | I'm stuck for gift ideas | anything for a dinosaur fan
good toys for a 3 year old girl | what's trending in board games | top picks for a family game night
pick something for me | what are the must haves this year | recommend an affordable gift
what would a 12 year old boy like | help me choose a present | something special for an anniversary
what would you suggest for a kid who likes cars | which puzzle is best for beginners | I'd like some recommendations
what do you recommend for bath time | suggest a gift for a baby shower | what's a fun game for a party
"""),
    "search": _split("""
wooden train set | lego star wars | board games under £20 | remote control car
show me headphones | I'm looking for a kettle | do you have any jigsaw puzzles | find me a dolls house
looking for a scooter for a 6 year old | do you sell chess sets | have you got any outdoor games | I need a new football
show me puppets | red dress size 10 | bluetooth speaker under 50 | a soft teddy bear
I want to buy headphones | I'd like to order a skateboard | can I buy a puzzle here | I want to get a doll
cheaper ones | anything cheaper | show me cheaper options | something less expensive | more affordable please
under £20 | below 30 pounds | between £10 and £25 | up to 40 | max £15 please | rated 4 stars and up
in red | the blue one | do you have it in black | not Lego | no Hasbro please | without batteries
actually show me headphones instead | what about puzzles | how about something for a baby | now show me art supplies
only ones in stock | rated at least 4.5 | with good reviews | bigger ones | smaller please | for older kids
more like the second one | any others like that | show me more | next page | more options please | other brands
tell me more about the first one | is the second one in stock | how much is the third one | what colours does it come in
what's the rating of that one | does it come with batteries | what age is it for | how big is it
Melissa & Doug toys | Playmobil sets | Hornby train sets | Ravensburger puzzles over 1000 pieces
magnetic building tiles | kids' kitchen play set | science kit for 8 year olds | glow in the dark stars
toy cars for toddlers | craft kits | Pokemon cards | card games for adults | baby rattles under £10
I need a birthday present under £25 | gifts for kids under 15 pounds | a puzzle rated 4.5 or more
I'm after a karaoke machine | got any trampolines | search for bath toys | list your water guns
I need something to buy for my son | help me buy a toy | I want to buy something | I want to purchase an item
what kind of drones do you have | are there any cheaper lego sets | show me the cheapest puzzle | most expensive lego
items from Hasbro | anything by Mattel | I want a Nerf gun | Harry Potter merchandise
do you have this in a bigger size | is there a pink version | any in green | I'd prefer wooden ones
cheaper, under £20 please | something under a tenner | less than 30 quid | budget of £50
board games for 2 players | outdoor toys for summer | paint sets for kids | slime kits
fluffy bunny soft toy | blue racing car | pink princess castle | a big box of crayons | glitter pens
is the first one wooden | the second one, does it need batteries | is that one suitable for a 3 year old | is it waterproof
does the last one come gift wrapped | how many pieces in the third one | can you tell me about that one | reviews for the first one
"""),
    "compare": _split("""
compare the first two | compare P00012 and P00040 | which is cheaper, the first or the second | how do these two compare
what's the difference between the first and third | first vs second | which one has better reviews
compare them | put them side by side | which of these is better value | compare the top three
is the first one better than the second | which one would last longer | which is better for a 5 year old
compare the lego set with the playmobil one | how does the second compare to the first | the two of them, which is best
what are the differences | pros and cons of these two | which has more pieces | which one is lighter
can you compare the cheapest two | which of the three is rated highest | help me decide between these two
first or second? | is the kettle better than the other one | compare prices of these | compare all of them
should I get the first one or the last one | which is better quality | how are they different
which one is more durable | which would you choose between them | compare the two puzzles
"""),
    "small_talk": _split("""
hi | hello there | hey | good morning | thanks | thank you so much | cheers | ok great
how are you | who are you | what can you do | are you a robot | what's your name | nice one
bye | goodbye | see you later | have a nice day | that's all thanks | perfect, thank you
you're very helpful | lol | haha nice | you're funny | tell me a joke | do you like toys
what's your favourite toy | good evening | hiya | yo | sup | how's it going
are you real | can you help me | I have a question | ok | sure | sounds good
never mind | no thanks | great, that's everything | awesome | brilliant thanks | thanks for your help
who made you | are you human | how do you work | can I ask you something | what do you know
"""),
    "out_of_scope": _split("""
what's the weather tomorrow | who won the football last night | write me a poem about cats | what is the capital of France
solve 2x + 3 = 7 | translate hello into Spanish | who is the prime minister | how do I fix my car engine
write python code to sort a list | what's the meaning of life | book me a flight to Paris | how tall is the Eiffel tower
give me a recipe for lasagne | what time is it in Tokyo | what are the symptoms of flu | can you do my homework
explain quantum physics | how do I invest in stocks | tell me the news | what's bitcoin worth
help me write a cover letter | how do I lose weight | what's a good movie to watch | play some music
what's the score in the cricket | how many calories in an apple | is it going to rain | who wrote Hamlet
set an alarm for 7am | call my mum | what's the population of China | how do volcanoes form
can you hack my neighbour's wifi | what's the best phone plan | how do I get a mortgage | rate my selfie
teach me French | how far is the moon | what's the speed of light | summarise this article for me
who is the richest person | debug my javascript | how do I apply for a passport | what should I name my dog
do my taxes | recommend a good lawyer | what's the best restaurant near me | find me a hotel in London
"""),
    "order_status": _split("""
where is my order | where's my parcel | has my order shipped yet | track my package
what's the status of ORD-10001 | when will ORD-10023 arrive | is order 10045 on its way | my order hasn't arrived
it's been a week and nothing arrived | has ORD-10002 been dispatched | I haven't received my order yet | tracking number for my order please
can you check my order | did my order go out | order status please | where are my things
"""),
    "change_order": _split("""
can I add something to my order | I want to change the size in my order | remove an item from ORD-10001
swap the blue one in my order for red | can I change my order | I ordered the wrong colour, can I change it before it ships
add another puzzle to order ORD-10005 | change the quantity on my order | edit my order please | modify my last order
"""),
    "cancel_order": _split("""
cancel my order | I want to cancel ORD-10001 | please cancel the order I just placed | stop my order
I changed my mind, cancel it | can I still cancel my purchase | cancel order 10045 | I don't want the order any more
"""),
    "return_refund": _split("""
I want to return the headphones | how do I send this back | I'd like a refund | where is my refund
the toy arrived broken, I want my money back | return ORD-10001 | can I exchange this for a different size | the item is faulty
I received the wrong item | my refund hasn't come through | start a return for me | I want to return a gift
can I send back order ORD-10012? | is ORD-10045 still returnable | am I still in time to return ORD-10033
return request for order 10020 | can order ORD-10099 be returned | I'd like to return everything in ORD-10050
"""),
    "policy_question": _split("""
what's your return policy | how long do I have to return something | do you offer a warranty | is there a cancellation fee
how long do refunds take | can I return sale items | do you price match | what's covered by the guarantee
what are your terms | can I return something after 30 days | what items can't be returned | how do exchanges work
do you charge for returns | what is your privacy policy | are gift cards refundable | what happens if it breaks
"""),
    "account": _split("""
I forgot my password | how do I create an account | delete my account | change my email address
I can't log in | update my profile | unsubscribe me from emails | how do I sign up
reset my password please | my account is locked | change my username | close my account
"""),
    "payment": _split("""
do you take PayPal | what payment methods do you accept | my card was declined | I was charged twice
can I pay with Apple Pay | can I pay in instalments | where's my invoice | payment failed
do you accept gift cards | can I get a VAT receipt | why was I charged | can I pay cash on delivery
do you accept Visa | can I use my Mastercard | is Amex accepted | can I pay by bank transfer
"""),
    "delivery": _split("""
how much is delivery | do you ship to Ireland | how long does delivery take | is delivery free over £30
do you deliver on Saturdays | can I get next day delivery | what are the shipping options | do you ship internationally
change my delivery address | can I collect in store | how much is express shipping | when will it arrive if I order today
"""),
    "feedback": _split("""
I want to make a complaint | your service was terrible | I'd like to leave a review | the delivery driver was rude
great service, thank you for the quick delivery | I'm not happy with how I was treated | how do I give feedback | I want to complain about the quality
"""),
    "human_handoff": _split("""
can I talk to a human | I want to speak to someone | get me a real person | connect me to customer service
what's your phone number | how do I contact support | I need to speak to a manager | transfer me to an agent
a person please | agent please | can a human help me | I want a real human | put me through to your team
pass me to a colleague of yours | escalate please | I'd rather talk to staff | let me speak to a supervisor
this bot isn't helping, get me someone | speak to an actual person | hand me over to support | call centre please
operator please | can I get an operator | representative! | I need a live agent | human!
"""),
}
