"""HTTP for fine-tuning jobs (Starlette routes: not hot paths)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.fine_tuning.service import FineTuning
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.query import list_query
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    service = FineTuning(state)

    def project(request: Request):  # type: ignore[no-untyped-def]
        return state.store.project(identity_of(request.scope).project)

    def job_id(request: Request) -> str:
        return request.path_params["id"]

    async def create(request: Request) -> Response:
        body = decode_json(await request.body(), dict[str, Any])
        return json_response(await service.create(project(request), body))

    async def list_jobs(request: Request) -> Response:
        query = list_query(request.query_params)
        metadata = {
            key[len("metadata[") : -1]: value
            for key, value in request.query_params.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        page = await service.list(project(request), after=query.after, limit=query.limit, metadata=metadata)
        return json_response({"object": "list", "data": page.data, "has_more": page.has_more})

    async def retrieve(request: Request) -> Response:
        return json_response(await service.get(project(request), job_id(request)))

    async def cancel(request: Request) -> Response:
        return json_response(await service.cancel(project(request), job_id(request)))

    async def pause(request: Request) -> Response:
        return json_response(await service.pause(project(request), job_id(request), True))

    async def resume(request: Request) -> Response:
        return json_response(await service.pause(project(request), job_id(request), False))

    async def events(request: Request) -> Response:
        query = list_query(request.query_params)
        page = await service.events(project(request), job_id(request), after=query.after, limit=query.limit)
        return json_response({"object": "list", "data": page.data, "has_more": page.has_more})

    async def checkpoints(request: Request) -> Response:
        query = list_query(request.query_params, default_limit=10)
        page = await service.checkpoints(
            project(request), job_id(request), after=query.after, limit=query.limit
        )
        return json_response(page.to_openai())

    base = "/v1/fine_tuning/jobs/{id}"
    return [
        Route("/v1/fine_tuning/jobs", create, methods=["POST"]),
        Route("/v1/fine_tuning/jobs", list_jobs, methods=["GET"]),
        Route(base, retrieve, methods=["GET"]),
        Route(f"{base}/cancel", cancel, methods=["POST"]),
        Route(f"{base}/pause", pause, methods=["POST"]),
        Route(f"{base}/resume", resume, methods=["POST"]),
        Route(f"{base}/events", events, methods=["GET"]),
        Route(f"{base}/checkpoints", checkpoints, methods=["GET"]),
    ]
