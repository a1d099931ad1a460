"""HTTP for legacy completions: decode, call the service, encode."""

from __future__ import annotations

import functools

from fakeai.api.completions.protocol import CompletionRequest
from fakeai.api.completions.service import CompletionService
from fakeai.api.serving import serve_generation
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = CompletionService(state)

    async def create(exchange: Exchange) -> Reply:
        create = functools.partial(service.create, identity=exchange.identity)
        return await serve_generation(exchange, state, "completions", CompletionRequest, create)

    return [Endpoint("POST", "/v1/completions", create, limited=True)]
