"""HTTP for moderations: decode, call the service, encode."""

from __future__ import annotations

from fakeai.api.moderations.protocol import ModerationRequest
from fakeai.api.moderations.service import ModerationService
from fakeai.api.pooling import serve_json
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = ModerationService(state)

    async def create(exchange: Exchange) -> Reply:
        return await serve_json(exchange, state, "moderations", ModerationRequest, service.create)

    return [Endpoint("POST", "/v1/moderations", create)]
