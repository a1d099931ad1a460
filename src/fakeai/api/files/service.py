"""What OpenAI means by a File: bytes kept unchanged with a purpose, validated for the APIs that read them.

Other families read and write files through ``Files`` (batch input and output, fine-tuning training
files, vector store documents); every call takes the caller's ``ProjectStore``.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.store import Page, ProjectStore, new_id
from fakeai.store.base import Json

KIND = "file"
#: Purposes a client may upload with (POST /v1/files); the ``*_output``/``-results`` ones are the server's.
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
#: Purposes whose file must be JSONL: each line one JSON object (checked on upload, naming the line).
JSONL_PURPOSES = ("batch", "fine-tune")
#: OpenAI's expires_after bounds, in seconds, and the default lifetime of a batch input file.
MIN_EXPIRY_S, MAX_EXPIRY_S = 3600, 2592000
BATCH_FILE_LIFETIME_S = 30 * 24 * 3600
#: Above this many bytes, checking a JSONL file moves off the event loop.
PARSE_ON_LOOP_BYTES = 256 * 1024


def public(obj: Json) -> Json:
    """The object as clients see it: fields starting with ``_`` are the server's own bookkeeping."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def not_found(file_id: str) -> NotFoundError:
    return NotFoundError(f"No such File object: {file_id}", param="id")


def check_purpose(purpose: str | None, allowed: tuple[str, ...] = UPLOAD_PURPOSES) -> str:
    if not purpose:
        raise InvalidRequestError(
            "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
        )
    if purpose not in allowed:
        choices = ", ".join(f"'{p}'" for p in allowed)
        raise InvalidRequestError(
            f"Invalid value for 'purpose': {purpose!r} is not one of {choices}.",
            param="purpose",
            code="invalid_value",
        )
    return purpose


def expiry(expires_after: Mapping[str, Any] | None, created_at: int, purpose: str) -> int | None:
    """``expires_at`` from an ``expires_after`` policy (anchor ``created_at``, 1 hour to 30 days)."""
    if expires_after is None:
        return created_at + BATCH_FILE_LIFETIME_S if purpose == "batch" else None
    anchor = expires_after.get("anchor")
    if anchor != "created_at":
        raise InvalidRequestError(
            f"Invalid value for 'expires_after.anchor': {anchor!r}; the only supported anchor is "
            "'created_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    seconds = expires_after.get("seconds")
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not MIN_EXPIRY_S <= seconds <= MAX_EXPIRY_S
    ):
        raise InvalidRequestError(
            f"Invalid value for 'expires_after.seconds': {seconds!r}; it must be an integer between "
            f"{MIN_EXPIRY_S} (1 hour) and {MAX_EXPIRY_S} (30 days).",
            param="expires_after.seconds",
            code="invalid_value",
        )
    return created_at + seconds


def jsonl_error(data: bytes, purpose: str) -> str | None:
    """Why ``data`` is not JSONL of objects (naming the first bad line, 1-based), or None if it is."""
    if not data.strip():
        return f"Invalid file format for purpose '{purpose}': the file is empty."
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = msgspec.json.decode(line)
        except msgspec.DecodeError as exc:
            return f"Invalid file format for purpose '{purpose}': line {number} is not valid JSON ({exc})."
        if not isinstance(value, dict):
            return f"Invalid file format for purpose '{purpose}': line {number} is not a JSON object."
    return None


def content_type(filename: str, given: str | None) -> str:
    """The type the content is served back with: the uploader's, else guessed from the name."""
    if given and given != "application/octet-stream":
        return given
    if filename.endswith(".jsonl"):
        return "application/jsonl"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class Files:
    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes

    async def create(
        self,
        store: ProjectStore,
        *,
        filename: str,
        data: bytes,
        purpose: str,
        mime: str | None = None,
        expires_after: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> Json:
        """Store ``data`` unchanged as a new File; ``validate`` checks size and JSONL (server-made output
        files skip it)."""
        created = int(time.time())
        expires_at = expiry(expires_after, created, purpose)
        if validate:
            await self.check(data, purpose)
        file_id = new_id("file-")
        await store.put_blob(file_id, data)  # bytes first: an object never names missing bytes
        obj: Json = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": created,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "_mime": content_type(filename, mime),
        }
        if expires_at is not None:  # the spec's expires_at is an integer, never null
            obj["expires_at"] = expires_at
        return await store.put(KIND, obj)

    async def check(self, data: bytes, purpose: str) -> None:
        if len(data) > self.max_file_bytes:
            raise InvalidRequestError(
                f"File is too large: {len(data)} bytes; the maximum size is {self.max_file_bytes} bytes.",
                param="file",
                code="file_too_large",
            )
        if purpose in JSONL_PURPOSES:
            if len(data) > PARSE_ON_LOOP_BYTES:
                problem = await asyncio.to_thread(jsonl_error, data, purpose)
            else:
                problem = jsonl_error(data, purpose)
            if problem:
                raise InvalidRequestError(problem, param="file", code="invalid_file_format")

    async def get(self, store: ProjectStore, file_id: str) -> Json:
        """The stored object (with its ``_`` fields); 404 if absent or expired (expired files go now)."""
        obj = await store.get(KIND, file_id)
        if obj is None:
            raise not_found(file_id)
        if obj.get("expires_at") is not None and obj["expires_at"] <= time.time():
            await self._remove(store, file_id)
            raise not_found(file_id)
        return obj

    async def content(self, store: ProjectStore, file_id: str) -> tuple[bytes, str]:
        obj = await self.get(store, file_id)
        data = await store.get_blob(file_id)
        if data is None:
            raise not_found(file_id)
        return data, obj.get("_mime", "application/octet-stream")

    async def list(
        self,
        store: ProjectStore,
        *,
        after: str | None,
        limit: int,
        order: str,
        purpose: str | None,
    ) -> Page:
        page = await store.list(
            KIND,
            after=after,
            limit=limit,
            order=order,
            where={"purpose": purpose} if purpose else None,  # type: ignore[arg-type]
        )
        now = time.time()
        live = []
        for obj in page.data:
            if obj.get("expires_at") is not None and obj["expires_at"] <= now:
                await self._remove(store, obj["id"])
            else:
                live.append(public(obj))
        return Page(live, page.has_more)

    async def delete(self, store: ProjectStore, file_id: str) -> Json:
        await self.get(store, file_id)
        await self._remove(store, file_id)
        return {"id": file_id, "object": "file", "deleted": True}

    async def _remove(self, store: ProjectStore, file_id: str) -> None:
        await store.delete(KIND, file_id)
        await store.delete_blob(file_id)
