"""HTTP for the Conversations API (Starlette routes: not a hot path)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.conversations.records import Conversations
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.responses import json_response
from fakeai.state import AppState

Metadata = Annotated[dict[str, Annotated[str, Meta(max_length=512)]], Meta(max_length=16)]


class CreateBody(Struct):
    metadata: Metadata | None = None
    items: list[dict[str, Any]] | None = None


class UpdateBody(Struct):
    metadata: Metadata


class ItemsBody(Struct):
    items: list[dict[str, Any]]


def routes(state: AppState) -> list[Route]:
    def conversations(request: Request) -> Conversations:
        return Conversations(state.store.project(identity_of(request.scope).project))

    async def create(request: Request) -> Response:
        body = decode_json(await request.body() or b"{}", CreateBody)
        return json_response(await conversations(request).create(body.metadata, body.items))

    async def retrieve(request: Request) -> Response:
        return json_response(await conversations(request).get(request.path_params["conversation_id"]))

    async def update(request: Request) -> Response:
        body = decode_json(await request.body(), UpdateBody)
        return json_response(
            await conversations(request).update(request.path_params["conversation_id"], body.metadata)
        )

    async def delete(request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        await conversations(request).delete(conversation_id)
        return json_response({"id": conversation_id, "object": "conversation.deleted", "deleted": True})

    async def add_items(request: Request) -> Response:
        body = decode_json(await request.body(), ItemsBody)
        added = await conversations(request).add(request.path_params["conversation_id"], body.items)
        return json_response(
            {
                "object": "list",
                "data": added,
                "first_id": added[0]["id"] if added else None,
                "last_id": added[-1]["id"] if added else None,
                "has_more": False,
            }
        )

    async def list_items(request: Request) -> Response:
        query = request.query_params
        limit = _limit(query.get("limit"))
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidRequestError(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
                param="order",
                code="invalid_value",
            )
        page = await conversations(request).items(
            request.path_params["conversation_id"], after=query.get("after"), limit=limit, order=order
        )
        return json_response(page.to_openai())

    async def item(request: Request) -> Response:
        params = request.path_params
        return json_response(await conversations(request).item(params["conversation_id"], params["item_id"]))

    async def delete_item(request: Request) -> Response:
        params = request.path_params
        return json_response(
            await conversations(request).delete_item(params["conversation_id"], params["item_id"])
        )

    return [
        Route("/v1/conversations", create, methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", retrieve, methods=["GET"]),
        Route("/v1/conversations/{conversation_id}", update, methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", delete, methods=["DELETE"]),
        Route("/v1/conversations/{conversation_id}/items", add_items, methods=["POST"]),
        Route("/v1/conversations/{conversation_id}/items", list_items, methods=["GET"]),
        Route("/v1/conversations/{conversation_id}/items/{item_id}", item, methods=["GET"]),
        Route("/v1/conversations/{conversation_id}/items/{item_id}", delete_item, methods=["DELETE"]),
    ]


def _limit(value: str | None) -> int:
    try:
        limit = 20 if value is None else int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise InvalidRequestError(
            f"Invalid 'limit': expected an integer between 1 and 100, but got {value} instead.",
            param="limit",
            code="invalid_value",
        )
    return limit
