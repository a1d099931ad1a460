"""Uploads: a File sent in parts (each up to 64 MB), assembled in the order the client lists them.

An Upload is ``pending`` for an hour; ``complete`` checks that the parts add up to the announced ``bytes``
(and the ``md5`` when given) and makes the File; ``cancel`` discards the parts.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from fakeai.api.files.service import Files, check_purpose, expiry, public
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.store import ProjectStore, new_id
from fakeai.store.base import Json

KIND = "upload"
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
LIFETIME_S = 3600
MAX_UPLOAD_BYTES = 8 * 1024**3
MAX_PART_BYTES = 64 * 1024**2
#: md5 over more than this many bytes goes to a thread (it runs ~500 MB/s, holding the loop otherwise).
HASH_ON_LOOP_BYTES = 1024 * 1024


def _parts(upload_id: str) -> str:
    return f"upload.part:{upload_id}"


def _blob(upload_id: str, part_id: str) -> str:
    return f"upload:{upload_id}:{part_id}"


class Uploads:
    def __init__(self, files: Files) -> None:
        self.files = files

    async def create(
        self,
        store: ProjectStore,
        *,
        filename: str,
        purpose: str,
        size: int,
        mime_type: str,
        expires_after: dict[str, Any] | None,
    ) -> Json:
        check_purpose(purpose, UPLOAD_PURPOSES)
        if not 0 <= size <= MAX_UPLOAD_BYTES:
            raise InvalidRequestError(
                f"Invalid value for 'bytes': {size}; an Upload holds at most {MAX_UPLOAD_BYTES} bytes.",
                param="bytes",
                code="invalid_value",
            )
        created = int(time.time())
        expiry(expires_after, created, purpose)  # validate now, apply to the File at completion
        obj: Json = {
            "id": new_id("upload_"),
            "object": "upload",
            "bytes": size,
            "created_at": created,
            "expires_at": created + LIFETIME_S,
            "filename": filename,
            "purpose": purpose,
            "status": "pending",
            "file": None,
            "_mime": mime_type,
            "_expires_after": expires_after,
        }
        return public(await store.put(KIND, obj))

    async def _pending(self, store: ProjectStore, upload_id: str) -> Json:
        upload = await store.get(KIND, upload_id)
        if upload is None:
            raise NotFoundError(f"No such Upload object: {upload_id}", param="upload_id")
        status = upload["status"]
        if status == "pending" and upload["expires_at"] <= time.time():
            status = "expired"
            await store.update(KIND, upload_id, {"status": status})
            await self._discard(store, upload_id)
        if status != "pending":
            raise InvalidRequestError(
                f"Upload {upload_id} is {status}: it no longer accepts parts or changes.",
                param="upload_id",
                code="upload_not_pending",
            )
        return upload

    async def add_part(self, store: ProjectStore, upload_id: str, data: bytes) -> Json:
        await self._pending(store, upload_id)
        if len(data) > MAX_PART_BYTES:
            raise InvalidRequestError(
                f"Part is too large: {len(data)} bytes; each part holds at most {MAX_PART_BYTES} bytes.",
                param="data",
                code="part_too_large",
            )
        part: Json = {
            "id": new_id("part_"),
            "object": "upload.part",
            "created_at": int(time.time()),
            "upload_id": upload_id,
        }
        await store.put_blob(_blob(upload_id, part["id"]), data)
        return await store.put(_parts(upload_id), part)

    async def complete(
        self, store: ProjectStore, upload_id: str, part_ids: list[str], md5: str | None
    ) -> Json:
        upload = await self._pending(store, upload_id)
        if len(set(part_ids)) != len(part_ids):
            raise InvalidRequestError("part_ids lists a part more than once.", param="part_ids")
        chunks = []
        for index, part_id in enumerate(part_ids):
            data = await store.get_blob(_blob(upload_id, part_id))
            if data is None:
                raise InvalidRequestError(
                    f"Invalid part_ids[{index}]: {part_id!r} is not a part of Upload {upload_id}.",
                    param=f"part_ids[{index}]",
                    code="invalid_value",
                )
            chunks.append(data)
        data = b"".join(chunks)
        if len(data) != upload["bytes"]:
            raise InvalidRequestError(
                f"The parts add up to {len(data)} bytes, but the Upload was created for {upload['bytes']} "
                "bytes.",
                param="part_ids",
                code="bytes_mismatch",
            )
        if md5 is not None:
            digest = await _md5(data)
            if digest != md5.lower():
                raise InvalidRequestError(
                    f"The md5 of the uploaded bytes is {digest}, not the {md5} given.",
                    param="md5",
                    code="md5_mismatch",
                )
        file = await self.files.create(
            store,
            filename=upload["filename"],
            data=data,
            purpose=upload["purpose"],
            mime=upload.get("_mime"),
            expires_after=upload.get("_expires_after"),
        )
        await self._discard(store, upload_id)
        done = await store.update(KIND, upload_id, {"status": "completed", "file": public(file)})
        assert done is not None
        return public(done)

    async def cancel(self, store: ProjectStore, upload_id: str) -> Json:
        await self._pending(store, upload_id)
        await self._discard(store, upload_id)
        done = await store.update(KIND, upload_id, {"status": "cancelled"})
        assert done is not None
        return public(done)

    async def _discard(self, store: ProjectStore, upload_id: str) -> None:
        page = await store.list(_parts(upload_id), limit=None)
        for part in page.data:
            await store.delete_blob(_blob(upload_id, part["id"]))
        await store.drop(_parts(upload_id))


async def _md5(data: bytes) -> str:
    if len(data) > HASH_ON_LOOP_BYTES:
        return await asyncio.to_thread(lambda: hashlib.md5(data).hexdigest())
    return hashlib.md5(data).hexdigest()
