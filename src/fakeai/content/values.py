"""Plausible scalar values for JSON Schema instances: strings shaped by the field's name and ``format``,
numbers within their bounds.

Everything here is ASCII, so a JSON text built from these values never splits a character across tokens
(see content/pieces.py).
"""

from __future__ import annotations

import math
import random
import re
import uuid
from fractions import Fraction

_WORDS = (
    "amber", "bright", "cedar", "delta", "ember", "falcon", "garden", "harbor", "island", "juniper",
    "kernel", "lantern", "meadow", "north", "orbit", "pepper", "quartz", "river", "summit", "timber",
    "umbra", "valley", "willow", "yonder", "zephyr",
)  # fmt: skip

#: Field-name words -> sample values. A name matches when one of its words (split on _, -, case) is a key.
_BY_NAME: dict[str, tuple[str, ...]] = {
    "name": ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"),
    "first": ("Ada", "Alan", "Grace", "Linus"),
    "last": ("Lovelace", "Turing", "Hopper", "Torvalds"),
    "city": ("Lisbon", "Kyoto", "Nairobi", "Montreal", "Oslo"),
    "location": ("Lisbon, Portugal", "Kyoto, Japan", "Nairobi, Kenya"),
    "country": ("Portugal", "Japan", "Kenya", "Canada"),
    "address": ("12 Harbor Street", "7 Cedar Lane", "221 River Road"),
    "street": ("Harbor Street", "Cedar Lane", "River Road"),
    "unit": ("celsius", "fahrenheit", "metric"),
    "currency": ("USD", "EUR", "JPY"),
    "language": ("English", "Portuguese", "Japanese"),
    "color": ("red", "green", "blue", "amber"),
    "status": ("active", "pending", "done"),
    "title": ("Quarterly report", "Garden notes", "Release plan"),
    "query": ("weather in Lisbon", "open issues", "best coffee nearby"),
    "description": ("A short description of the item.", "Notes about the request."),
    "summary": ("The request was handled and the result is ready.",),
    "phone": ("+1-555-0100", "+44-20-7946-0958"),
    "company": ("Acme Corp", "Globex", "Initech"),
    "category": ("general", "billing", "support"),
    "timezone": ("UTC", "Europe/Lisbon", "Asia/Tokyo"),
}
_SPLIT = re.compile(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])")


def _format(fmt: str, rng: random.Random) -> str | None:
    word = rng.choice(_WORDS)
    year, month, day = rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28)
    clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if fmt in ("email", "idn-email"):
        return f"{word}.{rng.choice(_WORDS)}@example.com"
    if fmt == "date-time":
        return f"{year:04d}-{month:02d}-{day:02d}T{clock}Z"
    if fmt == "date":
        return f"{year:04d}-{month:02d}-{day:02d}"
    if fmt == "time":
        return f"{clock}Z"
    if fmt == "duration":
        return f"P{rng.randint(1, 30)}D"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference"):
        return f"https://example.com/{word}/{rng.randint(1, 999)}"
    if fmt == "uri-template":
        return f"https://example.com/{word}/{{id}}"
    if fmt == "ipv4":
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    if fmt == "ipv6":
        return ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))
    if fmt in ("hostname", "idn-hostname"):
        return f"{word}.example.com"
    if fmt == "json-pointer":
        return f"/{word}/{rng.randint(0, 9)}"
    if fmt == "relative-json-pointer":
        return f"{rng.randint(0, 3)}/{word}"
    if fmt == "regex":
        return f"^{word}[0-9]+$"
    return None  # unknown formats are annotations only (JSON Schema's default)


#: Field-name words whose value a user usually names in the message: a proper noun or a quoted phrase.
_NAMED = frozenset(
    {"city", "location", "place", "country", "destination", "origin", "from", "to", "name", "company",
     "person", "user", "topic", "term", "keyword", "title", "artist", "team", "product", "ticker"}
)  # fmt: skip
#: Field-name words whose value is what the user asked, in their words.
_ASKED = frozenset({"query", "q", "search", "question", "prompt", "request", "text", "input", "message"})
_QUOTED = re.compile('["\u201c]([^"\u201d]{2,80})["\u201d]')  # double quotes only: "What's" is no quote
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*")
_COMMON = frozenset(
    {"I", "What", "What's", "Whats", "Please", "Can", "Could", "How", "The", "A", "Is", "Are"}
)


class Mentions:
    """What a user's message names, so tool arguments echo it as a model would: "weather in Lisbon"
    gives ``{"city": "Lisbon"}``. Names are handed out in order, so ``origin`` then ``destination`` take
    "from Lisbon to Tokyo" in turn."""

    def __init__(self, message: str) -> None:
        self.message = " ".join(message.split())
        self.quoted = _QUOTED.findall(self.message)
        proper = [m for m in _PROPER.findall(self.message) if m not in _COMMON]
        self.names = [*self.quoted, *(p for p in proper if p not in self.quoted)]
        self._next = 0

    def value(self, words: list[str]) -> str | None:
        """The mention for a field named by ``words``, or None when the field is not one users name."""
        if any(w in _ASKED for w in words):  # a quoted phrase is the query; else the whole message
            return (self.quoted[0] if self.quoted else self.message) or None
        if self.names and any(w in _NAMED for w in words):
            name = self.names[self._next % len(self.names)]
            self._next += 1
            return name
        return None


