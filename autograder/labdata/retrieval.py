"""A small, frozen retrieval task for Lab 6: questions matched to the passage that answers them.

Written for the course (not scraped, not read from an installed package), so it never changes
between environments. 48 passages in 12 topics of 4 closely related passages each: the near
neighbours make retrieval hard enough that a careless speed-up shows up in recall@k.
``QUESTIONS[i]`` is answered by ``PASSAGES[ANSWERS[i]]``.
"""

from __future__ import annotations

PASSAGES: tuple[str, ...] = (
    # coffee
    "Espresso is brewed by forcing hot water through finely ground coffee under about nine bars of pressure, which takes twenty to thirty seconds.",
    "Cold brew coffee steeps coarse grounds in cold water for twelve to twenty-four hours, giving a smooth drink with little acidity.",
    "Coffee beans are roasted at around two hundred degrees Celsius; light roasts keep fruity flavours while dark roasts taste bitter and smoky.",
    "Arabica plants grow best at high altitude in the tropics, while robusta tolerates heat and lowland farms and carries more caffeine.",
    # bicycles
    "A bicycle chain should be cleaned and lubricated every few hundred kilometres, more often after riding in rain or mud.",
    "Tubeless bicycle tyres hold liquid sealant that plugs small punctures from thorns and glass while you keep riding.",
    "Disc brakes on a bicycle stop reliably in wet weather because the rotor sits far from the spray of the road.",
    "Bicycle frame size depends on the rider's inseam; a frame that is too large makes it hard to stand over the top tube.",
    # volcanoes
    "Shield volcanoes such as those in Hawaii are built from runny basalt lava that flows far before it cools into gentle slopes.",
    "Pyroclastic flows are avalanches of hot gas and ash that race down a volcano at hundreds of kilometres per hour.",
    "Volcanic ash from large eruptions can cool the global climate for a year or two by reflecting sunlight in the stratosphere.",
    "Scientists forecast eruptions by watching for small earthquakes, swelling of the ground and changes in the gases a volcano releases.",
    # bread
    "Sourdough bread rises with a starter of wild yeast and lactic acid bacteria instead of packaged baker's yeast.",
    "Kneading dough develops gluten, the stretchy protein network that traps gas and lets bread rise tall.",
    "Bread goes stale mostly because its starch recrystallises, not because it dries out, which is why the fridge makes it worse.",
    "A hot oven with steam in the first minutes of baking gives bread a crisp, shiny crust and a better rise.",
    # sleep
    "Adults generally need seven to nine hours of sleep a night, and teenagers need somewhat more.",
    "During deep sleep the brain consolidates memories of facts learned during the day.",
    "Blue light from phone screens in the evening delays the release of melatonin and makes falling asleep harder.",
    "Short naps of about twenty minutes improve alertness without leaving you groggy afterwards.",
    # honey bees
    "Honey bees tell their hive mates where flowers are with a waggle dance whose angle points the way relative to the sun.",
    "A honey bee colony has one queen who lays up to two thousand eggs a day, thousands of female workers, and male drones.",
    "Bees make honey by evaporating nectar until it is thick and adding enzymes that break sugars down.",
    "Worker bees in summer live only about six weeks, wearing themselves out foraging for the colony.",
    # trains
    "High-speed trains in Japan, called Shinkansen, have run since 1964 with a remarkable safety record.",
    "Maglev trains float above the track on magnetic fields, which removes wheel friction and allows very high speeds.",
    "Freight trains move goods with far less fuel per tonne than trucks because steel wheels on steel rails roll with little resistance.",
    "Railway signals divide a line into blocks so that only one train may occupy each section of track at a time.",
    # chess
    "In chess, castling moves the king two squares toward a rook and jumps the rook over it, in a single turn.",
    "A pawn that reaches the far side of the chessboard is promoted, usually to a queen.",
    "The en passant rule lets a pawn capture an enemy pawn that has just advanced two squares beside it.",
    "A chess game is drawn when the same position occurs three times with the same player to move.",
    # vaccines
    "Vaccines train the immune system by showing it a harmless piece or copy of a germ, so it reacts quickly to the real one later.",
    "mRNA vaccines deliver instructions that let our cells briefly make a viral protein that the immune system learns to recognise.",
    "Herd immunity protects people who cannot be vaccinated when enough of the population around them is immune.",
    "Some vaccines need booster doses because the immune memory they create fades over the years.",
    # rainforests
    "Tropical rainforests cover a small part of the land yet hold more than half of the world's plant and animal species.",
    "The Amazon rainforest creates much of its own rain as trees release water vapour that falls again further inland.",
    "Cutting down rainforest for cattle pasture and soy farms is the main driver of deforestation in South America.",
    "Most nutrients in a rainforest are held in living plants, so cleared land quickly becomes poor soil for farming.",
    # batteries
    "Lithium-ion batteries age faster when kept at full charge in hot places, so storing them half charged extends their life.",
    "A battery's capacity in ampere-hours tells how much charge it stores, while its voltage sets how much energy each unit carries.",
    "Solid-state batteries replace the liquid electrolyte with a solid one, promising more energy and less fire risk.",
    "Recycling old batteries recovers valuable metals like cobalt, nickel and lithium for new cells.",
    # oceans
    "Ocean tides are caused mainly by the Moon's gravity pulling on the water on the near and far sides of the Earth.",
    "The Gulf Stream carries warm water from the Gulf of Mexico across the Atlantic and keeps western Europe mild.",
    "The oceans absorb about a quarter of the carbon dioxide we emit, which makes sea water more acidic.",
    "Coral reefs bleach when sea water stays too warm and the corals expel the algae that feed them.",
)

