"""HTTP for chat completions: decode, call the service, encode."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.chat.modes import MODE_HEADER
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatService
from fakeai.api.serving import serve_generation
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    service = ChatService(state)

    async def create(request: Request) -> Response:
        # The header picks this request's response mode (api/chat/modes.py).
        create = functools.partial(service.create, response_mode=request.headers.get(MODE_HEADER))
        return await serve_generation(request, state, "chat_completions", ChatCompletionRequest, create)

    return [Route("/v1/chat/completions", create, methods=["POST"])]
