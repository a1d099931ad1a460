"""The default backend: everything in this process's memory, gone at exit, bounded by a byte cap.

Objects are kept JSON-encoded: a caller can never mutate what is stored through a dict it holds (the
same semantics as sqlite's), non-JSON values fail at ``put``, and their size is known for the cap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from fakeai.store.base import Json, Order, Page, StorageFullError, page_of

_encode = msgspec.json.encode
_decode = msgspec.json.decode


class MemoryBackend:
    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self._objects: dict[tuple[str, str], dict[str, bytes]] = {}
        self._blobs: dict[tuple[str, str], bytes] = {}
        self._used = 0

    @property
    def bytes_used(self) -> int:
        return self._used

    def _charge(self, delta: int) -> None:
        cap = self.max_bytes
        if delta > 0 and cap is not None and self._used + delta > cap:
            raise StorageFullError(delta, self._used, cap)
        self._used += delta

    # --- objects ------------------------------------------------------------------------------------

    async def put(self, project: str, kind: str, obj: Json) -> None:
        self._put(project, kind, obj)

    def _put(self, project: str, kind: str, obj: Json) -> None:
        data = _encode(obj)
        rows = self._objects.setdefault((project, kind), {})
        old = rows.get(obj["id"])
        self._charge(len(data) - (len(old) if old is not None else 0))
        rows[obj["id"]] = data

    async def put_many(self, project: str, kind: str, objs: Sequence[Json]) -> None:
        for obj in objs:
            self._put(project, kind, obj)

    async def get(self, project: str, kind: str, id: str) -> Json | None:
        data = self._objects.get((project, kind), {}).get(id)
        return None if data is None else _decode(data)

    async def update(self, project: str, kind: str, id: str, changes: Mapping[str, Any]) -> Json | None:
        obj = await self.get(project, kind, id)
        if obj is None:
            return None
        obj.update(changes)
        self._put(project, kind, obj)
        return obj

    async def delete(self, project: str, kind: str, id: str) -> bool:
        data = self._objects.get((project, kind), {}).pop(id, None)
        if data is None:
            return False
        self._used -= len(data)
        return True

    async def drop(self, project: str, kind: str) -> int:
        rows = self._objects.pop((project, kind), {})
        self._used -= sum(len(data) for data in rows.values())
        return len(rows)

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
    ) -> Page:
        rows = self._objects.get((project, kind), {})
        if (after is not None and after not in rows) or (before is not None and before not in rows):
            return Page([], False)
        objs = [_decode(data) for data in rows.values()]  # insertion order
        if order == "desc":
            objs.reverse()
        return page_of(objs, after, before, limit, where)

    async def count(self, project: str, kind: str, where: Mapping[str, Any] | None = None) -> int:
        rows = self._objects.get((project, kind), {})
        if not where:
            return len(rows)
        page = await self.list(project, kind, limit=None, where=where)
        return len(page.data)

    async def scan(self, kind: str, where: Mapping[str, Any] | None = None) -> list[tuple[str, Json]]:
        found = []
        for (project, k), rows in self._objects.items():
            if k != kind:
                continue
            for data in rows.values():
                obj = _decode(data)
                if not where or all(obj.get(key) == value for key, value in where.items()):
                    found.append((project, obj))
        return found

    # --- blobs --------------------------------------------------------------------------------------

    async def put_blob(self, project: str, key: str, data: bytes) -> None:
        old = self._blobs.get((project, key))
        self._charge(len(data) - (len(old) if old is not None else 0))
        self._blobs[(project, key)] = bytes(data)

    async def get_blob(self, project: str, key: str) -> bytes | None:
        return self._blobs.get((project, key))

    async def delete_blob(self, project: str, key: str) -> bool:
        data = self._blobs.pop((project, key), None)
        if data is None:
            return False
        self._used -= len(data)
        return True

    def stats(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (_, kind), rows in self._objects.items():
            name = kind.split(":", 1)[0]
            counts[name] = counts.get(name, 0) + len(rows)
        counts["blobs"] = len(self._blobs)
        counts["bytes"] = self._used
        return counts

    async def close(self) -> None:
        return None
