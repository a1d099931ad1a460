"""HTTP for chat completions: decode, call the service, encode."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatService
from fakeai.server.decode import decode_json
from fakeai.server.disconnect import unless_disconnected
from fakeai.server.responses import json_response
from fakeai.server.sse import sse_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    service = ChatService(state)

    async def create(request: Request) -> Response:
        arrival = state.engine.clock.now()  # TTFT counts from here, as the client's does
        body = decode_json(await request.body(), ChatCompletionRequest)
        completion = await service.create(body, request.state.request_id, arrival)
        if body.stream:
            return sse_response(completion.events(), completion.run.abort)
        return await unless_disconnected(request, completion.response(), completion.run.abort, json_response)

    return [Route("/v1/chat/completions", create, methods=["POST"])]
