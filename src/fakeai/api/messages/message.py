"""A message on the wire: its content blocks, whole or as Anthropic's stream of events.

A completion's tokens are laid out as blocks, in the order the engine generates them: a ``thinking``
block (its reasoning tokens), then either one ``text`` block or one ``tool_use`` block per call (a call's
name tokens, then its argument tokens, as content/tools.py plans them). The stream opens each block when
its first token leaves and closes it after its last: ``content_block_start``, one ``content_block_delta``
per token (``text_delta``, ``thinking_delta``, ``input_json_delta``; a tool's name tokens send nothing,
its name is in the start event), a ``signature_delta`` closing a thinking block, ``content_block_stop``.
``message_start`` goes out with the first token, when the prompt's cache usage is known.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string

import msgspec

from fakeai.api.generation import Run
from fakeai.api.layout import Block, blocks
from fakeai.api.messages.cache import CacheUsage, MessagesPrompt, cache_usage
from fakeai.content.text import Completion, truncate_at_stop
from fakeai.content.tools import PlannedCall

_encode = msgspec.json.encode
_BASE62 = string.ascii_letters + string.digits


def message_id() -> str:
    """``msg_01`` and 22 letters or digits, as Anthropic's ids look."""
    return "msg_01" + "".join(secrets.choice(_BASE62) for _ in range(22))


def tool_use_id(call: PlannedCall) -> str:
    """``toolu_01`` and the call's own seeded letters (``call_`` ids are 24 of them)."""
    return "toolu_01" + call.id.removeprefix("call_")[:22]


def signature(thinking: str) -> str:
    """An opaque signature of a thinking block, stable for the same thoughts."""
    return base64.b64encode(b"\x12" + hashlib.blake2b(thinking.encode(), digest_size=63).digest()).decode()


def cut_at_stop(completion: Completion, stop_sequences: list[str] | None) -> str | None:
    """Cut a text completion before the earliest of ``stop_sequences``; the sequence that matched, or None."""
    if not stop_sequences or completion.kind != "content":
        return None
    text = completion.text
    found = [(position, s) for s in stop_sequences if s and (position := text.find(s)) >= 0]
    if not found:
        return None
    position, sequence = min(found)
    completion.pieces = truncate_at_stop(completion.pieces, [sequence]) or []
    completion.finish_reason = "stop"
    return sequence


class MessageRun:
    """One accepted message running on the engine."""

    def __init__(
        self,
        model: str,
        run: Run,
        prompt: MessagesPrompt,
        stop_sequence: str | None,
        block_size: int,
        omit_thinking: bool = False,
    ) -> None:
        self.model = model
        self.run = run
        self.prompt = prompt
        self.stop_sequence = stop_sequence
        self.block_size = block_size
        self.omit_thinking = omit_thinking
        self.id = message_id()
        self.completion = run.completions[0]
        self.blocks = blocks(self.completion)
        #: The rate limit's ``anthropic-ratelimit-*`` headers, when keys are configured.
        self.headers: dict[str, str] | None = None

    @property
    def prompt_usage(self) -> tuple[int, int]:
        """(prompt tokens, of which audio), for the usage ledger (api/serving.py)."""
        return self.prompt.total, 0

    def cache(self) -> CacheUsage:
        """Known once the engine has scheduled the prompt (its prefix-cache hits)."""
        return cache_usage(self.prompt, self.run.cached_tokens, self.block_size)

    def usage(self, output_tokens: int) -> dict[str, object]:
        thought = min(len(self.completion.reasoning), output_tokens)
        usage = {**self.cache().fields(), "output_tokens": output_tokens, "service_tier": "standard"}
        if self.completion.reasoning:
            usage["output_tokens_details"] = {"thinking_tokens": thought}
        return usage

    @property
    def stop_reason(self) -> str:
        completion = self.completion
        if completion.finish_reason == "length":
            return "max_tokens"
        if completion.kind == "tool_calls":
            return "tool_use"
        if completion.kind == "refusal":
            return "refusal"
        return "stop_sequence" if self.stop_sequence is not None else "end_turn"

    def thinking_text(self) -> str:
        return "".join(self.completion.reasoning)

    def content(self, block: Block) -> dict[str, object]:
        completion = self.completion
        if block.kind == "thinking":
            thinking = self.thinking_text()
            return {"type": "thinking", "thinking": "" if self.omit_thinking else thinking,
                    "signature": signature(thinking)}  # fmt: skip
        if block.kind == "text":
            return {"type": "text", "text": completion.text}
        call = block.call
        assert call is not None
        try:
            arguments = json.loads(call.arguments_within(completion.pieces))
        except ValueError:  # cut by max_tokens midway
            arguments = {}
        return {"type": "tool_use", "id": tool_use_id(call), "name": call.name, "input": arguments}

    def envelope(
        self, content: list[object], stop_reason: str | None, output_tokens: int
    ) -> dict[str, object]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": self.stop_sequence if stop_reason else None,
            "usage": self.usage(output_tokens),
        }

    async def response(self) -> dict[str, object]:
        """The non-streaming ``message``: the same engine run, folded into one object."""
        try:
            await self.run.wait()
        finally:
            self.run.abort()
        content: list[object] = [self.content(block) for block in self.blocks]
        return self.envelope(content, self.stop_reason, self.completion.output_tokens)

    def frames(self) -> MessageFrames:
        return MessageFrames(self)


