"""HTTP for chat completions: decode, call the service, encode."""

from __future__ import annotations

import functools

from fakeai.api.chat.modes import MODE_HEADER
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatService
from fakeai.api.serving import serve_generation
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = ChatService(state)

    async def create(exchange: Exchange) -> Reply:
        # The header picks this request's response mode (api/chat/modes.py).
        create = functools.partial(
            service.create, response_mode=exchange.header(MODE_HEADER), identity=exchange.identity
        )
        return await serve_generation(exchange, state, "chat_completions", ChatCompletionRequest, create)

    return [Endpoint("POST", "/v1/chat/completions", create, limited=True)]
