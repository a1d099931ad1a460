"""HTTP for batches (Starlette routes: not hot paths)."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.batches.service import Batches
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.query import list_query
from fakeai.server.responses import json_response
from fakeai.state import AppState


class ExpiresAfter(msgspec.Struct, forbid_unknown_fields=True):
    anchor: str
    seconds: int


class CreateBatch(msgspec.Struct, forbid_unknown_fields=True):
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None = None
    output_expires_after: ExpiresAfter | None = None


def routes(state: AppState) -> list[Route]:
    batches = Batches(state)

    def project(request: Request):  # type: ignore[no-untyped-def]
        return state.store.project(identity_of(request.scope).project)

    async def create(request: Request) -> Response:
        body = decode_json(await request.body(), CreateBatch)
        batch = await batches.create(
            project(request),
            api_key_id=identity_of(request.scope).key_id,
            input_file_id=body.input_file_id,
            endpoint=body.endpoint,
            completion_window=body.completion_window,
            metadata=body.metadata,
            output_expires_after=msgspec.to_builtins(body.output_expires_after)
            if body.output_expires_after
            else None,
        )
        return json_response(batch)

    async def list_batches(request: Request) -> Response:
        query = list_query(request.query_params)
        page = await batches.list(project(request), after=query.after, limit=query.limit)
        return json_response(page.to_openai())

    async def retrieve(request: Request) -> Response:
        return json_response(await batches.get(project(request), request.path_params["id"]))

    async def cancel(request: Request) -> Response:
        return json_response(await batches.cancel(project(request), request.path_params["id"]))

    return [
        Route("/v1/batches", create, methods=["POST"]),
        Route("/v1/batches", list_batches, methods=["GET"]),
        Route("/v1/batches/{id}", retrieve, methods=["GET"]),
        Route("/v1/batches/{id}/cancel", cancel, methods=["POST"]),
    ]
