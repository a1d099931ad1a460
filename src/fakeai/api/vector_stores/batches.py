"""Vector store file batches: many files attached at once; the batch's status and counts are read from
its files (in_progress until none is), ``cancel`` stops the files still in progress."""

from __future__ import annotations

import time
from typing import Any

from fakeai.api.vector_stores.attributes import check_attributes
from fakeai.api.vector_stores.chunking import strategy
from fakeai.api.vector_stores.service import STATUSES, VectorStores, files_kind
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.store import ProjectStore, new_id
from fakeai.store.base import Json


def batches_kind(vs_id: str) -> str:
    return f"vector_store.file_batch:{vs_id}"


class FileBatches:
    def __init__(self, stores: VectorStores) -> None:
        self.stores = stores

    async def create(self, store: ProjectStore, vs_id: str, body: dict[str, Any]) -> Json:
        await self.stores.get(store, vs_id)
        file_ids, files = body.get("file_ids"), body.get("files")
        if (file_ids is None) == (files is None):
            raise InvalidRequestError(
                "Provide exactly one of 'file_ids' or 'files'.", param="file_ids", code="invalid_value"
            )
        chosen = strategy(body.get("chunking_strategy"))
        attributes = check_attributes(body.get("attributes"))
        items: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        if file_ids is not None:
            if (
                not isinstance(file_ids, list)
                or not file_ids
                or not all(isinstance(f, str) for f in file_ids)
            ):
                raise InvalidRequestError(
                    "'file_ids' must be a non-empty array of file ids.", param="file_ids"
                )
            items = [(file_id, chosen, attributes) for file_id in file_ids]
        else:
            if not isinstance(files, list) or not files:
                raise InvalidRequestError("'files' must be a non-empty array.", param="files")
            for index, item in enumerate(files):
                if not isinstance(item, dict) or not isinstance(item.get("file_id"), str):
                    raise InvalidRequestError(
                        f"Missing required parameter: 'files[{index}].file_id'.",
                        param=f"files[{index}].file_id",
                    )
                own = (
                    strategy(item["chunking_strategy"], f"files[{index}].chunking_strategy")
                    if item.get("chunking_strategy")
                    else chosen
                )
                items.append((item["file_id"], own, check_attributes(item.get("attributes")) or attributes))
        for file_id, _, _ in items:
            try:
                await self.stores.files.get(store, file_id)
            except NotFoundError:
                raise NotFoundError(f"No such File object: {file_id}", param="file_ids") from None
        batch: Json = {
            "id": new_id("vsfb_"),
            "object": "vector_store.files_batch",
            "created_at": int(time.time()),
            "vector_store_id": vs_id,
            "file_ids": [file_id for file_id, _, _ in items],
        }
        await store.put(batches_kind(vs_id), batch)
        for file_id, own, attrs in items:
            await self.stores.attach(store, vs_id, file_id, own, attrs, batch["id"])
        return await self.get(store, vs_id, batch["id"])

    async def _stored(self, store: ProjectStore, vs_id: str, batch_id: str) -> Json:
        await self.stores.get(store, vs_id)
        batch = await store.get(batches_kind(vs_id), batch_id)
        if batch is None:
            raise NotFoundError(f"No file batch found with id '{batch_id}'.", param="batch_id")
        return batch

    async def get(self, store: ProjectStore, vs_id: str, batch_id: str) -> Json:
        batch = await self._stored(store, vs_id, batch_id)
        files = (await store.list(files_kind(vs_id), limit=None, where={"_batch_id": batch_id})).data
        counts = {status: sum(f["status"] == status for f in files) for status in STATUSES}
        counts["total"] = len(files)
        if counts["in_progress"]:
            status = "cancelled" if batch.get("cancelled") else "in_progress"
        elif batch.get("cancelled"):
            status = "cancelled"
        elif counts["failed"] and not counts["completed"]:
            status = "failed"
        else:
            status = "completed"
        public = {key: value for key, value in batch.items() if key not in ("file_ids", "cancelled")}
        return {**public, "status": status, "file_counts": counts}

    async def cancel(self, store: ProjectStore, vs_id: str, batch_id: str) -> Json:
        await self._stored(store, vs_id, batch_id)
        await store.update(batches_kind(vs_id), batch_id, {"cancelled": True})
        page = await store.list(
            files_kind(vs_id), limit=None, where={"_batch_id": batch_id, "status": "in_progress"}
        )
        for record in page.data:
            await store.update(files_kind(vs_id), record["id"], {"status": "cancelled"})
        await self.stores.refresh(store, vs_id)
        return await self.get(store, vs_id, batch_id)
