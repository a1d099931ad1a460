"""A choice's completion on the wire: the ``message`` of a response, or the deltas of a stream.

Content and refusals stream one piece (token) per chunk. A tool call streams as OpenAI's do: a first
delta with ``index``, ``id``, ``type``, ``function.name`` and ``arguments: ""`` when the call's first
token leaves, nothing more for the rest of its name tokens, then one delta per argument token.
"""

from __future__ import annotations

import msgspec

from fakeai.api.chat.stream import ChunkWriter
from fakeai.content.logprobs import LogprobSampler
from fakeai.content.text import Completion

_encode = msgspec.json.encode


def message(completion: Completion) -> dict[str, object]:
    """The assistant ``message`` of a finished (or ``max_tokens``-cut) choice."""
    result: dict[str, object] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    kind, pieces = completion.kind, completion.pieces
    if kind == "content":
        result["content"] = completion.text
    elif kind == "refusal":
        result["refusal"] = completion.text
    elif kind == "tool_calls":
        result["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_within(pieces)},
            }
            for call in completion.calls
        ]
    else:
        (call,) = completion.calls
        result["function_call"] = {"name": call.name, "arguments": call.arguments_within(pieces)}
    return result


def choice_logprobs(completion: Completion, sampler: LogprobSampler) -> dict[str, object]:
    """A choice's ``logprobs``: one entry per content token. Refusals and tool calls carry none (their
    streamed deltas neither), so the two stay in agreement."""
    if completion.kind != "content":
        return {"content": None, "refusal": None}
    return {"content": [sampler.token(piece) for piece in completion.pieces], "refusal": None}


class DeltaFrames:
    """Turns each choice's newly emitted pieces into chunk frames; remembers how far each choice got."""

    def __init__(self, writer: ChunkWriter, completions: list[Completion]) -> None:
        self.writer = writer
        self.completions = completions
        self.sent = [0] * len(completions)

    def role(self, index: int, usage: dict[str, object] | None) -> bytes:
        kind = self.completions[index].kind
        if kind == "content":
            return self.writer.role(index, usage)
        delta = b'{"role":"assistant","content":null' + (b',"refusal":""}' if kind == "refusal" else b"}")
        return self.writer.delta(index, delta, usage)

    def piece(
        self,
        index: int,
        piece: str,
        usage: dict[str, object] | None,
        sampler: LogprobSampler | None = None,
    ) -> bytes | None:
        """The frame of the choice's next answer piece (None for a tool name's later tokens)."""
        completion = self.completions[index]
        position = self.sent[index]
        self.sent[index] = position + 1
        kind = completion.kind
        if kind == "content":
            return self.writer.content(index, piece, usage, None if sampler is None else sampler.token(piece))
        if kind == "refusal":
            return self.writer.delta(index, b'{"refusal":' + _encode(piece) + b"}", usage)
        # The calls cover every piece, in order, by construction (content/tools.py: plan_calls).
        number, call = next((n, c) for n, c in enumerate(completion.calls) if c.start <= position < c.end)
        if position == call.start:
            head: dict[str, object] = {"name": call.name, "arguments": ""}
            if kind == "function_call":
                return self.writer.delta(index, b'{"function_call":' + _encode(head) + b"}", usage)
            entry = {"index": number, "id": call.id, "type": "function", "function": head}
            return self.writer.delta(index, b'{"tool_calls":[' + _encode(entry) + b"]}", usage)
        if position < call.start + call.name_tokens:
            return None
        arguments = b'{"arguments":' + _encode(piece) + b"}"
        if kind == "function_call":
            return self.writer.delta(index, b'{"function_call":' + arguments + b"}", usage)
        return self.writer.delta(
            index,
            b'{"tool_calls":[{"index":' + str(number).encode() + b',"function":' + arguments + b"}]}",
            usage,
        )
