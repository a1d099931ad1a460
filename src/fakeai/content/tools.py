"""Tool calls: which tools a message calls for, their arguments, and their tokens.

A model calls the tool whose name and description best match what the user asked; here "best" is word
overlap, which is enough for agent tests to be predictable ("What's the weather in Lisbon?" calls
``get_weather``). Arguments are an instance of the tool's ``parameters`` schema (content/json_schema.py),
as compact JSON, the way OpenAI's models write them.

Token accounting: a call costs the tokens of its name plus the tokens of its arguments in the model's
encoding. Those pieces follow each other in ``Completion.pieces``; ``PlannedCall`` records where.
"""

from __future__ import annotations

import json
import random
import re
import string
from dataclasses import dataclass
from typing import Any

from fakeai.content.json_schema import instance
from fakeai.content.pieces import TokenBytes, token_pieces
from fakeai.content.text import Completion
from fakeai.content.values import Mentions

_ALPHANUMERIC = string.ascii_letters + string.digits
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_STOPWORDS = frozenset((
    "a", "an", "and", "are", "can", "could", "do", "does", "for", "from", "get", "give", "how", "i", "in",
    "is", "it", "me", "my", "of", "on", "or", "please", "set", "the", "this", "to", "tool", "use", "what",
    "whats", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
))  # fmt: skip
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A callable function as the request declares it."""

    name: str
    description: str = ""
    parameters: Any = None  # a JSON schema; None means no arguments


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One call inside a completion: pieces[start:start + name_tokens] are its name, the rest to ``end``
    its arguments (``arguments`` is the whole JSON text, before any ``max_tokens`` cut)."""

    id: str
    name: str
    arguments: str
    start: int
    name_tokens: int
    end: int

    def arguments_within(self, pieces: list[str]) -> str:
        """The arguments as far as ``pieces`` (possibly cut by max_tokens) reach."""
        return "".join(pieces[self.start + self.name_tokens : self.end])


def call_id(rng: random.Random) -> str:
    """``call_`` and 24 letters or digits, as OpenAI's ids look."""
    return "call_" + "".join(rng.choice(_ALPHANUMERIC) for _ in range(24))


def words(text: str) -> set[str]:
    """Lowercase content words of ``text``, splitting snake_case and camelCase, singular-ish."""
    found = set()
    for word in _WORD.findall(text):
        word = word.lower()
        if word in _STOPWORDS or len(word) < 2:
            continue
        found.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return found


def ranked(tools: list[ToolSpec], text: str) -> list[ToolSpec]:
    """The tools sharing at least one word with ``text``, best overlap first (ties keep their order)."""
    asked = words(text)
    scores = [(len(asked & words(f"{t.name} {t.description}")), i, t) for i, t in enumerate(tools)]
    return [t for score, _, t in sorted(scores, key=lambda s: (-s[0], s[1])) if score > 0]


def arguments(tool: ToolSpec, rng: random.Random, asked: str = "") -> str:
    """Compact JSON arguments valid against the tool's schema. Raises SchemaError if it has none.

    ``asked`` is the user's last message: fields it names (a city, a search query) take its words.
    """
    schema = tool.parameters if tool.parameters is not None else _EMPTY_PARAMETERS
    value = instance(schema, rng, hint=tool.name, mentions=Mentions(asked) if asked else None)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def plan_calls(
    encoding: TokenBytes,
    calls: list[tuple[str, str]],
    rng: random.Random,
    *,
    limit: int,
    kind: str = "tool_calls",
) -> Completion:
    """A completion that calls ``calls`` ((name, arguments JSON) pairs) within ``limit`` tokens.

    ``kind`` is "tool_calls" or "function_call" (legacy: one call); past ``limit`` the last call's arguments
    are cut and the finish reason is "length", as OpenAI does.
    """
    pieces: list[str] = []
    planned: list[PlannedCall] = []
    for name, args in calls:
        start = len(pieces)
        name_pieces = token_pieces(encoding, name)
        pieces.extend(name_pieces)
        pieces.extend(token_pieces(encoding, args))
        planned.append(PlannedCall(call_id(rng), name, args, start, len(name_pieces), len(pieces)))
    if len(pieces) > limit:
        kept = [c for c in planned if c.start < limit]
        return Completion(pieces[:limit], "length", kind=kind, calls=kept)
    return Completion(pieces, kind, kind=kind, calls=planned)
