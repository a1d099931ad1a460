"""The endpoints a batch may target: one registry, one line per family.

A target turns one batch line's ``body`` (JSON bytes), its request id and the batch owner's
``Identity`` (the project whose stored objects a line may read, as Responses' do) into the response
body the live endpoint would return, through that family's own service and the same engine, at
background priority; it raises a ``FakeAIError`` exactly where the live endpoint would answer with an
error. A family joins batches by adding its URL and factory to ``TARGETS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatService
from fakeai.api.completions.protocol import CompletionRequest
from fakeai.api.completions.service import CompletionService
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import Identity
from fakeai.server.decode import decode_json
from fakeai.state import AppState

#: The engine priority of batch lines: behind every live request (engine/scheduler.py).
BATCH_PRIORITY = 1

LineRunner = Callable[[bytes, str, Identity], Awaitable[dict[str, Any]]]
TargetFactory = Callable[[AppState], LineRunner]


def _no_stream(stream: bool | None) -> None:
    if stream:
        raise InvalidRequestError(
            "Streaming is not supported in the Batch API: remove 'stream'.", param="stream"
        )


def _generation_target(service_type: Any, wire_type: type) -> TargetFactory:
    """A target for a text-generation family: decode the line as the live route does, then run its
    service at batch priority and fold the result into the non-streaming body."""

    def factory(state: AppState) -> LineRunner:
        service = service_type(state)

        async def run(body: bytes, request_id: str, identity: Identity) -> dict[str, Any]:
            request = decode_json(body, wire_type)
            _no_stream(request.stream)
            completion = await service.create(request, request_id, priority=BATCH_PRIORITY)
            return await completion.response()

        return run

    return factory


chat_target = _generation_target(ChatService, ChatCompletionRequest)
completions_target = _generation_target(CompletionService, CompletionRequest)


#: The usage ledger's kind (metrics/usage.py) of each target's lines, billed as batch usage.
LEDGER_KINDS = {"/v1/chat/completions": "completions", "/v1/completions": "completions",
                "/v1/responses": "completions", "/v1/embeddings": "embeddings"}  # fmt: skip

TARGETS: dict[str, TargetFactory] = {
    "/v1/chat/completions": chat_target,
    "/v1/completions": completions_target,
}
