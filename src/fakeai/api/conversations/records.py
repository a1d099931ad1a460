"""Conversations in the store: ``conversation`` objects, and each one's items in the child collection
``conversation.item:<id>`` (insertion order is conversation order; dropping the children deletes them)."""

from __future__ import annotations

import time
from typing import Any

from fakeai.api.responses.items import new_id, normalize
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.store import Page, ProjectStore

CONVERSATION = "conversation"
#: OpenAI's cap on the items of one create or append call.
MAX_ITEMS_PER_CALL = 20


def items_kind(conversation_id: str) -> str:
    return f"conversation.item:{conversation_id}"


class Conversations:
    def __init__(self, store: ProjectStore) -> None:
        self.store = store

    async def create(
        self, metadata: dict[str, str] | None, items: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        added = self._normalized(items)
        conversation = {
            "id": new_id("conv_"),
            "object": "conversation",
            "created_at": int(time.time()),
            "metadata": metadata or {},
        }
        await self.store.put(CONVERSATION, conversation)
        if added:
            await self.store.put_many(items_kind(conversation["id"]), added)
        return conversation

    async def get(self, conversation_id: str, param: str = "conversation_id") -> dict[str, Any]:
        conversation = await self.store.get(CONVERSATION, conversation_id)
        if conversation is None:
            raise NotFoundError(f"Conversation with id '{conversation_id}' not found.", param=param)
        return conversation

    async def update(self, conversation_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        await self.get(conversation_id)
        updated = await self.store.update(CONVERSATION, conversation_id, {"metadata": metadata})
        assert updated is not None
        return updated

    async def delete(self, conversation_id: str) -> None:
        await self.get(conversation_id)
        await self.store.drop(items_kind(conversation_id))
        await self.store.delete(CONVERSATION, conversation_id)

    async def add(
        self, conversation_id: str, items: list[dict[str, Any]], *, normalized: bool = False
    ) -> list[dict[str, Any]]:
        """Append items (raw input items unless ``normalized``); returns them as stored."""
        await self.get(conversation_id)
        added = items if normalized else self._normalized(items)
        await self.store.put_many(items_kind(conversation_id), added)
        return added

    async def items(
        self, conversation_id: str, *, after: str | None = None, limit: int | None = 20, order: str = "desc"
    ) -> Page:
        await self.get(conversation_id)
        return await self.store.list(items_kind(conversation_id), after=after, limit=limit, order=order)  # type: ignore[arg-type]

    async def all_items(self, conversation_id: str, param: str = "conversation_id") -> list[dict[str, Any]]:
        """Every item, oldest first (what a response in this conversation reads)."""
        await self.get(conversation_id, param)
        return (await self.store.list(items_kind(conversation_id), limit=None, order="asc")).data

    async def item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        await self.get(conversation_id)
        item = await self.store.get(items_kind(conversation_id), item_id)
        if item is None:
            raise NotFoundError(f"Item with id '{item_id}' not found.", param="item_id")
        return item

    async def delete_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        conversation = await self.get(conversation_id)
        if not await self.store.delete(items_kind(conversation_id), item_id):
            raise NotFoundError(f"Item with id '{item_id}' not found.", param="item_id")
        return conversation

    @staticmethod
    def _normalized(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        if items is not None and len(items) > MAX_ITEMS_PER_CALL:
            raise InvalidRequestError(
                f"Invalid 'items': array too long. Expected an array with maximum length "
                f"{MAX_ITEMS_PER_CALL}, "
                f"but got an array with length {len(items)} instead.",
                param="items",
                code="array_above_max_length",
            )
        try:
            return normalize(items or [])
        except InvalidRequestError as exc:  # items[i], not input[i]
            exc.param = exc.param.replace("input", "items", 1) if exc.param else exc.param
            raise