def event(name: bytes, payload: object) -> bytes:
    return b"event: " + name + b"\ndata: " + _encode(payload) + b"\n\n"


PING = b'event: ping\ndata: {"type":"ping"}\n\n'
MESSAGE_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


class MessageFrames:
    """A message's stream one engine step at a time (see ``StepFrames``)."""

    def __init__(self, message: MessageRun) -> None:
        self.message = message
        self.started = False
        self.pinged = False
        self.next = 0  # the block the next token belongs to

    def step(self) -> bytes:
        frames: list[bytes] = []
        message = self.message
        for _, start, stop, finished in message.run.news():
            if not self.started:
                self.started = True
                frames.append(event(b"message_start", {
                    "type": "message_start", "message": message.envelope([], None, min(stop, 1)),
                }))  # fmt: skip
            self._tokens(start, stop, frames)
            if finished:
                frames.append(event(b"message_delta", {
                    "type": "message_delta",
                    "delta": {"stop_reason": message.stop_reason, "stop_sequence": message.stop_sequence},
                    "usage": message.usage(stop),
                }))  # fmt: skip
                frames.append(MESSAGE_STOP)
        return b"".join(frames)

    def tail(self) -> bytes:
        return b""

    def _tokens(self, start: int, stop: int, frames: list[bytes]) -> None:
        blocks = self.message.blocks
        position = start
        while position < stop and self.next < len(blocks):
            block = blocks[self.next]
            if position >= block.end:  # an empty block (a call cut to nothing) or one already closed
                self.next += 1
                continue
            if position == block.begin:
                frames.append(self._start(block))
            end = min(stop, block.end)
            self._deltas(block, position, end, frames)
            position = end
            if end == block.end:
                frames.append(self._stop(block))
                self.next += 1

    def _start(self, block: Block) -> bytes:
        index = self.next
        if block.kind == "thinking":
            content: dict[str, object] = {"type": "thinking", "thinking": "", "signature": ""}
        elif block.kind == "text":
            content = {"type": "text", "text": ""}
        else:
            call = block.call
            assert call is not None
            content = {"type": "tool_use", "id": tool_use_id(call), "name": call.name, "input": {}}
        frame = event(b"content_block_start", {"type": "content_block_start", "index": index,
                                                "content_block": content})  # fmt: skip
        if not self.pinged:
            self.pinged = True
            frame += PING
        return frame

    def _deltas(self, block: Block, start: int, stop: int, frames: list[bytes]) -> None:
        completion = self.message.completion
        reasoned = len(completion.reasoning)
        head = (
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
            + str(self.next).encode()
        )
        if block.kind == "thinking":
            if self.message.omit_thinking:
                return
            prefix, pieces, offset = (
                head + b',"delta":{"type":"thinking_delta","thinking":',
                completion.reasoning,
                0,
            )
        elif block.kind == "text":
            prefix, pieces, offset = (
                head + b',"delta":{"type":"text_delta","text":',
                completion.pieces,
                reasoned,
            )
        else:
            call = block.call
            assert call is not None
            start = max(start, reasoned + call.start + call.name_tokens)  # the name is in the start event
            prefix, pieces, offset = (
                head + b',"delta":{"type":"input_json_delta","partial_json":',
                completion.pieces,
                reasoned,
            )
        frames.extend(prefix + _encode(p) + b"}}\n\n" for p in pieces[start - offset : stop - offset] if p)

    def _stop(self, block: Block) -> bytes:
        index = str(self.next).encode()
        frame = b""
        if block.kind == "thinking":
            sig = signature(self.message.thinking_text())
            delta = {"type": "signature_delta", "signature": sig}
            frame = event(
                b"content_block_delta", {"type": "content_block_delta", "index": self.next, "delta": delta}
            )
        return (
            frame
            + b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
            + index
            + b"}\n\n"
        )
