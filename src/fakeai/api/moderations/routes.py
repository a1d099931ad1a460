"""HTTP for moderations: decode, call the service, encode."""

from __future__ import annotations

import functools

from fakeai.api.moderations.protocol import ModerationRequest
from fakeai.api.moderations.service import ModerationService
from fakeai.api.pooling import serve_json
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = ModerationService(state)

    async def create(exchange: Exchange) -> Reply:
        handle = functools.partial(service.create, identity=exchange.identity)  # its tokens: rate limited
        return await serve_json(exchange, state, "moderations", ModerationRequest, handle)

    return [Endpoint("POST", "/v1/moderations", create, limited=True)]
