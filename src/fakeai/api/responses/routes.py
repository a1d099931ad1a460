"""HTTP for the Responses API. ``POST /v1/responses`` is a framework-free ``Endpoint`` (the RSGI front
serves it natively, as chat); the stored-response routes are Starlette routes."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.api.chat.modes import MODE_HEADER
from fakeai.api.responses.background import Background, replay
from fakeai.api.responses.protocol import CreateResponseRequest, InputTokensRequest
from fakeai.api.responses.records import Records
from fakeai.api.responses.service import ResponseGeneration, ResponsesService
from fakeai.api.serving import bill, serve_generation
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.exchange import SSE_HEADERS, Answer, Endpoint, EventStream, Exchange, Reply
from fakeai.server.responses import json_response
from fakeai.server.sse import guarded
from fakeai.state import AppState
from fakeai.store.base import page_of

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
            if body.background:
                billing = functools.partial(bill, state, exchange.identity, body.model, generation)
                return await _background(responses, generation, bool(body.stream), billing)
            made.append(generation)
            return generation

        def on_error(exc: Exception) -> tuple[bytes, int]:
            return made[0].error_frame(exc)

        return await serve_generation(exchange, state, ENDPOINT, CreateResponseRequest, start, on_error)

    return [Endpoint("POST", "/v1/responses", create, limited=True)]


async def _background(
    responses: ResponsesService, generation: ResponseGeneration, stream: bool, billing: Callable[[], None]
) -> Reply:
    """Start a background response: its queued object now, or (``stream``) its events as they come; a
    client that goes away leaves it running. ``billing`` records its usage once, when the job ends."""
    assert generation.records is not None  # background needs store (checked in the service)
    job = Background(generation, generation.records, responses.state.jobs, billing)
    responses.running[job.id] = job
    job.ended = lambda: responses.running.pop(job.id, None)
    queued = await job.start()
    if stream:
        return EventStream(guarded(job.stream(-1), _ignore), headers=generation.headers)
    return Answer.json(queued, headers=generation.headers)


def _ignore(status: int) -> None:
    """A background stream's end changes nothing: the job runs (and counts) on its own."""


def routes(state: AppState) -> list[Route]:
    responses = service(state)

    def records(request: Request) -> Records:
        return responses.records(identity_of(request.scope))

    async def retrieve(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        query = request.query_params
        job = responses.running.get(response_id)
        if query.get("stream", "false").lower() == "true":
            after = _int(query.get("starting_after"), "starting_after", -1)
            if job is not None:
                return _sse(job.stream(after))
            record = await records(request).get(response_id)
            if not record["response"].get("background"):
                raise InvalidRequestError(
                    "Only responses created with 'background': true can be streamed again.", param="stream"
                )
            return _sse(replay(records(request), response_id, after))
        if job is not None:
            return json_response(job.snapshot())
        return json_response((await records(request).get(response_id))["response"])

    async def delete(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        job = responses.running.get(response_id)
        if job is not None:
            job.cancel()
            await _settled(job)
        await records(request).delete(response_id)
        return Response(status_code=200)  # the spec documents no body (the SDKs return None)

    async def cancel(request: Request) -> Response:
        response_id = request.path_params["response_id"]
        job = responses.running.get(response_id)
        if job is not None:
            job.cancel()
            await _settled(job)
            return json_response(job.snapshot())
        response = (await records(request).get(response_id))["response"]
        if not response.get("background"):
            raise InvalidRequestError(
                "Only responses created with 'background': true can be cancelled.", param="response_id"
            )
        return json_response(response)  # already ended: cancelling again returns it as it is

    async def input_items(request: Request) -> Response:
        store = records(request)
        record = await store.get(request.path_params["response_id"])
        previous = record.get("previous_response_id")
        items = [*(await store.history(previous) if previous else []), *record["input"]]
        query = request.query_params
        limit = _int(query.get("limit"), "limit", 20)
        if not 1 <= limit <= 100:
            raise InvalidRequestError(
                f"Invalid 'limit': expected a value between 1 and 100, but got {limit} instead.",
                param="limit",
                code="invalid_value",
            )
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidRequestError(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
                param="order",
                code="invalid_value",
            )
        if order == "desc":
            items.reverse()
        return json_response(page_of(items, query.get("after"), None, limit, None).to_openai())

    async def input_tokens(request: Request) -> Response:
        body = decode_json(await request.body(), InputTokensRequest)
        count = await responses.count(body, identity_of(request.scope))
        return json_response({"object": "response.input_tokens", "input_tokens": count})

    return [
        Route("/v1/responses/input_tokens", input_tokens, methods=["POST"]),
        Route("/v1/responses/{response_id}", retrieve, methods=["GET"]),
        Route("/v1/responses/{response_id}", delete, methods=["DELETE"]),
        Route("/v1/responses/{response_id}/cancel", cancel, methods=["POST"]),
        Route("/v1/responses/{response_id}/input_items", input_items, methods=["GET"]),
    ]


async def _settled(job: Background) -> None:
    """Until the job has ended and stored its end (its outcome is in its status; nothing is raised)."""
    await job.jobs.wait(f"response:{job.id}")


def _sse(events: AsyncIterator[bytes]) -> Response:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)


def _int(value: str | None, param: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidRequestError(
            f"Invalid type for '{param}': expected an integer, but got a string instead.",
            param=param,
            code="invalid_type",
        ) from None
