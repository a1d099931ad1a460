"""What a reasoning model thinks before it answers: a seeded number of reasoning tokens, then the answer.

Reasoning tokens are ordinary output tokens: the engine generates them before the answer (so the answer
starts later), they count in ``completion_tokens``, and ``max_completion_tokens`` bounds thinking and
answer together. When the thinking uses the whole budget, the answer is empty and the finish reason is
"length", as OpenAI documents. The thoughts are prose pieces, one token each, like the answer.
"""

from __future__ import annotations

import random

from fakeai.content.text import Prose

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


def think(prose: Prose, rng: random.Random, effort: str | tuple[int, int] | None, limit: int) -> list[str]:
    """The reasoning tokens of one choice: a seeded count for ``effort``, at most ``limit``.

    ``effort`` is a named effort or an inclusive (low, high) range of tokens (Anthropic's
    ``budget_tokens``); None means no reasoning and draws nothing from ``rng``.
    """
    if isinstance(effort, tuple):
        low, high = effort
    else:
        low, high = EFFORT_TOKENS[effort] if effort else (0, 0)
    budget = min(rng.randint(low, high), limit) if high else 0
    return prose.generate(rng, budget)[:budget] if budget else []
