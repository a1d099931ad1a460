"""Stored responses (store/: one caller's project at a time): the response object, its input items, the
link to the previous response, and an index of every item by id for ``item_reference`` inputs.

A record is ``{"id", "response": <the public object>, "input": [items], "previous_response_id"}``. The
history of a ``previous_response_id`` chain is every earlier turn's input and output items, oldest first
(instructions are not carried over, as OpenAI documents).
"""

from __future__ import annotations

import logging
from typing import Any

from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.store import ProjectStore, StorageFullError, Store

log = logging.getLogger("fakeai.responses")

RESPONSE = "response"
ITEM = "response.item"
#: A chain longer than this is refused rather than walked (each link is one store read).
MAX_CHAIN = 1000


def _running(response: dict[str, Any]) -> bool:
    """Whether a background job still owes this response its end (found again after a restart)."""
    return response["status"] in ("queued", "in_progress")


async def fail_unfinished(store: Store) -> int:
    """At start-up: background responses whose job died with the last process are failed, as OpenAI
    fails a response it cannot finish (the request that started them is not kept, so none is rerun)."""
    unfinished = await store.scan(RESPONSE, where={"running": True})
    for project, record in unfinished:
        response = {
            **record["response"],
            "status": "failed",
            "error": {
                "code": "server_error",
                "message": "The server restarted before this background response finished.",
            },
        }
        await store.project(project).update(RESPONSE, record["id"], {"response": response, "running": False})
    return len(unfinished)


def events_key(response_id: str) -> str:
    """The blob holding a background response's event frames (for replays with ``starting_after``)."""
    return f"response.events:{response_id}"


class Records:
    def __init__(self, store: ProjectStore) -> None:
        self.store = store

    async def get(self, response_id: str) -> dict[str, Any]:
        """The record of a stored response; 404 in OpenAI's words otherwise (also for ``store: false``)."""
        record = await self.store.get(RESPONSE, response_id)
        if record is None:
            raise NotFoundError(
                f"Response with id '{response_id}' not found.", param="response_id", code=None
            )
        return record

    async def save(self, response: dict[str, Any], input: list[dict[str, Any]]) -> None:
        """Keep a response (and index its items). A full store is logged, not raised: the client already
        has its answer, which simply cannot be retrieved later."""
        record = {
            "id": response["id"],
            "response": response,
            "input": input,
            "previous_response_id": response.get("previous_response_id"),
            "running": _running(response),
        }
        try:
            await self.store.put(RESPONSE, record)
            items = [{"id": item["id"], "item": item} for item in (*input, *response["output"])]
            await self.store.put_many(ITEM, items)
        except StorageFullError as exc:
            log.warning("response %s not stored: %s", response["id"], exc.message)

    async def update(self, response: dict[str, Any]) -> None:
        await self.store.update(
            RESPONSE, response["id"], {"response": response, "running": _running(response)}
        )

    async def history(self, previous_id: str) -> list[dict[str, Any]]:
        """The items of every turn up to and including ``previous_id``, oldest first."""
        turns = []
        next_id: str | None = previous_id
        while next_id is not None:
            if len(turns) >= MAX_CHAIN:
                raise InvalidRequestError(
                    f"The conversation behind 'previous_response_id' is longer than {MAX_CHAIN} turns.",
                    param="previous_response_id",
                )
            record = await self.store.get(RESPONSE, next_id)
            if record is None:
                raise NotFoundError(
                    f"Previous response with id '{next_id}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
            turns.append(record)
            next_id = record.get("previous_response_id")
        items = []
        for record in reversed(turns):
            items += record["input"]
            items += [item for item in record["response"]["output"]]
        return items

    async def items(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Stored items by id (those found)."""
        found = {}
        for item_id in dict.fromkeys(ids):
            entry = await self.store.get(ITEM, item_id)
            if entry is not None:
                found[item_id] = entry["item"]
        return found

    async def delete(self, response_id: str) -> None:
        if not await self.store.delete(RESPONSE, response_id):
            raise NotFoundError(f"Response with id '{response_id}' not found.", param="response_id")
        await self.store.delete_blob(events_key(response_id))
