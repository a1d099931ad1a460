"""What OpenAI means by a vector store: a named set of files, each chunked by tokens in the background
(in_progress -> completed) and searchable; ``usage_bytes`` and ``file_counts`` are recounted from what is
stored after every change, so they always agree with it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fakeai.api.files.service import Files, public
from fakeai.api.metadata import check_metadata
from fakeai.api.vector_stores.attributes import check_attributes
from fakeai.api.vector_stores.chunking import CHUNK_TOKENIZER, chunk, strategy
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.state import AppState
from fakeai.store import Page, ProjectStore, new_id
from fakeai.store.base import Json

KIND = "vector_store"
#: Files being chunked, across every store and project: what a restart resumes.
PENDING = "vector_store.pending"
STATUSES = ("in_progress", "completed", "failed", "cancelled")
DAY_S = 86400


def files_kind(vs_id: str) -> str:
    return f"vector_store.file:{vs_id}"


def chunks_kind(vs_id: str) -> str:
    return f"vector_store.chunks:{vs_id}"


def not_found(vs_id: str) -> NotFoundError:
    return NotFoundError(f"No vector store found with id '{vs_id}'.", param="vector_store_id")


def check_expires_after(expires_after: Any) -> dict[str, Any] | None:
    if expires_after is None:
        return None
    days = expires_after.get("days") if isinstance(expires_after, dict) else None
    if not isinstance(expires_after, dict) or expires_after.get("anchor") != "last_active_at":
        raise InvalidRequestError(
            "Invalid 'expires_after.anchor': the only anchor is 'last_active_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise InvalidRequestError(
            f"Invalid 'expires_after.days': {days!r}; an integer from 1 to 365.",
            param="expires_after.days",
            code="invalid_value",
        )
    return {"anchor": "last_active_at", "days": days}


class VectorStores:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.files = Files(state.settings.max_file_bytes)
        #: Bumped on every change to a store's files: the search index cache compares it.
        self.versions: dict[tuple[str, str], int] = {}
        state.jobs.on_resume(self.resume)

    def changed(self, store: ProjectStore, vs_id: str) -> None:
        key = (store.project, vs_id)
        self.versions[key] = self.versions.get(key, 0) + 1

    # --- stores -------------------------------------------------------------------------------------

    async def create(self, store: ProjectStore, body: dict[str, Any]) -> Json:
        check_metadata(body.get("metadata"))
        expires_after = check_expires_after(body.get("expires_after"))
        chosen = strategy(body.get("chunking_strategy"))
        file_ids = body.get("file_ids") or []
        now = int(time.time())
        vs: Json = {
            "id": new_id("vs_"),
            "object": "vector_store",
            "created_at": now,
            "name": body.get("name") or "",
            "description": body.get("description"),
            "usage_bytes": 0,
            "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
            "status": "completed",
            "last_active_at": now,
            "metadata": body.get("metadata"),
            "expires_after": expires_after,
            "expires_at": now + expires_after["days"] * DAY_S if expires_after else None,
        }
        for file_id in file_ids:
            await self.files.get(store, file_id)  # 404 before anything is stored
        await store.put(KIND, vs)
        for file_id in file_ids:
            await self.attach(store, vs["id"], file_id, chosen, None)
        return await self.get(store, vs["id"])

    async def get(self, store: ProjectStore, vs_id: str) -> Json:
        vs = await store.get(KIND, vs_id)
        if vs is None:
            raise not_found(vs_id)
        if vs.get("expires_at") and vs["expires_at"] <= time.time() and vs["status"] != "expired":
            vs = await store.update(KIND, vs_id, {"status": "expired"}) or vs
        return vs

    async def touch(self, store: ProjectStore, vs_id: str) -> Json:
        """A use of the store (search): ``last_active_at`` moves, and with it an expiry anchored on it."""
        vs = await self.get(store, vs_id)
        if vs["status"] == "expired":
            raise InvalidRequestError(f"Vector store {vs_id} has expired.", param="vector_store_id")
        now = int(time.time())
        changes: dict[str, Any] = {"last_active_at": now}
        if vs.get("expires_after"):
            changes["expires_at"] = now + vs["expires_after"]["days"] * DAY_S
        return await store.update(KIND, vs_id, changes) or vs

    async def list(self, store: ProjectStore, **query: Any) -> Page:
        return await store.list(KIND, **query)

    async def update(self, store: ProjectStore, vs_id: str, body: dict[str, Any]) -> Json:
        vs = await self.get(store, vs_id)
        changes: dict[str, Any] = {}
        if "name" in body and body["name"] is not None:
            changes["name"] = body["name"]
        if "metadata" in body:
            changes["metadata"] = check_metadata(body["metadata"])
        if "expires_after" in body:
            expires_after = check_expires_after(body["expires_after"])
            changes["expires_after"] = expires_after
            changes["expires_at"] = (
                vs["last_active_at"] + expires_after["days"] * DAY_S if expires_after else None
            )
        return await store.update(KIND, vs_id, changes) or vs

    async def delete(self, store: ProjectStore, vs_id: str) -> Json:
        await self.get(store, vs_id)
        for kind in (files_kind(vs_id), chunks_kind(vs_id), f"vector_store.file_batch:{vs_id}"):
            await store.drop(kind)
        await store.delete(KIND, vs_id)
        self.changed(store, vs_id)
        return {"id": vs_id, "object": "vector_store.deleted", "deleted": True}

    async def refresh(self, store: ProjectStore, vs_id: str) -> None:
        """Recount ``file_counts``, ``usage_bytes`` and ``status`` from the stored files."""
        files = (await store.list(files_kind(vs_id), limit=None)).data
        counts = {status: sum(f["status"] == status for f in files) for status in STATUSES}
        counts["total"] = len(files)
        usage = sum(f["usage_bytes"] for f in files if f["status"] == "completed")
        status = "in_progress" if counts["in_progress"] else "completed"
        await store.update(KIND, vs_id, {"file_counts": counts, "usage_bytes": usage, "status": status})

    # --- files --------------------------------------------------------------------------------------

    async def attach(
        self,
        store: ProjectStore,
        vs_id: str,
        file_id: str,
        chosen: dict[str, Any],
        attributes: dict[str, Any] | None,
        batch_id: str | None = None,
    ) -> Json:
        await self.get(store, vs_id)
        check_attributes(attributes)
        try:
            await self.files.get(store, file_id)
        except NotFoundError:
            raise NotFoundError(f"No such File object: {file_id}", param="file_id") from None
        record: Json = {
            "id": file_id,
            "object": "vector_store.file",
            "usage_bytes": 0,
            "created_at": int(time.time()),
            "vector_store_id": vs_id,
            "status": "in_progress",
            "last_error": None,
            "chunking_strategy": chosen,
            "attributes": attributes or {},
            "_batch_id": batch_id,
        }
        await store.put(files_kind(vs_id), record)
        await store.put(PENDING, {"id": f"{vs_id}/{file_id}"})
        await self.refresh(store, vs_id)
        self._index_later(store, vs_id, file_id)
        return public(record)

    def _index_later(self, store: ProjectStore, vs_id: str, file_id: str) -> None:
        async def run() -> None:
            await self._index(store, vs_id, file_id)

        self.state.jobs.start(f"vsfile:{store.project}:{vs_id}:{file_id}", run)

    async def _index(self, store: ProjectStore, vs_id: str, file_id: str) -> None:
        record = await store.get(files_kind(vs_id), file_id)
        try:
            if record is None or record["status"] != "in_progress":
                return
            changes: dict[str, Any]
            try:
                data, _ = await self.files.content(store, file_id)
                text = data.decode("utf-8")
            except (NotFoundError, UnicodeDecodeError) as exc:
                message = (
                    "The file was deleted."
                    if isinstance(exc, NotFoundError)
                    else "The file is not UTF-8 text."
                )
                changes = {"status": "failed", "last_error": {"code": "unsupported_file", "message": message}}
            else:
                encoding = await self.state.tokenizers.load(CHUNK_TOKENIZER)
                chunks = await asyncio.to_thread(chunk, encoding, text, record["chunking_strategy"])
                file = await self.files.get(store, file_id)
                await store.put(
                    chunks_kind(vs_id), {"id": file_id, "filename": file["filename"], "chunks": chunks}
                )
                changes = {"status": "completed", "usage_bytes": sum(len(c.encode()) for c in chunks)}
            current = await store.get(files_kind(vs_id), file_id)
            if current is not None and current["status"] == "in_progress":  # not cancelled meanwhile
                await store.update(files_kind(vs_id), file_id, changes)
            self.changed(store, vs_id)
            if await store.get(KIND, vs_id) is not None:
                await self.refresh(store, vs_id)
        finally:
            await store.delete(PENDING, f"{vs_id}/{file_id}")

    async def resume(self) -> None:
        for project, pending in await self.state.store.scan(PENDING):
            vs_id, file_id = pending["id"].split("/", 1)
            self._index_later(self.state.store.project(project), vs_id, file_id)

    async def get_file(self, store: ProjectStore, vs_id: str, file_id: str) -> Json:
        await self.get(store, vs_id)
        record = await store.get(files_kind(vs_id), file_id)
        if record is None:
            raise NotFoundError(
                f"No file found with id '{file_id}' in vector store '{vs_id}'.", param="file_id"
            )
        return record

    async def update_file(self, store: ProjectStore, vs_id: str, file_id: str, attributes: Any) -> Json:
        await self.get_file(store, vs_id, file_id)
        changed = await store.update(
            files_kind(vs_id), file_id, {"attributes": check_attributes(attributes) or {}}
        )
        self.changed(store, vs_id)
        assert changed is not None
        return public(changed)

    async def delete_file(self, store: ProjectStore, vs_id: str, file_id: str) -> Json:
        await self.get_file(store, vs_id, file_id)
        await store.delete(files_kind(vs_id), file_id)
        await store.delete(chunks_kind(vs_id), file_id)
        self.changed(store, vs_id)
        await self.refresh(store, vs_id)
        return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}

    async def list_files(
        self, store: ProjectStore, vs_id: str, status: str | None, batch_id: str | None = None, **query: Any
    ) -> Page:
        await self.get(store, vs_id)
        if status is not None and status not in STATUSES:
            raise InvalidRequestError(
                f"Invalid 'filter': {status!r}; expected one of {', '.join(STATUSES)}.",
                param="filter",
                code="invalid_value",
            )
        where: dict[str, Any] = {}
        if status:
            where["status"] = status
        if batch_id:
            where["_batch_id"] = batch_id
        page = await store.list(files_kind(vs_id), where=where or None, **query)
        return Page([public(f) for f in page.data], page.has_more)

    async def file_content(self, store: ProjectStore, vs_id: str, file_id: str) -> Json:
        await self.get_file(store, vs_id, file_id)
        data, _ = await self.files.content(store, file_id)
        return {
            "object": "vector_store.file_content.page",
            "data": [{"type": "text", "text": data.decode("utf-8", errors="replace")}],
            "has_more": False,
            "next_page": None,
        }
