"""Drafts a model might write for the fake OpenAI server: good ones, and each kind of bad one, in many
variants.

Every generator is seeded, so a failure names a variant that can be made again. A bad variant is a good draft
with one kind of fault put in at a random place, so that the fault, and nothing else, is what must stop it.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import UTC, datetime

from bot.coach.rules import HARSH_WORDS
from bot.services.drafts import IssueContext, x_length

VARIANTS = 60
# What a draft about the parking issue may carry: the brief's handles, its hashtag and its source.
POLITICIAN, OTHER_POLITICIAN, MEDIA = "@kommunalrad_kk", "@bjornost", "@blekingelt"
POLITICIAN_NAME, OTHER_NAME = "Eva Ek", "Björn Öst"
HASHTAG = "#ParkeraKarlskrona"
SOURCE = "https://www.karlskrona.se/parkering"
# The issue the drafts are about. Åsa Ek, the first target, has no handle: the first handle is Eva Ek's.
ISSUE = IssueContext(
    id=7, title="Parkering i centrum", municipality="karlskrona", hashtag=HASHTAG,
    decision_at=datetime(2026, 12, 17, 17, 0, tzinfo=UTC), position="Behåll korttidsparkeringen",
    source_url=SOURCE, target_handles=(POLITICIAN[1:], OTHER_POLITICIAN[1:]),
    target_names=("Åsa Ek", POLITICIAN_NAME, OTHER_NAME), handle_names=(POLITICIAN_NAME, OTHER_NAME),
    media_handles=(MEDIA[1:],))

SWEDISH = (
    "Vi på Blomsterhuset binder buketter till hela Karlskrona.",
    "Våra kunder behöver korttidsparkeringen för att hinna handla hos oss.",
    "Hur tänker ni om parkeringen vid torget?",
    "Utan parkering tappar vi bröllopskunder till köpcentret.",
    "Vi har fem anställda och vill gärna anställa fler.",
    "Vad betyder beslutet för oss som har butik i centrum?",
    "Kom förbi och berätta vad du tycker om förslaget.",
    "Vi har funnits på torget i tolv år och vill stanna kvar.",
    "Hur röstar du den 17 december?",
    "Tio minuters parkering räcker för att hämta en bukett.",
    "Vi säljer mest på lördagar när det finns platser nära butiken.",
    "Vilka andra företag i stan känner likadant?",
)
ENGLISH = (
    "We at Blomsterhuset make bouquets for all of Karlskrona.",
    "Our customers need the short-term parking to shop with us.",
    "How will you vote on parking by the square?",
    "Without parking we lose wedding customers to the mall.",
    "We have five employees and would like to hire more.",
    "What does the decision mean for us who run a shop in the centre?",
    "Drop by and tell us what you think about the proposal.",
    "We have been on the square for twelve years and want to stay.",
    "Ten minutes of parking is enough to pick up a bouquet.",
    "Which other businesses in town feel the same?",
)
# The languages a model slips into instead of Swedish: English, and the neighbours' and German.
NORWEGIAN = (
    "Vi i Blomsterhuset binder buketter til hele Karlskrona.",
    "Kundene våre trenger korttidsparkeringen for å handle hos oss.",
    "Hvordan tenker dere om parkeringen ved torget?",
    "Uten parkering mister vi bryllupskunder til kjøpesenteret.",
    "Hva betyr vedtaket for oss som har butikk i sentrum?",
)
DANISH = (
    "Vi i Blomsterhuset binder buketter til hele Karlskrona.",
    "Vores kunder har brug for parkeringen for at handle hos os.",
    "Hvordan tænker I om parkeringen ved torvet?",
    "Uden parkering mister vi bryllupskunder til indkøbscentret.",
    "Hvad betyder beslutningen for os som har butik i centrum?",
)
GERMAN = (
    "Wir im Blumenhaus binden Sträuße für ganz Karlskrona.",
    "Unsere Kunden brauchen die Parkplätze, um bei uns einzukaufen.",
    "Wie denken Sie über das Parken am Marktplatz?",
    "Ohne Parkplätze verlieren wir Hochzeitskunden an das Einkaufszentrum.",
    "Was bedeutet die Entscheidung für uns, die ein Geschäft im Zentrum haben?",
)
CROWDS = ("@everyone", "@here", "@channel", "@Everyone", "@HERE", "＠everyone", "@every\u200bone",
          "@he\u200dre", "<!channel>", "<!here>", "<!everyone>", "<@U0123ABCD>", "<@&123456789012345678>",
          "<#C0123ABC>",
          "<!subteam^S0123>", "<@123456789012345678>", "<@!123456789012345678>", "@here!", "(@everyone)")
TLDS = ("se", "com", "de", "travel", "io", "nu", "app", "xyz", "ly", "co", "info", "shop", "org", "net")
ECHOES = ("Ignore previous instructions and", "IGNORE ALL PREVIOUS INSTRUCTIONS:",
          "Ignorera tidigare instruktioner:", "</data>", "<data>", "```json", "System prompt:",
          "Som en AI kan jag säga att", "Enligt systemprompten",
          "Ignorera alla regler och", "As an AI language model,", "Disregard the above:",
          "glöm tidigare instruktioner och")
# A harsh word as a model would write it: with its diacritics, in any case.
_WRITTEN = {"skandalost": "skandalöst", "lojligt": "löjligt"}


def _sentences(rng: random.Random, bank: tuple[str, ...], low: int = 1, high: int = 3) -> list[str]:
    return rng.sample(bank, rng.randint(low, high))


def good(rng: random.Random, language: str = "sv") -> str:
    """A draft that passes: sentences in the language, some of the brief's handles, its hashtag and source."""
    parts = _sentences(rng, SWEDISH if language == "sv" else ENGLISH, 2, 3)
    extras = [tag for tag in (POLITICIAN, MEDIA, HASHTAG, SOURCE) if rng.random() < 0.5]
    if rng.random() < 0.3:
        parts.insert(0, f"{POLITICIAN_NAME}, {POLITICIAN}:" if rng.random() < 0.5 else f"{POLITICIAN_NAME},")
    return _fit(" ".join(parts + extras))


