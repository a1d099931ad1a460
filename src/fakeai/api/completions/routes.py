"""HTTP for legacy completions: decode, call the service, encode."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.completions.protocol import CompletionRequest
from fakeai.api.completions.service import CompletionService
from fakeai.api.serving import serve_generation
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    service = CompletionService(state)

    async def create(request: Request) -> Response:
        return await serve_generation(request, state, "completions", CompletionRequest, service.create)

    return [Route("/v1/completions", create, methods=["POST"])]
