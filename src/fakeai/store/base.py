"""The seam: what a backend implements (``Backend``) and what families call (``Store``, ``ProjectStore``).

Model: a *collection* is ``(project, kind)``; it holds JSON-able dicts, each with a string ``"id"``, listed
in insertion order (which ``created_at`` follows) with an ``after=<id>`` cursor, as OpenAI's list
endpoints page. ``kind`` is a free string; a child collection names its parent in it (``"vector_store.file:
vs_abc"``), so ``drop(kind)`` removes all of a parent's children. Blobs are byte strings keyed by
(project, key), counted against one total byte cap (``StorageFullError`` when full).

Every call is a coroutine and a backend does its blocking I/O off the event loop (sqlite: one thread), so
a networked backend (Redis, Postgres) fills the same seam without touching the families.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from fakeai.errors import InvalidRequestError

Json = dict[str, Any]
Order = Literal["asc", "desc"]


def new_id(prefix: str) -> str:
    """An OpenAI-looking id: ``prefix`` + 24 random hex digits (``file-``, ``batch_``, ``vs_`` ...)."""
    return prefix + secrets.token_hex(12)


class StorageFullError(InvalidRequestError):
    """The server's total byte cap on stored content (``--store-max-bytes``) would be exceeded."""

    def __init__(self, needed: int, used: int, cap: int) -> None:
        super().__init__(
            f"Storage limit exceeded: storing {needed} more bytes would bring this server's stored content "
            f"to {used + needed} bytes, over its limit of {cap} bytes. Delete files or raise "
            "--store-max-bytes.",
            param="file",
            code="storage_limit_exceeded",
        )


@dataclass(slots=True)
class Page:
    """One page of a list: ``data`` in the requested order, ``has_more`` if the collection goes on."""

    data: list[Json]
    has_more: bool

    @property
    def first_id(self) -> str | None:
        return self.data[0]["id"] if self.data else None

    @property
    def last_id(self) -> str | None:
        return self.data[-1]["id"] if self.data else None

    def to_openai(self) -> Json:
        """OpenAI's list object (``first_id``/``last_id``/``has_more``)."""
        return {
            "object": "list",
            "data": self.data,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "has_more": self.has_more,
        }


class Backend(Protocol):
    """What a storage backend implements. ``where`` is equality on top-level fields of the objects.

    Invariants: ``put`` of an existing id replaces the object in place (its list position is kept);
    a list cursor ``after`` that does not exist in the collection yields an empty page; blobs count
    against ``max_bytes`` (None: no cap) and ``bytes_used`` is their total.
    """

    max_bytes: int | None

    @property
    def bytes_used(self) -> int: ...

    async def put(self, project: str, kind: str, obj: Json) -> None: ...

    async def put_many(self, project: str, kind: str, objs: Sequence[Json]) -> None: ...

    async def get(self, project: str, kind: str, id: str) -> Json | None: ...

    async def update(self, project: str, kind: str, id: str, changes: Mapping[str, Any]) -> Json | None: ...

    async def delete(self, project: str, kind: str, id: str) -> bool: ...

    async def drop(self, project: str, kind: str) -> int: ...

    async def list(
        self,
        project: str,
        kind: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = 20,
        order: Order = "desc",
        where: Mapping[str, Any] | None = None,
    ) -> Page: ...

    async def count(self, project: str, kind: str, where: Mapping[str, Any] | None = None) -> int: ...

    async def scan(self, kind: str, where: Mapping[str, Any] | None = None) -> list[tuple[str, Json]]: ...

    async def put_blob(self, project: str, key: str, data: bytes) -> None: ...

    async def get_blob(self, project: str, key: str) -> bytes | None: ...

    async def delete_blob(self, project: str, key: str) -> bool: ...

    def stats(self) -> dict[str, int]: ...

    async def close(self) -> None: ...


