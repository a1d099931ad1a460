"""``chat.completion.chunk`` events as bytes, from templates built once per request.

A content chunk is the request's constant prefix, the choice index, the JSON-escaped text and a constant
suffix: no dict, no model object and no full JSON encode per token.
"""

from __future__ import annotations

import msgspec

from fakeai.content.logprobs import TokenLogprob

_encode = msgspec.json.encode


class ChunkWriter:
    def __init__(
        self,
        *,
        completion_id: str,
        created: int,
        model: str,
        fingerprint: str,
        include_usage: bool,
        continuous_usage: bool,
    ) -> None:
        self._head = (
            b'data: {"id":' + _encode(completion_id) + b',"object":"chat.completion.chunk","created":'
            + str(created).encode() + b',"model":' + _encode(model)
            + b',"system_fingerprint":' + _encode(fingerprint) + b',"choices":['
        )  # fmt: skip
        self.include_usage = include_usage
        self.continuous_usage = include_usage and continuous_usage
        self._null_usage = b',"usage":null}\n\n' if include_usage else b"}\n\n"
        self._content: dict[int, tuple[bytes, bytes]] = {}  # per choice: what surrounds a content text

    def _tail(self, usage: dict[str, object] | None) -> bytes:
        if self.continuous_usage and usage is not None:
            return b',"usage":' + _encode(usage) + b"}\n\n"
        return self._null_usage

    def role(self, index: int, usage: dict[str, object] | None = None) -> bytes:
        return (
            self._head + b'{"index":' + str(index).encode()
            + b',"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,'
            b'"finish_reason":null}]' + self._tail(usage)
        )  # fmt: skip

    def content(
        self,
        index: int,
        text: str,
        usage: dict[str, object] | None = None,
        logprobs: TokenLogprob | None = None,
    ) -> bytes:
        """One token's content delta; with ``logprobs``, that token's entry (msgspec encodes the struct)."""
        lp = b"null" if logprobs is None else b'{"content":[' + _encode(logprobs) + b'],"refusal":null}'
        return (
            self._head + b'{"index":' + str(index).encode() + b',"delta":{"content":' + _encode(text)
            + b'},"logprobs":' + lp + b',"finish_reason":null}]' + self._tail(usage)
        )  # fmt: skip

    def contents(self, index: int, pieces: list[str], start: int, stop: int) -> bytes:
        """The content chunks of ``pieces[start:stop]``, one per token, without logprobs or running usage
        (bytes equal to ``content`` for each): the streaming hot path, two concatenations per token."""
        affixes = self._content.get(index)
        if affixes is None:
            affixes = self._content[index] = (
                self._head + b'{"index":' + str(index).encode() + b',"delta":{"content":',
                b'},"logprobs":null,"finish_reason":null}]' + self._null_usage,
            )
        prefix, suffix = affixes
        if stop - start == 1:
            return prefix + _encode(pieces[start]) + suffix
        return b"".join([prefix + _encode(piece) + suffix for piece in pieces[start:stop]])

    def reasoning(self, index: int, text: str, usage: dict[str, object] | None = None) -> bytes:
        """One reasoning token, as vLLM streams it before the answer: ``delta.reasoning_content``."""
        return (
            self._head + b'{"index":' + str(index).encode() + b',"delta":{"reasoning_content":'
            + _encode(text) + b'},"logprobs":null,"finish_reason":null}]' + self._tail(usage)
        )  # fmt: skip

    def delta(self, index: int, delta: bytes, usage: dict[str, object] | None = None) -> bytes:
        """A chunk whose ``delta`` is the given JSON object (tool calls, refusals: see chat/message.py)."""
        return (
            self._head + b'{"index":' + str(index).encode() + b',"delta":' + delta
            + b',"logprobs":null,"finish_reason":null}]' + self._tail(usage)
        )  # fmt: skip

    def finish(self, index: int, reason: str, usage: dict[str, object] | None = None) -> bytes:
        return (
            self._head + b'{"index":' + str(index).encode() + b',"delta":{},"logprobs":null,'
            b'"finish_reason":' + _encode(reason) + b"}]" + self._tail(usage)
        )  # fmt: skip

    def usage(self, usage: dict[str, object]) -> bytes:
        """The final chunk of ``include_usage``: no choices, the request's usage."""
        return self._head + b'],"usage":' + _encode(usage) + b"}\n\n"