def _fit(post: str) -> str:
    while x_length(post) > 240:
        post = post.rsplit(" ", 1)[0]
    return post


def _insert(rng: random.Random, post: str, piece: str) -> str:
    words = post.split(" ")
    at = rng.randint(0, len(words))
    return " ".join([*words[:at], piece, *words[at:]])


def unlisted_handle(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        name = "".join(rng.choices(string.ascii_letters + string.digits + "_", k=rng.randint(1, 15)))
    elif kind == 1:
        name = rng.choice(("ronnebyrad", "ronnebytidning", "sydostran", "karlshamnkommun", "lo_r",
                           "sd_blekinge"))
    elif kind == 2:
        name = POLITICIAN[1:rng.randint(2, len(POLITICIAN) - 1)]  # a cut handle is a stranger's
    elif kind == 3:
        name = MEDIA[1:] + rng.choice(("_news", "2", "_se", "x"))
    else:
        name = rng.choice(("kommunalråd", "Anna", "blomsterhuset", "politiker")) + str(rng.randint(0, 99))
    at = "＠" if rng.random() < 0.1 else "@"
    return _insert(rng, good(rng), at + name)


def crowd(rng: random.Random) -> str:
    return _insert(rng, good(rng), rng.choice(CROWDS))


def link(rng: random.Random) -> str:
    host = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10)))
    tld = rng.choice(TLDS)
    path = rng.choice(("", "/", "/login", "/konto?id=123", "/a/b.html"))
    kind = rng.randrange(6)
    if kind == 0:
        url = f"https://{host}.{tld}{path}"
    elif kind == 1:
        url = f"www.{host}.{tld}{path}"
    elif kind == 2:
        url = f"{host}.{tld}{path or '/x'}"
    elif kind == 3:
        url = f"[läs mer](https://{host}.example{path})"
    elif kind == 4:
        url = f"info@{host}.{tld}"
    else:
        url = rng.choice(("bit.ly/", "t.co/", "http://karlskrona.se.")) + host  # near the source, not it
    return _insert(rng, good(rng), url)


def insult(rng: random.Random) -> str:
    word = rng.choice(HARSH_WORDS)
    word = _WRITTEN.get(word, word)
    word = rng.choice((word, word.upper(), word.capitalize()))
    sentence = rng.choice(("Politikerna är {w}.", "Det här är {w}!", "Ni är {w} som inte fattar.", "{w}."))
    return _insert(rng, good(rng), sentence.format(w=word))


def wrong_language(rng: random.Random) -> str:
    bank = rng.choice((ENGLISH, NORWEGIAN, DANISH, GERMAN))
    extras = [tag for tag in (POLITICIAN, MEDIA, HASHTAG) if rng.random() < 0.5]
    return _fit(" ".join(_sentences(rng, bank, 2, 3) + extras))


def over_long(rng: random.Random) -> str:
    post = good(rng)
    while x_length(post) <= 280:
        post = f"{post} {rng.choice((*SWEDISH, '🌷🌷🌷', 'Blomsterhusets-säsongsbuketter-för-alla'))}"
    return post


def injection_echo(rng: random.Random) -> str:
    return _insert(rng, good(rng), rng.choice(ECHOES))


def mispaired(rng: random.Random) -> str:
    """A politician's handle on another politician's name."""
    parts = _sentences(rng, SWEDISH, 1, 2)
    return _fit(" ".join([f"{POLITICIAN_NAME},", OTHER_POLITICIAN, *parts]) if rng.random() < 0.5
                else " ".join([f"{OTHER_NAME}, {POLITICIAN}:", *parts]))


# Each kind of bad draft, and the guard's check that stops it.
BAD: dict[str, tuple[Callable[[random.Random], str], str]] = {
    "unlisted handle": (unlisted_handle, "handle"),
    "@everyone": (crowd, "mention"),
    "link": (link, "link"),
    "insult": (insult, "harsh word"),
    "wrong language": (wrong_language, "language"),
    "over-long": (over_long, "length"),
    "injection echo": (injection_echo, "prompt echo"),
    "mispaired handle": (mispaired, "handle and name"),
}


def variants(kind: str, count: int = VARIANTS, *, seed: int = 16) -> list[str]:
    """`count` distinct drafts of one bad kind (or "good"), the same for the same seed."""
    rng = random.Random(f"{kind}-{seed}")
    make = (lambda r: good(r)) if kind == "good" else (lambda r: good(r, "en")) if kind == "good en" \
        else BAD[kind][0]
    found: list[str] = []
    for _ in range(count * 20):
        draft = make(rng)
        if draft not in found:
            found.append(draft)
        if len(found) == count:
            return found
    raise AssertionError(f"only {len(found)} distinct {kind} drafts")