class ProjectStore:
    """A backend seen from one project: the only handle a family gets in a request, so a family cannot
    read or write another project's objects (isolation by construction, not by a check per handler)."""

    __slots__ = ("_backend", "project")

    def __init__(self, backend: Backend, project: str) -> None:
        self._backend = backend
        self.project = project

    async def put(self, kind: str, obj: Json) -> Json:
        """Insert or replace ``obj`` (it must have a string ``"id"``); returns it."""
        await self._backend.put(self.project, kind, obj)
        return obj

    async def put_many(self, kind: str, objs: Sequence[Json]) -> None:
        """Insert or replace several objects in one write (one transaction on sqlite)."""
        await self._backend.put_many(self.project, kind, objs)

    async def get(self, kind: str, id: str) -> Json | None:
        return await self._backend.get(self.project, kind, id)

    async def update(self, kind: str, id: str, changes: Mapping[str, Any]) -> Json | None:
        """Merge ``changes`` into the stored object atomically; the result, or None if absent."""
        return await self._backend.update(self.project, kind, id, changes)

    async def delete(self, kind: str, id: str) -> bool:
        return await self._backend.delete(self.project, kind, id)

    async def drop(self, kind: str) -> int:
        """Delete every object of a collection (a parent's children); how many were deleted."""
        return await self._backend.drop(self.project, kind)

    async def list(
        self,
        kind: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = 20,
        order: Order = "desc",
        where: Mapping[str, Any] | None = None,
    ) -> Page:
        """A page in insertion order (``asc``) or newest first (``desc``), after/before an id; ``limit``
        None lists all."""
        return await self._backend.list(
            self.project, kind, after=after, before=before, limit=limit, order=order, where=where
        )

    async def count(self, kind: str, where: Mapping[str, Any] | None = None) -> int:
        return await self._backend.count(self.project, kind, where)

    async def put_blob(self, key: str, data: bytes) -> None:
        """Store bytes under ``key`` (replacing); ``StorageFullError`` past the server's byte cap."""
        await self._backend.put_blob(self.project, key, data)

    async def get_blob(self, key: str) -> bytes | None:
        return await self._backend.get_blob(self.project, key)

    async def delete_blob(self, key: str) -> bool:
        return await self._backend.delete_blob(self.project, key)


class Store:
    """The app's store (``AppState.store``): hands out project views, and lets jobs scan every project."""

    def __init__(self, backend: Backend, url: str = "memory") -> None:
        self.backend = backend
        self.url = url

    @property
    def durable(self) -> bool:
        """True when what was stored survives a restart (jobs then resume from it)."""
        return self.url != "memory"

    def project(self, project: str) -> ProjectStore:
        return ProjectStore(self.backend, project)

    async def scan(self, kind: str, where: Mapping[str, Any] | None = None) -> list[tuple[str, Json]]:
        """Every ``(project, object)`` of ``kind`` across projects: for jobs resuming after a restart,
        never for request handlers."""
        return await self.backend.scan(kind, where)

    def stats(self) -> dict[str, int]:
        """Objects per kind (child collections folded into their kind before ``:``) and ``bytes``."""
        return self.backend.stats()

    async def close(self) -> None:
        await self.backend.close()


def check_field(name: str) -> str:
    """Filter keys become SQL JSON paths: only plain identifiers."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"bad filter field {name!r}")
    return name


def page_of(
    objs: list[Json],
    after: str | None,
    before: str | None,
    limit: int | None,
    where: Mapping[str, Any] | None,
) -> Page:
    """Cut one page from a whole collection already in list order: the objects matching ``where``,
    strictly after ``after`` and before ``before``; with only ``before``, the ``limit`` nearest to it."""
    ids = [o["id"] for o in objs]
    start, stop = 0, len(objs)
    if after is not None:
        if after not in ids:
            return Page([], False)
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            return Page([], False)
        stop = ids.index(before)
    objs = objs[start:stop]
    if where:
        objs = [o for o in objs if all(o.get(key) == value for key, value in where.items())]
    if limit is None or len(objs) <= limit:
        return Page(objs, False)
    if before is not None and after is None:
        return Page(objs[-limit:], True)
    return Page(objs[:limit], True)
