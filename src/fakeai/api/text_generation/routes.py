"""``POST /v1/text/generation``, the original FakeAI's Azure-style text API, kept for its users.

Request ``{input, model, max_output_tokens=100, temperature, top_p, stop, user}``; response ``{id,
created, output, usage, model}``. It is a legacy completion of ``input`` (the same service, engine run
and metrics as ``/v1/completions``), answered in that shape; it does not stream.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from msgspec import Meta, Struct

from fakeai.api.completions.protocol import CompletionRequest
from fakeai.api.completions.service import CompletionService, TextCompletion
from fakeai.api.generation import Run, StepFrames
from fakeai.api.params import Stop
from fakeai.api.serving import serve_generation
from fakeai.security.identity import Identity
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


class TextGenerationRequest(Struct, kw_only=True):
    input: str
    model: str
    max_output_tokens: Annotated[int, Meta(ge=1)] = 100
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    stop: Stop | None = None
    user: str | None = None
    stream: None = None  # never streams (serve_generation reads it)


class TextGeneration:
    """A completion answered in the text-generation shape."""

    def __init__(self, completion: TextCompletion) -> None:
        self.completion = completion
        self.run: Run = completion.run
        self.headers = completion.headers  # the rate limit's (completions' admission)

    @property
    def prompt_usage(self) -> tuple[int, int]:
        return self.completion.prompt_usage

    def frames(self) -> StepFrames:
        raise NotImplementedError("text generation does not stream")

    async def response(self) -> dict[str, Any]:
        body = await self.completion.response()
        usage = body["usage"]
        return {
            "id": body["id"].replace("cmpl-", "gen-", 1),
            "created": body["created"],
            "output": body["choices"][0]["text"],
            "usage": {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")},
            "model": body["model"],
        }


def endpoints(state: AppState) -> list[Endpoint]:
    service = CompletionService(state)

    async def create_generation(
        request: TextGenerationRequest, request_id: str, arrival: float, identity: Identity
    ) -> TextGeneration:
        completion = CompletionRequest(
            model=request.model,
            prompt=request.input,
            max_tokens=request.max_output_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            user=request.user,
        )
        return TextGeneration(await service.create(completion, request_id, arrival, identity=identity))

    async def create(exchange: Exchange) -> Reply:
        make = functools.partial(create_generation, identity=exchange.identity)
        return await serve_generation(exchange, state, "text_generation", TextGenerationRequest, make)

    return [Endpoint("POST", "/v1/text/generation", create, limited=True)]