QUESTIONS: tuple[str, ...] = (
    "How long does it take to pull a shot of espresso, and how much pressure is used?",
    "Which coffee is made by soaking grounds in cold water overnight?",
    "Why does dark roasted coffee taste more bitter than light roast?",
    "Which type of coffee plant contains more caffeine and grows in hot lowlands?",
    "How often should I oil my bike chain?",
    "What stops a tyre from going flat when I ride over a thorn?",
    "Why do disc brakes work better when it is raining?",
    "How do I know what size of bike frame fits me?",
    "Why do Hawaiian volcanoes have such gentle slopes?",
    "What is the fast-moving cloud of hot gas and ash that comes down a volcano?",
    "Can a big eruption make the whole planet colder?",
    "What signs do scientists watch to predict that a volcano will erupt?",
    "What makes sourdough rise if you do not add yeast from a packet?",
    "Why is it important to knead the dough?",
    "Why should you not keep bread in the refrigerator?",
    "How do bakers get a crispy crust on their loaves?",
    "How many hours of sleep does a grown-up need?",
    "Does sleeping help me remember what I studied?",
    "Why is it hard to fall asleep after using my phone in bed?",
    "How long should a power nap be?",
    "How do bees communicate the location of food to each other?",
    "How many eggs does a queen bee lay?",
    "How is nectar turned into honey?",
    "How long does a worker bee live in the summer?",
    "Since when has Japan operated its bullet trains?",
    "How can a train travel without touching the rails?",
    "Why is moving cargo by rail more fuel efficient than by road?",
    "How do signals prevent two trains from colliding on the same line?",
    "How does castling work in chess?",
    "What happens when a pawn reaches the last row?",
    "What is the en passant capture?",
    "When is a chess game a draw by repetition?",
    "How does a vaccine prepare the body to fight a disease?",
    "How do mRNA vaccines work inside our cells?",
    "How are people who cannot get vaccinated still protected?",
    "Why do I need a booster shot years later?",
    "Why are tropical rainforests so important for biodiversity?",
    "Where does the rain in the Amazon come from?",
    "What is the main cause of deforestation in South America?",
    "Why is farmland from a cleared rainforest so infertile?",
    "How should I store a lithium battery so it lasts longer?",
    "What is the difference between amp-hours and voltage?",
    "What advantage do solid-state batteries have over today's batteries?",
    "Which metals can be recovered by recycling batteries?",
    "What causes the tides in the sea?",
    "Why are winters in western Europe mild?",
    "Why is the ocean becoming more acidic?",
    "Why do coral reefs turn white?",
)

ANSWERS: tuple[int, ...] = tuple(range(len(QUESTIONS)))
TOPICS: tuple[str, ...] = tuple(
    topic for topic in ("coffee", "bicycles", "volcanoes", "bread", "sleep", "honey bees",
                        "trains", "chess", "vaccines", "rainforests", "batteries", "oceans")
    for _ in range(4))


def load_retrieval() -> dict:
    """The task as plain Python data: passages, questions, the passage answering each question,
    and each passage's topic. Returns fresh lists, so callers may change them safely."""
    assert len(PASSAGES) == len(QUESTIONS) == len(ANSWERS) == len(TOPICS)
    return {"passages": list(PASSAGES), "questions": list(QUESTIONS),
            "answers": list(ANSWERS), "topics": list(TOPICS)}
