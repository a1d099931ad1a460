"""What a reasoning model thinks before it answers: a seeded number of reasoning tokens, then the answer.

Reasoning tokens are ordinary output tokens: the engine generates them before the answer (so the answer
starts later), they count in ``completion_tokens``, and ``max_completion_tokens`` bounds thinking and
answer together. When the thinking uses the whole budget, the answer is empty and the finish reason is
"length", as OpenAI documents. The thoughts are prose pieces, one token each, like the answer.
"""

from __future__ import annotations

import random

from fakeai.content.text import Completion, Prose, compose

#: Reasoning tokens per ``reasoning_effort`` (inclusive range, drawn uniformly per choice). Chosen from
#: what o-series and DeepSeek-R1 report on everyday prompts: a few dozen tokens at minimal effort, about a
#: thousand at medium, several thousand at high.
EFFORT_TOKENS: dict[str, tuple[int, int]] = {
    "none": (0, 0),
    "minimal": (8, 96),
    "low": (64, 512),
    "medium": (256, 2048),
    "high": (1024, 8192),
    "xhigh": (4096, 16384),
    "max": (8192, 32768),
}


def think(prose: Prose, rng: random.Random, effort: str | None, limit: int) -> list[str]:
    """The reasoning tokens of one choice: a seeded count for ``effort``, at most ``limit``.

    ``effort`` None means no reasoning and draws nothing from ``rng``.
    """
    low, high = EFFORT_TOKENS[effort] if effort else (0, 0)
    budget = min(rng.randint(low, high), limit) if high else 0
    return prose.generate(rng, budget)[:budget] if budget else []


def compose_reasoned(
    prose: Prose,
    rng: random.Random,
    effort: str | None,
    *,
    limit: int,
    min_tokens: int = 0,
    ignore_eos: bool = False,
    stop: list[str] | None = None,
    continuation: bool = False,
) -> Completion:
    """A completion of at most ``limit`` tokens, reasoning included.

    ``effort`` None means no reasoning, and draws nothing from ``rng`` (the answer is then what
    ``compose`` gives). ``min_tokens`` counts reasoning and answer together, as vLLM's does; ``stop``
    applies to the answer only.
    """
    thoughts = think(prose, rng, effort, limit)
    budget = len(thoughts)
    if thoughts and budget == limit:
        return Completion([], "length", thoughts)
    completion = compose(
        prose,
        rng,
        limit=limit - budget,
        min_tokens=max(min_tokens - budget, 0),
        ignore_eos=ignore_eos,
        stop=stop,
        continuation=continuation,
    )
    completion.reasoning = thoughts
    return completion
