"""What the tokens say: seeded prose whose pieces are exactly one token each.

Benchmark clients re-tokenize streamed text and warn when the count drifts from ``completion_tokens``. So
the prose is assembled from pieces (``"The"``, ``" garden"``, ``","``, ``"."``) that the pre-tokenizers of
every bundled encoding split apart and that are single tokens: the text of N pieces re-tokenizes to N
tokens. Sentences come from ``prose.txt``; a sentence is used for an encoding only if all its pieces are
single tokens there, which is checked once when the encoding's prose is built.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from fakeai.engine.tokenizer import Encoding, Tokenizers

if TYPE_CHECKING:
    from fakeai.content.tools import PlannedCall

_PIECE = re.compile(r"[A-Za-z]+|[,.?!]")

#: A natural answer (no ``max_tokens``, no ``ignore_eos``) is at least this long, then ends at a sentence.
NATURAL_MIN_TOKENS = 48
NATURAL_MAX_TOKENS = 320


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any parts (never Python's salted ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _pieces(sentence: str, leading_space: bool) -> tuple[str, ...]:
    pieces = []
    for i, match in enumerate(_PIECE.finditer(sentence)):
        piece = match.group()
        if piece.isalpha() and (i > 0 or leading_space):
            piece = " " + piece
        pieces.append(piece)
    return tuple(pieces)


class Prose:
    """The sentences usable with one encoding, as tuples of one-token pieces."""

    def __init__(self, encoding: Encoding, sentences: list[str]) -> None:
        def single(pieces: tuple[str, ...]) -> bool:
            return all(len(encoding.encode_ordinary(p)) == 1 for p in pieces)

        self.openers: list[tuple[str, ...]] = []  # a sentence that starts the text
        self.followers: list[tuple[str, ...]] = []  # the same sentences after another one
        for sentence in sentences:
            opener, follower = _pieces(sentence, False), _pieces(sentence, True)
            if opener and single(opener) and single(follower):
                self.openers.append(opener)
                self.followers.append(follower)
        if not self.openers:
            raise ValueError(f"no prose sentence tokenizes piecewise in {encoding.name}")

    @functools.cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Every distinct piece, in a stable order (seeded draws from it must not depend on set order)."""
        pieces = {piece for sentence in (*self.openers, *self.followers) for piece in sentence}
        return tuple(sorted(pieces))

    @classmethod
    def bundled_sentences(cls) -> list[str]:
        text = resources.files("fakeai.content").joinpath("prose.txt").read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def generate(self, rng: random.Random, min_tokens: int, *, continuation: bool = False) -> list[str]:
        """Whole sentences, drawn with ``rng``, until at least ``min_tokens`` pieces.

        ``continuation`` starts with a space, as text that continues a prompt does (legacy completions).
        """
        pieces: list[str] = []
        count = len(self.openers)
        index = rng.randrange(count)
        pieces.extend((self.followers if continuation else self.openers)[index])
        while len(pieces) < min_tokens:
            # A random step through the corpus so consecutive sentences vary but stay seeded.
            index = (index + rng.randrange(1, count)) % count if count > 1 else 0
            pieces.extend(self.followers[index])
        return pieces


@dataclass(slots=True)
class Completion:
    """What one choice says: one string per token, and why it ended ("stop" or "length").

    ``reasoning`` holds the tokens a reasoning model thinks before ``pieces`` (content/reasoning.py); the
    engine generates both, reasoning first. ``kind`` says what ``pieces`` are: message ``content``, a
    ``refusal``, or the names and arguments of ``tool_calls`` / a legacy ``function_call`` (laid out in
    ``calls``, see content/tools.py).
    """

    pieces: list[str]
    finish_reason: str
    reasoning: list[str] = field(default_factory=list)
    kind: str = "content"
    calls: list[PlannedCall] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def output_tokens(self) -> int:
        """Every token generated: reasoning and answer."""
        return len(self.reasoning) + len(self.pieces)


def compose(
    prose: Prose,
    rng: random.Random,
    *,
    limit: int,
    min_tokens: int = 0,
    ignore_eos: bool = False,
    stop: list[str] | None = None,
    continuation: bool = False,
) -> Completion:
    """Decide a completion of at most ``limit`` tokens.

    Without ``ignore_eos`` the answer has a natural, seeded length (ending at a sentence, at least
    ``min_tokens``) and is cut at ``limit`` with finish_reason "length" if longer. With ``ignore_eos`` it is
    exactly ``limit`` tokens. A ``stop`` sequence truncates the text before its first occurrence.
    """
    if ignore_eos:
        pieces = prose.generate(rng, limit, continuation=continuation)[:limit]
        finish = "length"
    else:
        target = max(rng.randint(NATURAL_MIN_TOKENS, NATURAL_MAX_TOKENS), min_tokens)
        pieces = prose.generate(rng, min(target, limit + 1), continuation=continuation)
        finish = "length" if len(pieces) > limit else "stop"
        pieces = pieces[:limit]
    return stopped(pieces, finish, stop)


def stopped(pieces: list[str], finish: str, stop: list[str] | None) -> Completion:
    """The completion of ``pieces``, cut before the first ``stop`` sequence ("stop") if one occurs."""
    if stop:
        cut = truncate_at_stop(pieces, stop)
        if cut is not None:
            return Completion(cut, "stop")
    return Completion(pieces, finish)


def truncate_at_stop(pieces: list[str], stop: list[str]) -> list[str] | None:
    """The pieces before the earliest stop sequence (a piece cut midway keeps its prefix), or None."""
    text = "".join(pieces)
    positions = [pos for s in stop if s and (pos := text.find(s)) >= 0]
    if not positions:
        return None
    end = min(positions)
    kept: list[str] = []
    offset = 0
    for piece in pieces:
        if offset + len(piece) <= end:
            kept.append(piece)
            offset += len(piece)
            continue
        if end > offset:
            kept.append(piece[: end - offset])
        break
    return kept


class ProseLibrary:
    """One app's prose per encoding, built on first use in a thread (with the encoding itself)."""

    def __init__(self, tokenizers: Tokenizers) -> None:
        self._tokenizers = tokenizers
        self._prose: dict[str, Prose] = {}
        self._sentences: list[str] | None = None

    def get(self, encoding_name: str) -> Prose:
        """Blocking: may load the encoding. Prefer ``load`` on the event loop."""
        prose = self._prose.get(encoding_name)
        if prose is None:
            if self._sentences is None:
                self._sentences = Prose.bundled_sentences()
            prose = Prose(self._tokenizers.get(encoding_name), self._sentences)
            self._prose[encoding_name] = prose
        return prose

    async def load(self, encoding_name: str) -> Prose:
        prose = self._prose.get(encoding_name)
        if prose is not None:
            return prose
        return await asyncio.to_thread(self.get, encoding_name)
