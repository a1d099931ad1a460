"""Seeded log probabilities for the tokens a completion says (and, for ``echo``, for its prompt).

There is no model, so the numbers are drawn, but they keep the invariants clients rely on: one entry per
token, whose ``token`` strings concatenate to the text; ``bytes`` are the token's UTF-8 bytes; every
logprob is < 0; the alternatives are distinct, sorted by descending logprob, and never the chosen token; the
chosen token is the most likely one most of the time (it is then first among the alternatives); and the
alternatives are plausible single tokens: other pieces of the same shape from the prose (a word with a
leading space for a word, punctuation for punctuation). Each choice draws from its own seeded RNG, token
after token, so the stream and the non-streaming response of a seeded request carry the same numbers.
"""

from __future__ import annotations

import math
import random
from typing import Protocol

import msgspec

#: How often the token said is the model's most likely one (else the 2nd, rarely the 3rd): a sampler at
#: temperature ~1 mostly, but not always, takes the top token.
_RANK_WEIGHTS = (0.85, 0.12, 0.03)
#: Probability of the most likely token at a generated position, and the share of the remaining mass each
#: next alternative takes: a peaked distribution, as an instruction-tuned model's usually is.
_TOP_P = (0.35, 0.995)
_SHARE = (0.25, 0.75)
#: Prompt tokens were written by the user, not sampled: the model finds them less likely.
_PROMPT_TOP_P = (0.15, 0.9)
_PROMPT_RANK_WEIGHTS = (0.45, 0.25, 0.15, 0.1, 0.05)
#: Decimals kept: finer than any client compares, and shorter on the wire. The largest probability drawn
#: (0.995) keeps every logprob below zero after rounding.
_DIGITS = 6


class TopLogprob(msgspec.Struct):
    token: str
    logprob: float
    bytes: list[int]


class TokenLogprob(msgspec.Struct):
    """One token with its alternatives: OpenAI's ``ChatCompletionTokenLogprob``, encoded as is."""

    token: str
    logprob: float
    bytes: list[int]
    top_logprobs: list[TopLogprob]


class TokenBytes(Protocol):
    def decode_single_token_bytes(self, token: int) -> bytes: ...


def _shape(piece: str) -> int:
    """0 punctuation or other, 1 " word", 2 " Word", 3 "Word" (a sentence opener)."""
    body = piece[1:] if piece.startswith(" ") else piece
    if not body.isalpha():
        return 0
    if piece.startswith(" "):
        return 2 if body[0].isupper() else 1
    return 3


class Alternatives:
    """The candidate alternatives for one vocabulary: the prose's pieces, grouped by shape."""

    def __init__(self, vocabulary: tuple[str, ...]) -> None:
        pools: list[list[str]] = [[], [], [], []]
        for piece in vocabulary:
            pools[_shape(piece)].append(piece)
        self.pools = [tuple(pool) for pool in pools]
        self.everything = vocabulary

    def draw(self, rng: random.Random, piece: str, count: int) -> list[str]:
        """``count`` distinct tokens other than ``piece``: same shape first, any piece if those run out."""
        if count <= 0:
            return []
        pool = self.pools[_shape(piece)]
        chosen = rng.sample(pool, min(count + 1, len(pool)))
        if len(chosen) <= count:
            extra = rng.sample(self.everything, min(count * 2 + 2, len(self.everything)))
            chosen += [p for p in extra if p not in chosen]
        return [p for p in chosen if p != piece][:count]


class LogprobSampler:
    """The logprobs of one choice, drawn token after token from the choice's own seeded RNG.

    ``top`` is how many alternatives each position lists (OpenAI's ``top_logprobs``, 0-20).
    """

    def __init__(self, alternatives: Alternatives, rng: random.Random, top: int) -> None:
        self._alternatives = alternatives
        self._rng = rng
        self.top = top

    def token(self, piece: str) -> TokenLogprob:
        """The entry of a generated token."""
        return self._entry(piece, _TOP_P, _RANK_WEIGHTS)

    def prompt_token(self, piece: str) -> TokenLogprob:
        """The entry of a prompt token (``echo``): usually less likely than what the model would say."""
        return self._entry(piece, _PROMPT_TOP_P, _PROMPT_RANK_WEIGHTS)

    def _entry(self, piece: str, top_p: tuple[float, float], ranks: tuple[float, ...]) -> TokenLogprob:
        rng = self._rng
        rank = rng.choices(range(len(ranks)), ranks)[0]
        count = max(self.top, rank + 1)
        probabilities = _distribution(rng, top_p, count)
        logprobs = [round(math.log(p), _DIGITS) for p in probabilities]
        others = self._alternatives.draw(rng, piece, count - 1)
        ranked = [*others[:rank], piece, *others[rank:]]
        top = [
            TopLogprob(token, logprob, list(token.encode()))
            for token, logprob in zip(ranked[: self.top], logprobs, strict=False)
        ]
        return TokenLogprob(piece, logprobs[rank], list(piece.encode()), top)


def _distribution(rng: random.Random, top_p: tuple[float, float], count: int) -> list[float]:
    """``count`` probabilities, strictly descending, summing to less than 1."""
    first = rng.uniform(*top_p)
    probabilities = [first]
    rest = 1.0 - first
    for _ in range(count - 1):
        share = rest * rng.uniform(*_SHARE)
        probabilities.append(min(share, probabilities[-1] * 0.999))
        rest -= probabilities[-1]
    return probabilities


def prompt_pieces(encoding: TokenBytes, ids: list[int]) -> list[str]:
    """The prompt as one string per token, concatenating to its text.

    A token that ends inside a multi-byte character contributes "" and the character goes to the token that
    completes it, so the strings still concatenate to the prompt (as vLLM's incremental detokenizer does).
    """
    pieces: list[str] = []
    pending = b""
    for token in ids:
        pending += encoding.decode_single_token_bytes(token)
        try:
            pieces.append(pending.decode())
            pending = b""
        except UnicodeDecodeError:
            pieces.append("")
    if pending:
        pieces[-1] = pending.decode(errors="replace")
    return pieces


def choice_samplers(vocabulary: tuple[str, ...], rngs: list[random.Random], top: int) -> list[LogprobSampler]:
    """One sampler per choice, seeded from the choice's RNG (drawn after its text was composed)."""
    alternatives = Alternatives(vocabulary)
    return [LogprobSampler(alternatives, random.Random(rng.getrandbits(64)), top) for rng in rngs]
