"""HTTP for the Responses API. ``POST /v1/responses`` is a framework-free ``Endpoint`` (the RSGI front
serves it natively, as chat); the stored-response routes are Starlette routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.chat.modes import MODE_HEADER
from fakeai.api.responses.protocol import CreateResponseRequest
from fakeai.api.responses.service import ResponseGeneration, ResponsesService
from fakeai.api.serving import serve_generation
from fakeai.security.identity import identity_of
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.server.responses import json_response
from fakeai.state import AppState

ENDPOINT = "responses"  # Dynamo's endpoint label


def service(state: AppState) -> ResponsesService:
    """The app's one Responses service, shared by the Endpoint and the routes."""
    found = state.services.get(ENDPOINT)
    if found is None:
        found = state.services[ENDPOINT] = ResponsesService(state)
    return found


def endpoints(state: AppState) -> list[Endpoint]:
    responses = service(state)

    async def create(exchange: Exchange) -> Reply:
        made: list[ResponseGeneration] = []
        mode = exchange.header(MODE_HEADER)

        async def start(body: CreateResponseRequest, request_id: str, arrival: float) -> Any:
            generation = await responses.create(body, request_id, arrival, exchange.identity, mode)
            made.append(generation)
            return generation

        def on_error(exc: Exception) -> tuple[bytes, int]:
            return made[0].error_frame(exc)

        return await serve_generation(exchange, state, ENDPOINT, CreateResponseRequest, start, on_error)

    return [Endpoint("POST", "/v1/responses", create)]


def routes(state: AppState) -> list[Route]:
    responses = service(state)

    async def retrieve(request: Request) -> Response:
        records = responses.records(identity_of(request.scope))
        record = await records.get(request.path_params["response_id"])
        return json_response(record["response"])

    async def delete(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        await responses.records(identity_of(request.scope)).delete(response_id)
        return json_response({"id": response_id, "object": "response.deleted", "deleted": True})

    return [
        Route("/v1/responses/{response_id}", retrieve, methods=["GET"]),
        Route("/v1/responses/{response_id}", delete, methods=["DELETE"]),
    ]
