"""A response's ``output`` items, laid out over the tokens of its one engine sequence.

The engine generates reasoning first, then the answer (content/reasoning.py); the answer is message text,
a refusal, or function calls (content/tools.py lays their names and arguments out). ``Layout`` maps those
token positions to output items, in order: reasoning, the built-in tool calls (web and file search, each
simulated before the answer), then the message or one ``function_call`` item per call. Streamed events and
whole objects are both built from it, so they agree.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from typing import Any

from fakeai.api.responses.items import new_id
from fakeai.api.responses.search import BuiltIn
from fakeai.content.text import Completion, derive_seed

_TITLES = (
    "Considering the request",
    "Planning the answer",
    "Weighing the options",
    "Working through the details",
    "Gathering the key points",
)
#: How many reasoning tokens a summary retells, per ``reasoning.summary``.
_SUMMARY_TOKENS = {"concise": 24, "auto": 48, "detailed": 96}


def summary_pieces(reasoning: list[str], style: str) -> list[str]:
    """A reasoning summary: a bold title, then the first sentences of the thoughts (no tokens are billed
    for it, as OpenAI's summaries are not). Deterministic in the thoughts, so seeded like them."""
    text = "".join(reasoning)
    title = _TITLES[derive_seed(text) % len(_TITLES)]
    body: list[str] = []
    for piece in reasoning:
        body.append(piece)
        if len(body) >= _SUMMARY_TOKENS[style] and piece in (".", "!", "?"):
            break
    if body:
        body[0] = body[0].lstrip()
    return [f"**{title}**\n\n", *body]


def encrypted(reasoning: list[str]) -> str:
    """An opaque ``encrypted_content`` (compressed thoughts; clients only pass it back)."""
    return "fakeai_" + base64.urlsafe_b64encode(zlib.compress("".join(reasoning).encode())).decode()


@dataclass(slots=True)
class Segment:
    """One output item: its kind and its tokens ``[start, end)`` of the sequence (reasoning then answer)."""

    kind: str  # "reasoning", "web_search_call", "file_search_call", "message", "refusal" or "function_call"
    id: str
    start: int
    end: int
    call: int = -1  # the index into ``Completion.calls`` of a function call, or into ``Layout.built_in``


@dataclass(slots=True)
class Layout:
    completion: Completion
    segments: list[Segment]
    summary: list[str] = field(default_factory=list)  # empty: no summary asked
    show_reasoning: bool = False  # reasoning_text content (vLLM-style models)
    encrypt: bool = False
    built_in: list[BuiltIn] = field(default_factory=list)  # the built-in tool calls, in output order

    @classmethod
    def of(
        cls,
        completion: Completion,
        *,
        summary: str | None,
        show_reasoning: bool,
        encrypt: bool,
        built_in: list[BuiltIn],
    ) -> Layout:
        reasoned = len(completion.reasoning)
        total = completion.output_tokens
        segments = []
        if reasoned:
            segments.append(Segment("reasoning", new_id("rs_"), 0, reasoned))
        for number, call in enumerate(built_in):
            segments.append(Segment(call.kind, new_id(call.prefix), reasoned, reasoned, number))
        kind = completion.kind
        if kind == "content" or kind == "refusal":
            if total > reasoned or not reasoned:
                segments.append(
                    Segment("message" if kind == "content" else "refusal", new_id("msg_"), reasoned, total)
                )
        else:
            for number, call in enumerate(completion.calls):
                end = min(reasoned + call.end, total)
                segments.append(Segment("function_call", new_id("fc_"), reasoned + call.start, end, number))
        pieces = summary_pieces(completion.reasoning, summary) if summary and reasoned else []
        return cls(completion, segments, pieces, show_reasoning, encrypt, built_in)

    def answer(self, segment: Segment, stop: int) -> list[str]:
        """The answer pieces of ``segment`` generated before token ``stop``."""
        reasoned = len(self.completion.reasoning)
        return self.completion.pieces[segment.start - reasoned : min(segment.end, stop) - reasoned]

    def item(
        self, segment: Segment, status: str, stop: int, logprobs: list[Any] | None = None
    ) -> dict[str, Any]:
        """The item of ``segment`` as far as token ``stop`` got (whole at ``stop >= segment.end``)."""
        kind = segment.kind
        if kind == "reasoning":
            return self.reasoning_item(segment, status, stop)
        if kind in ("web_search_call", "file_search_call"):
            return self.built_in[segment.call].item(segment.id)
        if kind == "function_call":
            call = self.completion.calls[segment.call]
            reasoned = len(self.completion.reasoning)
            names = reasoned + call.start + call.name_tokens
            arguments = "".join(self.completion.pieces[names - reasoned : min(segment.end, stop) - reasoned])
            return {
                "id": segment.id,
                "type": "function_call",
                "status": status,
                "call_id": call.id,
                "name": call.name,
                "arguments": arguments,
            }
        text = "".join(self.answer(segment, stop))
        return {
            "id": segment.id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": [self.part(segment, text, logprobs)],
        }

    def part(self, segment: Segment, text: str, logprobs: list[Any] | None = None) -> dict[str, Any]:
        if segment.kind == "refusal":
            return {"type": "refusal", "refusal": text}
        annotations = [a for call in self.built_in for a in call.annotations(text)]
        return {"type": "output_text", "text": text, "annotations": annotations, "logprobs": logprobs or []}

    def reasoning_item(self, segment: Segment, status: str, stop: int) -> dict[str, Any]:
        reasoning = self.completion.reasoning
        done = stop >= segment.end
        item: dict[str, Any] = {"id": segment.id, "type": "reasoning", "summary": []}
        if done and self.summary:
            item["summary"] = [{"type": "summary_text", "text": "".join(self.summary)}]
        if self.show_reasoning:
            item["content"] = [{"type": "reasoning_text", "text": "".join(reasoning[:stop])}] if stop else []
        if self.encrypt and done:
            item["encrypted_content"] = encrypted(reasoning)
        item["status"] = status
        return item

    def summary_through(self, stop: int) -> int:
        """How many summary pieces are out once the reasoning reached token ``stop`` (paced with it)."""
        reasoned = len(self.completion.reasoning)
        if not self.summary or not reasoned:
            return 0
        return len(self.summary) * min(stop, reasoned) // reasoned
