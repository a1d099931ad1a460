"""Prefill-only engine work and the JSON-in, JSON-out HTTP shape, shared by the pooling families
(embeddings, moderations, ranking): each input is one engine sequence that costs its prefill and ends with
no token (``EngineRequest.prefill_only``), as vLLM runs its pooling models, so this load shows in the
engine's timing, queue and metrics like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fakeai.api.generation import submit
from fakeai.engine import EngineRequest, Wakeup
from fakeai.engine import Sequence as EngineSequence
from fakeai.errors import FakeAIError
from fakeai.security.identity import Identity
from fakeai.server.decode import decode_json
from fakeai.server.exchange import Answer, Exchange
from fakeai.state import AppState

T = TypeVar("T")
R = TypeVar("R")

#: Work above this many output floats (inputs x dimensions) runs in a worker thread, off the event loop:
#: about 2 ms of vector maths and encoding.
OFF_LOOP_FLOATS = 64_000
#: Text above this many characters is tokenized in a worker thread (about 2 ms of tokenizing): a 32 MiB
#: body would otherwise hold the loop for seconds.
INLINE_CHARS = 100_000


def text_chars(value: object) -> int:
    """Characters of the strings in a request's input (a string, or a list holding strings)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(len(v) for v in value if isinstance(v, str))
    return 0


@dataclass(slots=True)
class Pooled:
    """A pooling answer with the prompt tokens it billed: ``serve_json`` adds them to the usage ledger
    (the organization usage API) under ``kind``, and sends ``headers`` (the rate limit's) with it."""

    body: Any  # JSON-able, or the encoded bytes
    kind: str  # the ledger's kind: "embeddings", "moderations"
    model: str
    tokens: int
    headers: dict[str, str] | None = None


class Pooling:
    """The sequences of one pooling request on the engine, all waking one ``Wakeup``.

    With an ``identity``, the prompts' tokens are first taken from its rate limit for ``model`` (a
    refusal raises, and nothing is submitted); ``headers`` are then the rate limit's. Without one, the
    transport has counted the request (an ``Endpoint`` that is not ``limited``)."""

    def __init__(
        self,
        state: AppState,
        request_id: str,
        model: str,
        prompts: list[Sequence[int]],
        arrival: float,
        identity: Identity | None = None,
    ) -> None:
        limiter = state.limiter
        self.headers: dict[str, str] | None = None
        if limiter is not None and identity is not None:
            self.headers = limiter.admit(identity, model, sum(len(prompt) for prompt in prompts))
        self.engine = state.engine
        self.wakeup = Wakeup()
        requests = [
            EngineRequest(f"{request_id}-{i}", model, prompt, 0, "stop", 0, prefill_only=True)
            for i, prompt in enumerate(prompts)
        ]
        self.sequences: list[EngineSequence] = submit(self.engine, requests, self.wakeup, arrival)

    @property
    def cached_tokens(self) -> int:
        """Prompt tokens of all the inputs that the prefix cache served."""
        return sum(seq.cached_tokens for seq in self.sequences)

    async def wait(self) -> None:
        """Until every prefill is done; a request that fails or is cancelled frees its sequences."""
        try:
            while not all(seq.finished for seq in self.sequences):
                await self.wakeup.wait()
        finally:
            self.abort()

    def abort(self) -> None:
        """Free every unfinished sequence (an error, or the client went away)."""
        for seq in self.sequences:
            self.engine.abort(seq)


async def compute(inline: bool, work: Callable[[], R]) -> R:
    """Run CPU-bound ``work`` inline when small, else in a worker thread (the loop keeps serving)."""
    if inline:
        return work()
    return await asyncio.to_thread(work)


async def serve_json(
    exchange: Exchange,
    state: AppState,
    endpoint: str,
    wire_type: type[T],
    handle: Callable[[T, str, float], Awaitable[Any]],
) -> Answer:
    """Decode the body as ``wire_type``, answer with what ``handle(body, request_id, arrival)`` returns (a
    JSON-able object, the encoded bytes, or a ``Pooled`` to bill), and count the outcome once (Dynamo's
    ``requests_total``)."""
    arrival = state.engine.clock.now()
    model = "unknown"
    try:
        body = decode_json(await exchange.body(), wire_type)
        model = getattr(body, "model", None) or model
        result = await handle(body, exchange.request_id, arrival)
    except FakeAIError as exc:
        state.request_outcome(model, endpoint, False, exc.status)
        raise
    except Exception:
        state.request_outcome(model, endpoint, False, 500)
        raise
    state.request_outcome(model, endpoint, False, 200)
    headers = None
    if isinstance(result, Pooled):
        identity = exchange.identity
        state.usage.record(
            result.kind, identity.project, identity.key_id, result.model, input_tokens=result.tokens
        )
        result, headers = result.body, result.headers
    return (
        Answer(result, headers=headers) if isinstance(result, bytes) else Answer.json(result, headers=headers)
    )
