"""Moderation scores from a documented lexicon: deterministic per text, graded, and high for text that is
obviously violent, self-harming, hateful, harassing, sexual or illicit.

Each category has entries: a phrase of word stems (``kill`` matches "killed", "killing"; ``=meth``
matches the whole word only) and a grade in (0, 1). A text's score in a category is the noisy-OR of the
grades of its distinct matching entries, ``1 - prod(1 - grade)``, lifted above a tiny floor (1e-6 to 1e-4,
seeded by the text) so that clean text scores like OpenAI's models do, near zero but never exactly 0.
Some categories are derived: harassment weighs more when the text addresses someone ("you"); a threat of
violence at "you" is harassment/threatening; hate with violence is hate/threatening; sexual text that names
minors is sexual/minors. A parent category scores at least as high as any of its subcategories. A
category is flagged at 0.5, and a result is flagged if any category is.

Images cannot be looked at without a model: an image part gets the floor scores only, and is never
flagged. Limits: no context, sarcasm or negation ("I would never kill anyone" still scores violence), and
English only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fakeai.content.text import derive_seed

CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
    "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
    "violence/graphic",
)  # fmt: skip
#: The categories an image part counts toward (OpenAI's omni-moderation; the others are text-only).
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)
FLAG_AT = 0.5

LEXICON: dict[str, dict[str, float]] = {
    "violence": {
        "kill": 0.75, "murder": 0.85, "stab": 0.75, "shoot": 0.55, "shot dead": 0.8, "beat up": 0.6,
        "assault": 0.55, "strangle": 0.8, "slaughter": 0.8, "massacre": 0.85, "torture": 0.8,
        "blow up": 0.55, "bomb": 0.45, "hurt": 0.35, "punch": 0.35, "attack": 0.4, "execute them": 0.75,
        "burn them": 0.7, "break your": 0.5, "gun down": 0.85, "lynch": 0.85, "exterminat": 0.8,
    },
    "violence/graphic": {
        "gore": 0.75, "dismember": 0.85, "decapitat": 0.85, "mutilat": 0.85, "disembowel": 0.9,
        "entrails": 0.7, "blood everywhere": 0.7, "pool of blood": 0.7, "severed": 0.6, "=guts": 0.45,
        "corpse": 0.35, "flesh torn": 0.8, "skull crushed": 0.85,
    },
    "self-harm": {
        "kill myself": 0.9, "suicid": 0.7, "hurt myself": 0.8, "cut myself": 0.85, "self harm": 0.8,
        "self-harm": 0.8, "end my life": 0.9, "overdose": 0.5, "want to die": 0.8, "slit my wrists": 0.95,
        "starve myself": 0.8, "take my own life": 0.9,
    },
    "self-harm/intent": {
        "i want to kill myself": 0.9, "i will kill myself": 0.92, "i'm going to kill myself": 0.92,
        "i am going to kill myself": 0.92, "i want to die": 0.85, "i want to end my life": 0.9,
        "i'm going to end it": 0.75, "i will hurt myself": 0.85, "i want to hurt myself": 0.85,
        "tonight i will": 0.3,
    },
    "self-harm/instructions": {
        "how to kill myself": 0.9, "how to commit suicide": 0.9, "ways to commit suicide": 0.9,
        "painless way to die": 0.9, "lethal dose": 0.75, "how to cut myself": 0.9,
        "how to overdose": 0.85, "best way to kill myself": 0.95,
    },
    "hate": {
        "inferior race": 0.85, "subhuman": 0.8, "master race": 0.8, "ethnic cleansing": 0.85,
        "go back to your country": 0.7, "white power": 0.7, "racial purity": 0.75, "=vermin": 0.4,
        "those people are animals": 0.75, "hate all": 0.55, "don't deserve rights": 0.7,
        "should be deported": 0.45, "are parasites": 0.7, "degenerates": 0.55,
    },
    "harassment": {
        "idiot": 0.5, "moron": 0.55, "stupid": 0.4, "loser": 0.4, "shut up": 0.35, "pathetic": 0.4,
        "worthless": 0.5, "=ugly": 0.35, "nobody likes you": 0.75, "you suck": 0.6, "=dumb": 0.35,
        "disgusting": 0.35, "piece of garbage": 0.65, "kill yourself": 0.85, "waste of space": 0.65,
        "everyone hates you": 0.75,
    },
    "sexual": {
        "porn": 0.75, "=sex": 0.45, "=sexy": 0.4, "nude": 0.5, "naked": 0.4, "erotic": 0.65,
        "orgasm": 0.8, "=xxx": 0.6, "sexual": 0.45, "nsfw": 0.6, "intercourse": 0.55, "make love": 0.5,
        "strip for me": 0.75, "send nudes": 0.85, "=horny": 0.7,
    },
    "illicit": {
        "buy drugs": 0.6, "cocaine": 0.55, "heroin": 0.55, "=meth": 0.55, "methamphetamine": 0.6,
        "how to steal": 0.75, "shoplift": 0.7, "launder money": 0.75, "money laundering": 0.6,
        "counterfeit": 0.6, "hack into": 0.65, "phishing": 0.5, "pick a lock": 0.45, "smuggl": 0.6,
        "fake passport": 0.7, "stolen credit card": 0.75, "evade taxes": 0.6, "cook meth": 0.9,
        "make meth": 0.9,
    },
    "illicit/violent": {
        "make a bomb": 0.9, "build a bomb": 0.9, "pipe bomb": 0.85, "untraceable gun": 0.85,
        "ghost gun": 0.7, "make napalm": 0.9, "poison someone": 0.85, "hire a hitman": 0.9,
        "make explosives": 0.85, "build a weapon": 0.6,
    },
}  # fmt: skip

_SECOND_PERSON = re.compile(r"\b(you|your|you're|youre|u|ur)\b")
_MINORS = re.compile(r"\b(child|children|kid|kids|minor|minors|underage|teen|teens|schoolgirl|schoolboy)\b")
_THREAT = re.compile(r"\b(i will|i'll|i am going to|i'm going to|im going to|gonna)\b")


def _pattern(entry: str) -> re.Pattern[str]:
    words = []
    for word in entry.split():
        exact = word.startswith("=")
        words.append(re.escape(word.lstrip("=")) + (r"\b" if exact else r"[\w']*"))
    return re.compile(r"\b" + r"\W+".join(words))


class Moderator:
    """The compiled lexicon; ``score`` is pure and thread-safe."""

    def __init__(self) -> None:
        self._entries = {
            category: [(_pattern(entry), grade) for entry, grade in entries.items()]
            for category, entries in LEXICON.items()
        }

    def _raw(self, text: str) -> dict[str, float]:
        lowered = text.casefold().replace("\u2019", "'")
        raw: dict[str, float] = {}
        for category, entries in self._entries.items():
            keep = 1.0
            for pattern, grade in entries:
                if pattern.search(lowered):
                    keep *= 1.0 - grade
            raw[category] = 1.0 - keep
        addressed = bool(_SECOND_PERSON.search(lowered))
        raw["harassment"] *= 1.0 if addressed else 0.6
        violent = raw["violence"]
        raw["harassment/threatening"] = violent * 0.95 if addressed and _THREAT.search(lowered) else 0.0
        raw["hate/threatening"] = min(raw["hate"], violent) * 1.2 if raw["hate"] > 0.3 else 0.0
        raw["sexual/minors"] = raw["sexual"] if _MINORS.search(lowered) and raw["sexual"] > 0.3 else 0.0
        return raw

    def score(self, texts: Iterable[str], images: Iterable[str] = ()) -> dict[str, float]:
        """Category scores in [0, 1] of one input made of text parts and image parts (URLs or data)."""
        texts, images = list(texts), list(images)
        key = "\x1e".join(texts + images)
        raw = self._raw("\n".join(texts)) if texts else dict.fromkeys(CATEGORIES, 0.0)
        scores = {}
        for category in CATEGORIES:
            floor = 1e-6 + (derive_seed("moderation", category, key) % 10_000) * 1e-8
            scores[category] = floor + (1.0 - floor) * min(raw[category], 0.9999)
        for child in CATEGORIES:
            if "/" in child:
                parent = child.split("/", 1)[0]
                scores[parent] = max(scores[parent], scores[child])
        return scores


def applied_types(has_text: bool, has_image: bool) -> dict[str, list[str]]:
    """``category_applied_input_types``: which of the input's part types each category looked at."""
    return {
        category: (["text"] if has_text else [])
        + (["image"] if has_image and category in IMAGE_CATEGORIES else [])
        for category in CATEGORIES
    }
