"""HTTP for embeddings: decode, call the service, encode (a hot ``Endpoint``: RSGI serves it natively)."""

from __future__ import annotations

from fakeai.api.embeddings.protocol import EmbeddingRequest
from fakeai.api.embeddings.service import EmbeddingService
from fakeai.api.pooling import serve_json
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = EmbeddingService(state)

    async def create(exchange: Exchange) -> Reply:
        return await serve_json(exchange, state, "embeddings", EmbeddingRequest, service.create)

    return [Endpoint("POST", "/v1/embeddings", create)]
