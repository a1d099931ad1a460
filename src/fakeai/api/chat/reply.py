"""What each choice of a chat completion says: text, JSON for ``response_format``, or tool calls.

Decided once per request (``Replies.for_request`` validates everything that can be refused with a 400
before the engine starts), then per choice with the choice's own RNG, so ``n`` choices differ and a
``seed`` reproduces them all. A reasoning model thinks first, whatever it then answers; thinking and
answer share the token limit (content/reasoning.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.structured import JsonFormat, json_format
from fakeai.api.chat.tools import ToolPolicy, tool_policy
from fakeai.content.pieces import TokenBytes, fixed_completion
from fakeai.content.reasoning import think
from fakeai.content.text import Completion, Prose, compose
from fakeai.content.tools import plan_calls


@dataclass(slots=True)
class Replies:
    request: ChatCompletionRequest
    encoding: TokenBytes
    prose: Prose
    limit: int
    stop: list[str] | None
    effort: str | None
    json: JsonFormat | None
    tools: ToolPolicy | None

    @classmethod
    def for_request(
        cls,
        request: ChatCompletionRequest,
        encoding: TokenBytes,
        prose: Prose,
        *,
        limit: int,
        stop: list[str] | None,
        effort: str | None,
    ) -> Replies:
        """Validate ``response_format`` and the tool fields (400s name the field)."""
        return cls(request, encoding, prose, limit, stop, effort, json_format(request), tool_policy(request))

    def compose(self, rng: random.Random) -> Completion:
        """One choice: its reasoning (if any), then its answer within the tokens left."""
        thoughts = think(self.prose, rng, self.effort, self.limit)
        if thoughts and len(thoughts) == self.limit:
            return Completion([], "length", thoughts)
        completion = self._answer(rng, self.limit - len(thoughts), len(thoughts))
        completion.reasoning = thoughts
        return completion

    def _answer(self, rng: random.Random, limit: int, thought: int) -> Completion:
        """Tool calls come first; a reply in text is JSON when a format asks for it."""
        if self.tools is not None:
            calls = self.tools.calls(self.request, rng)
            if calls:
                kind = "function_call" if self.tools.legacy else "tool_calls"
                return plan_calls(self.encoding, calls, rng, limit=limit, kind=kind)
        if self.json is not None:
            return fixed_completion(self.encoding, self.json.text(rng), limit=limit, stop=self.stop)
        request = self.request
        return compose(
            self.prose,
            rng,
            limit=limit,
            min_tokens=max((request.min_tokens or 0) - thought, 0),  # min_tokens counts thinking too
            ignore_eos=request.ignore_eos,
            stop=self.stop,
        )
