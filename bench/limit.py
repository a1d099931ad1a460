"""The *limit*: the least a Python server on Granian's RSGI interface can do for an OpenAI chat request.

It parses the JSON body (as any server must), ignores the content and returns a canned ``chat.completion``
the size of FakeAI's; with ``"stream": true`` it sends canned ``chat.completion.chunk`` events, one
``asyncio.sleep`` per chunk, as a minimal app would pace them. ``make bench`` reports FakeAI as a ratio of
this. Pacing comes from the environment so the same module serves both runs:

    LIMIT_TTFT_MS=100 LIMIT_ITL_MS=20 python -m granian --interface rsgi --host 127.0.0.1 --port 8001 \\
        --loop uvloop bench.limit:app

``LIMIT_TTFT_MS`` (default 0) is the wait before the first token, ``LIMIT_ITL_MS`` (default 20) between
tokens.
"""

from __future__ import annotations

import asyncio
import os

import msgspec

TTFT_S = float(os.environ.get("LIMIT_TTFT_MS", "0")) / 1000
ITL_S = float(os.environ.get("LIMIT_ITL_MS", "20")) / 1000
PACING = os.environ.get("LIMIT_PACING", "sleep")

_decode = msgspec.json.Decoder()
_JSON = [("content-type", "application/json")]
_SSE = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
_NOT_FOUND = b'{"error":{"message":"not found","type":"invalid_request_error"}}'

# ~640 bytes, like FakeAI's reply to the benchmark's request, so both send the same amount.
_COMPLETION = (
    b'{"id":"chatcmpl-0123456789abcdef01234567","object":"chat.completion","created":1700000000,'
    b'"model":"gpt-4o-mini","system_fingerprint":"fp_0123456789","service_tier":"default","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"In a small team, everyone may need to take on more than one '
    b'role.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":14,'
    b'"completion_tokens":16,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},'
    b'"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,'
    b'"rejected_prediction_tokens":0}}}'
)
_CHUNK = (
    b'data: {"id":"chatcmpl-0123456789abcdef01234567","object":"chat.completion.chunk","created":1700000000,'
    b'"model":"gpt-4o-mini","system_fingerprint":"fp_0123456789","choices":[{"index":0,"delta":%s,'
    b'"logprobs":null,"finish_reason":%s}]}\n\n'
)
# The role-only chunk goes out with the first token, as FakeAI sends it (and as clients time TTFT).
_FIRST = _CHUNK % (b'{"role":"assistant","content":""}', b"null") + _CHUNK % (
    b'{"content":" Hello"}',
    b"null",
)
_TOKEN = _CHUNK % (b'{"content":" word"}', b"null")
_LAST = _CHUNK % (b"{}", b'"length"') + b"data: [DONE]\n\n"


async def app(scope, proto) -> None:  # type: ignore[no-untyped-def]
    if scope.proto != "http":
        return
    if scope.path == "/health":
        proto.response_bytes(200, _JSON, b'{"status":"ok"}')
        return
    if scope.method != "POST" or scope.path != "/v1/chat/completions":
        proto.response_bytes(404, _JSON, _NOT_FOUND)
        return
    request = _decode.decode(await proto())
    if not request.get("stream"):
        proto.response_bytes(200, _JSON, _COMPLETION)
        return
    tokens = max(1, int(request.get("max_tokens") or 16))
    transport = proto.response_stream(200, _SSE)
    await asyncio.sleep(TTFT_S)
    await transport.send_bytes(_FIRST)
    for _ in range(tokens - 1):
        # No catching up on deadlines either way: a late event loop shows as a longer ITL.
        await (_ticker.wait() if PACING == "tick" else asyncio.sleep(ITL_S))
        await transport.send_bytes(_TOKEN)
    await transport.send_bytes(_LAST)


class _Ticker:
    """One timer per ITL for all streams, as an engine steps its whole batch at once (``LIMIT_PACING=tick``).

    A timer per stream per token (``asyncio.sleep``) costs more than the send itself; one shared future per
    step is the cheapest pacing asyncio allows, so it is the fair ceiling for an engine-style server.
    """

    def __init__(self) -> None:
        self._next: asyncio.Future[None] | None = None

    def wait(self) -> asyncio.Future[None]:
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            loop.call_later(ITL_S, self._fire)
        return self._next

    def _fire(self) -> None:
        step, self._next = self._next, None
        if step is not None:
            step.set_result(None)


_ticker = _Ticker()