def text(
    rng: random.Random,
    hint: str,
    fmt: str | None,
    min_length: int,
    max_length: int | None,
    mentions: Mentions | None = None,
) -> str:
    """A string for a field named ``hint``, honouring ``format`` when known, then the length bounds.

    With ``mentions``, a field the user names in their message (a city, a query) takes their words when
    they fit the bounds.
    """
    value = _format(fmt, rng) if fmt else None
    words = [w.lower() for w in _SPLIT.split(hint) if w]
    if value is None and mentions is not None:
        mentioned = mentions.value(words)
        # ASCII only, like every value here (see the module's docstring).
        fits = mentioned is not None and min_length <= len(mentioned) <= (max_length or len(mentioned))
        if fits and mentioned.isascii():  # type: ignore[union-attr]
            return mentioned  # type: ignore[return-value]
    if value is None:
        samples = next((_BY_NAME[w] for w in reversed(words) if w in _BY_NAME), None)
        if samples is not None:
            value = rng.choice(samples)
        else:
            value = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
    while len(value) < min_length:
        value += " " + rng.choice(_WORDS)
    if max_length is not None and len(value) > max_length:
        value = value[:max_length].rstrip() if max_length else ""
        value += "x" * (min_length - len(value))  # rstrip may have gone below the minimum
    return value


def number(
    rng: random.Random,
    *,
    integer: bool,
    low: float | None,
    high: float | None,
    exclusive_low: bool,
    exclusive_high: bool,
    multiple_of: float | None,
) -> int | float:
    """A number within the bounds; ``None`` bounds default to a plausible 0-100 span around the other one.

    Raises ValueError when no number satisfies them.
    """
    if low is None and high is None:
        low, high = 0, 100
    elif low is None:
        low = high - 100  # type: ignore[operator]
    elif high is None:
        high = low + 100
    assert low is not None and high is not None
    if multiple_of:
        return _multiple(rng, low, high, exclusive_low, exclusive_high, multiple_of, integer)
    if integer:
        first = math.floor(low) + 1 if exclusive_low else math.ceil(low)
        last = math.ceil(high) - 1 if exclusive_high else math.floor(high)
        if first > last:
            raise ValueError(f"no integer lies between {low} and {high}")
        return rng.randint(first, last)
    if low > high or (low == high and (exclusive_low or exclusive_high)):
        raise ValueError(f"no number lies between {low} and {high}")
    for _ in range(8):
        value = round(rng.uniform(low, high), 2)
        if _inside(value, low, high, exclusive_low, exclusive_high):
            return value
    value = (low + high) / 2
    if _inside(value, low, high, exclusive_low, exclusive_high):
        return value
    raise ValueError(f"no number lies strictly between {low} and {high}")


def _inside(value: float, low: float, high: float, exclusive_low: bool, exclusive_high: bool) -> bool:
    above = value > low if exclusive_low else value >= low
    below = value < high if exclusive_high else value <= high
    return above and below


def _multiple(
    rng: random.Random, low: float, high: float, ex_low: bool, ex_high: bool, step: float, integer: bool
) -> int | float:
    first, last = math.ceil(low / step), math.floor(high / step)
    if integer and not float(step).is_integer():
        # An integer that is a multiple of a/b (lowest terms) is a multiple of a: draw among those, and keep
        # one that the float test of a validator also accepts.
        whole = float(Fraction(step).limit_denominator(1_000_000).numerator)
        for _ in range(16):
            value = _multiple(rng, low, high, ex_low, ex_high, whole, True)
            if _exact_multiple(value, step):
                return value
        raise ValueError(f"no multiple of {step} lies between {low} and {high}")
    candidates = list(range(first, last + 1)) if last - first < 64 else None
    for _ in range(16):
        k = rng.choice(candidates) if candidates else rng.randint(first, last) if first <= last else None
        if k is None:
            break
        value: int | float = k * step
        if float(step).is_integer():
            value = k * int(step)  # exact, whatever the size
        elif integer:
            if not float(value).is_integer():
                continue
            value = int(value)
        if not float(step).is_integer() and not _exact_multiple(value, step):
            continue
        if _inside(value, low, high, ex_low, ex_high):
            return value
    raise ValueError(f"no multiple of {step} lies between {low} and {high}")


def _exact_multiple(value: float, step: float) -> bool:
    """True when validators that divide in floating point (as jsonschema does) accept the multiple."""
    quotient = value / step
    return math.isfinite(quotient) and int(quotient) == quotient
