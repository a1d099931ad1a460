"""A completion's tokens laid out as output blocks (Anthropic's content blocks, Realtime's output items).

In the order the engine generates them: the reasoning tokens (one ``thinking`` block), then either the
answer as one ``text`` block or one ``tool_use`` block per call (a call's name tokens, then its argument
tokens, as content/tools.py plans them). Positions count the sequence's tokens, reasoning first, so a
stream maps each engine step's ``[start, stop)`` (``Run.news``) onto the blocks it touches.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeai.content.text import Completion
from fakeai.content.tools import PlannedCall


@dataclass(frozen=True, slots=True)
class Block:
    """One content block: its type, the token positions ``[begin, end)`` it covers, its call if a tool use."""

    kind: str  # "thinking", "text" or "tool_use"
    begin: int
    end: int
    call: PlannedCall | None = None


def blocks(completion: Completion) -> list[Block]:
    reasoned = len(completion.reasoning)
    result = [Block("thinking", 0, reasoned)] if reasoned else []
    if completion.kind in ("content", "refusal"):
        if completion.pieces:
            result.append(Block("text", reasoned, reasoned + len(completion.pieces)))
        return result
    answered = len(completion.pieces)
    for call in completion.calls:
        result.append(Block("tool_use", reasoned + call.start, reasoned + min(call.end, answered), call))
    return result
