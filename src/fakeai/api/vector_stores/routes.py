"""HTTP for vector stores, their files, file batches and search (Starlette routes: not hot paths)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.files.service import public
from fakeai.api.vector_stores.batches import FileBatches
from fakeai.api.vector_stores.chunking import strategy
from fakeai.api.vector_stores.search import vector_stores
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.query import list_query
from fakeai.server.responses import json_response
from fakeai.state import AppState
from fakeai.store import Page
from fakeai.store.base import Json

#: The SDK's *_and_poll helpers wait this long between polls of an object still in progress.
POLL_AFTER_MS = "50"
_OPTIONAL = ("description", "expires_after")


def store_view(vs: Json) -> Json:
    """The spec has no null for these: absent instead."""
    return {k: v for k, v in public(vs).items() if not (k in _OPTIONAL and v is None)}


def page_json(page: Page, view=public) -> Json:  # type: ignore[no-untyped-def]
    return Page([view(item) for item in page.data], page.has_more).to_openai()


def polled(obj: Json) -> Response:
    headers = {"openai-poll-after-ms": POLL_AFTER_MS} if obj.get("status") == "in_progress" else None
    return json_response(obj, headers=headers)


def _typed(body: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
        raise InvalidRequestError(
            f"Invalid type for '{name}': expected {what}.", param=name, code="invalid_type"
        )
    return value


def routes(state: AppState) -> list[Route]:
    stores, searcher = vector_stores(state)
    batches = FileBatches(stores)

    def project(request: Request):  # type: ignore[no-untyped-def]
        return state.store.project(identity_of(request.scope).project)

    async def body_of(request: Request) -> dict[str, Any]:
        return decode_json(await request.body(), dict[str, Any])

    def paging(request: Request) -> dict[str, Any]:
        q = list_query(request.query_params)
        return {"limit": q.limit, "order": q.order, "after": q.after, "before": q.before}

    def vs_id(request: Request) -> str:
        return request.path_params["vs"]

    async def create(request: Request) -> Response:
        body = await body_of(request)
        _typed(body, "name", str, "a string")
        _typed(body, "file_ids", list, "an array of file ids")
        return json_response(store_view(await stores.create(project(request), body)))

    async def list_stores(request: Request) -> Response:
        return json_response(page_json(await stores.list(project(request), **paging(request)), store_view))

    async def retrieve(request: Request) -> Response:
        return json_response(store_view(await stores.get(project(request), vs_id(request))))

    async def modify(request: Request) -> Response:
        body = await body_of(request)
        _typed(body, "name", str, "a string")
        return json_response(store_view(await stores.update(project(request), vs_id(request), body)))

    async def delete(request: Request) -> Response:
        return json_response(await stores.delete(project(request), vs_id(request)))

    async def attach(request: Request) -> Response:
        body = await body_of(request)
        file_id = _typed(body, "file_id", str, "a string")
        if not file_id:
            raise InvalidRequestError("Missing required parameter: 'file_id'.", param="file_id")
        chosen = strategy(body.get("chunking_strategy"))
        record = await stores.attach(
            project(request), vs_id(request), file_id, chosen, body.get("attributes")
        )
        return polled(record)

    async def list_files(request: Request) -> Response:
        page = await stores.list_files(
            project(request), vs_id(request), request.query_params.get("filter"), **paging(request)
        )
        return json_response(page.to_openai())

    async def get_file(request: Request) -> Response:
        return polled(
            public(await stores.get_file(project(request), vs_id(request), request.path_params["file"]))
        )

    async def update_file(request: Request) -> Response:
        body = await body_of(request)
        if "attributes" not in body:
            raise InvalidRequestError("Missing required parameter: 'attributes'.", param="attributes")
        record = await stores.update_file(
            project(request), vs_id(request), request.path_params["file"], body["attributes"]
        )
        return json_response(record)

    async def delete_file(request: Request) -> Response:
        return json_response(
            await stores.delete_file(project(request), vs_id(request), request.path_params["file"])
        )

    async def file_content(request: Request) -> Response:
        return json_response(
            await stores.file_content(project(request), vs_id(request), request.path_params["file"])
        )

    async def create_batch(request: Request) -> Response:
        return polled(await batches.create(project(request), vs_id(request), await body_of(request)))

    async def get_batch(request: Request) -> Response:
        return polled(await batches.get(project(request), vs_id(request), request.path_params["batch"]))

    async def cancel_batch(request: Request) -> Response:
        return json_response(
            await batches.cancel(project(request), vs_id(request), request.path_params["batch"])
        )

    async def batch_files(request: Request) -> Response:
        ps = project(request)
        await batches.get(ps, vs_id(request), request.path_params["batch"])
        page = await stores.list_files(
            ps,
            vs_id(request),
            request.query_params.get("filter"),
            request.path_params["batch"],
            **paging(request),
        )
        return json_response(page.to_openai())

    async def search(request: Request) -> Response:
        body = await body_of(request)
        if "query" not in body:
            raise InvalidRequestError("Missing required parameter: 'query'.", param="query")
        ranking = _typed(body, "ranking_options", dict, "an object") or {}
        threshold = _typed(ranking, "score_threshold", (int, float), "a number")
        max_results = _typed(body, "max_num_results", int, "an integer")
        result = await searcher.search(
            project(request),
            vs_id(request),
            body["query"],
            max_num_results=10 if max_results is None else max_results,
            filters=body.get("filters"),
            score_threshold=float(threshold or 0.0),
            rewrite_query=bool(_typed(body, "rewrite_query", bool, "a boolean")),
        )
        return json_response(result)

    base = "/v1/vector_stores/{vs}"
    return [
        Route("/v1/vector_stores", create, methods=["POST"]),
        Route("/v1/vector_stores", list_stores, methods=["GET"]),
        Route(base, retrieve, methods=["GET"]),
        Route(base, modify, methods=["POST"]),
        Route(base, delete, methods=["DELETE"]),
        Route(f"{base}/files", attach, methods=["POST"]),
        Route(f"{base}/files", list_files, methods=["GET"]),
        Route(base + "/files/{file}", get_file, methods=["GET"]),
        Route(base + "/files/{file}", update_file, methods=["POST"]),
        Route(base + "/files/{file}", delete_file, methods=["DELETE"]),
        Route(base + "/files/{file}/content", file_content, methods=["GET"]),
        Route(f"{base}/file_batches", create_batch, methods=["POST"]),
        Route(base + "/file_batches/{batch}", get_batch, methods=["GET"]),
        Route(base + "/file_batches/{batch}/cancel", cancel_batch, methods=["POST"]),
        Route(base + "/file_batches/{batch}/files", batch_files, methods=["GET"]),
        Route(f"{base}/search", search, methods=["POST"]),
    ]
