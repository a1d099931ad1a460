"""What each choice of a chat completion says: text, JSON for ``response_format``, tool calls, or what a
response mode dictates.

Decided once per request (``Replies.for_request`` validates everything that can be refused with a 400
before the engine starts), then per choice with the choice's own RNG, so ``n`` choices differ and a
``seed`` reproduces them all. A reasoning model thinks first, whatever it then answers; thinking and
answer share the token limit (content/reasoning.py).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from fakeai.api.chat.modes import Mode
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.structured import JsonFormat, json_format, schema_error
from fakeai.api.chat.tools import ToolPolicy, last_user_text, tool_policy
from fakeai.content.json_schema import SchemaError
from fakeai.content.pieces import TokenBytes, fixed_completion
from fakeai.content.reasoning import think
from fakeai.content.rules import Rule
from fakeai.content.text import Completion, Prose, compose
from fakeai.content.tools import ToolSpec, arguments, plan_calls


@dataclass(slots=True)
class Replies:
    request: ChatCompletionRequest
    encoding: TokenBytes
    prose: Prose
    limit: int
    stop: list[str] | None
    effort: str | tuple[int, int] | None  # a named effort, or a range of tokens (content/reasoning.py)
    json: JsonFormat | None
    tools: ToolPolicy | None
    mode: Mode

    @classmethod
    def for_request(
        cls,
        request: ChatCompletionRequest,
        encoding: TokenBytes,
        prose: Prose,
        *,
        limit: int,
        stop: list[str] | None,
        effort: str | tuple[int, int] | None,
        mode: Mode,
    ) -> Replies:
        """Validate ``response_format`` and the tool fields (400s name the field)."""
        json, tools = json_format(request), tool_policy(request)
        return cls(request, encoding, prose, limit, stop, effort, json, tools, mode)

    @property
    def schema_driven(self) -> bool:
        """The reply may instantiate a request's schema (JSON output or tool arguments): CPU-bound work
        that the service runs off the event loop."""
        return self.json is not None or (self.tools is not None and self.tools.mode != "none")

    def compose(self, rng: random.Random) -> Completion:
        """One choice: its reasoning (if any), then its answer within the tokens left."""
        thoughts = think(self.prose, rng, self.effort, self.limit)
        if thoughts and len(thoughts) == self.limit:
            return Completion([], "length", reasoning=thoughts)
        completion = self._answer(rng, self.limit - len(thoughts), len(thoughts))
        completion.reasoning = thoughts
        return completion

    def _answer(self, rng: random.Random, limit: int, thought: int) -> Completion:
        """By precedence: a scripted rule or recorded reply (the user said what to answer), then tool
        calls, then JSON when a format asks for it, then echo or prose."""
        mode = self.mode
        if mode.rule is not None:
            return self._scripted(mode.rule, rng, limit)
        if mode.recorded is not None:
            recorded = mode.recorded
            if recorded.tool_calls:
                return self._calls(list(recorded.tool_calls), rng, limit)
            if recorded.refusal is not None:
                return self._text(recorded.refusal, limit, "refusal")
            return self._text(recorded.content or "", limit)
        if self.tools is not None:
            calls = self.tools.calls(self.request, rng)
            if calls:
                return self._calls(calls, rng, limit)
        if self.json is not None:
            return self._text(self.json.text(rng), limit)
        if mode.kind == "echo" and (echoed := last_user_text(self.request)):
            return self._text(echoed, limit)
        request = self.request
        return compose(
            self.prose,
            rng,
            limit=limit,
            min_tokens=max((request.min_tokens or 0) - thought, 0),  # min_tokens counts thinking too
            ignore_eos=request.ignore_eos,
            stop=self.stop,
        )

    def _scripted(self, rule: Rule, rng: random.Random, limit: int) -> Completion:
        if rule.content:
            return self._text(rng.choice(rule.content), limit)
        if rule.refusal is not None:
            return self._text(rule.refusal, limit, "refusal")
        declared = {t.name: t for t in self.tools.tools} if self.tools else {}
        calls = []
        for call in rule.tool_calls:
            text = call.arguments
            if text is None:  # generated from the declared schema (an undeclared tool takes no arguments)
                tool = declared.get(call.name, ToolSpec(call.name))
                try:
                    text = arguments(tool, rng)
                except SchemaError as exc:
                    param = self.tools.param if self.tools else None
                    raise schema_error("function", call.name, exc, param=param) from None
            calls.append((call.name, text))
        return self._calls(calls, rng, limit)

    def _calls(self, calls: list[tuple[str, str]], rng: random.Random, limit: int) -> Completion:
        legacy = self.tools is not None and self.tools.legacy
        kind = "function_call" if legacy else "tool_calls"
        return plan_calls(self.encoding, calls[:1] if legacy else calls, rng, limit=limit, kind=kind)

    def _text(self, text: str, limit: int, kind: str = "content") -> Completion:
        completion = fixed_completion(self.encoding, text, limit=limit, stop=self.stop)
        return dataclasses.replace(completion, kind=kind) if kind != "content" else completion
