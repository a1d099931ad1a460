"""HTTP for vLLM's own endpoints that benchmark clients probe: ``/tokenize``, ``/detokenize`` (POST, as
vLLM serves them) and ``/reset_prefix_cache`` (POST: drop every cached prefix block not in use)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.vllm.protocol import DetokenizeRequest, TokenizeRequest
from fakeai.api.vllm.service import TokenizerService
from fakeai.server.decode import decode_json
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    service = TokenizerService(state)

    async def tokenize(request: Request) -> Response:
        return json_response(await service.tokenize(decode_json(await request.body(), TokenizeRequest)))

    async def detokenize(request: Request) -> Response:
        return json_response(await service.detokenize(decode_json(await request.body(), DetokenizeRequest)))

    async def reset_prefix_cache(request: Request) -> Response:
        state.engine.reset_prefix_cache()
        return Response(status_code=200)

    return [
        Route("/tokenize", tokenize, methods=["POST"]),
        Route("/detokenize", detokenize, methods=["POST"]),
        Route("/reset_prefix_cache", reset_prefix_cache, methods=["POST"]),
    ]
