"""HTTP for embeddings: decode, call the service, encode (a hot ``Endpoint``: RSGI serves it natively)."""

from __future__ import annotations

import functools

from fakeai.api.embeddings.protocol import EmbeddingRequest
from fakeai.api.embeddings.service import EmbeddingService
from fakeai.api.pooling import serve_json
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = EmbeddingService(state)

    async def create(exchange: Exchange) -> Reply:
        handle = functools.partial(service.create, identity=exchange.identity)  # its tokens: rate limited
        return await serve_json(exchange, state, "embeddings", EmbeddingRequest, handle)

    return [Endpoint("POST", "/v1/embeddings", create, limited=True)]
