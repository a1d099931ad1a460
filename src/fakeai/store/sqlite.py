"""``--store sqlite:PATH``: objects in one SQLite database (WAL), blob bytes in files beside it.

Durability: every call commits before it returns, in WAL mode with ``synchronous=NORMAL``, which loses
nothing when the *process* dies (``kill -9``: the OS still writes what was handed to it); only a power
cut could take the last transactions. A blob's file is written and renamed into place before its row
is committed, so a row never names a missing or half-written file.

All of it runs on one dedicated thread (the connection lives there), never on the event loop: calls
queue in order, so writes are serialized without locks.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from fakeai.store.base import Json, Order, Page, StorageFullError, check_field

T = TypeVar("T")
_encode = msgspec.json.encode
_decode = msgspec.json.decode

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,
    UNIQUE (project, kind, id)
);
CREATE INDEX IF NOT EXISTS objects_by_kind ON objects (kind);
CREATE TABLE IF NOT EXISTS blobs (
    project TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, file TEXT NOT NULL,
    PRIMARY KEY (project, key)
);
"""


class SqliteBackend:
    def __init__(self, path: str | Path, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.files = self.path.with_name(self.path.name + ".files")
        self.max_bytes = max_bytes
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fakeai-store")
        self._db: sqlite3.Connection | None = None
        self._used = 0
        self._counts: dict[str, int] = {}

    # --- plumbing -------------------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.files.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions below
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            objects = db.execute("SELECT coalesce(sum(length(body)), 0) FROM objects").fetchone()[0]
            blobs = db.execute("SELECT coalesce(sum(size), 0) FROM blobs").fetchone()[0]
            self._used = objects + blobs
            for kind, count in db.execute("SELECT kind, count(*) FROM objects GROUP BY kind"):
                name = kind.split(":", 1)[0]
                self._counts[name] = self._counts.get(name, 0) + count
            self._counts["blobs"] = db.execute("SELECT count(*) FROM blobs").fetchone()[0]
            self._db = db
        return self._db

    def _charge(self, delta: int) -> None:
        cap = self.max_bytes
        if delta > 0 and cap is not None and self._used + delta > cap:
            raise StorageFullError(delta, self._used, cap)

    def _count(self, kind: str, delta: int) -> None:
        name = kind.split(":", 1)[0]
        self._counts[name] = self._counts.get(name, 0) + delta

    @property
    def bytes_used(self) -> int:
        return self._used

    # --- objects (each ``_x`` runs on the store thread) -----------------------------------------------

    def _put_rows(self, project: str, kind: str, objs: Sequence[Json]) -> None:
        db = self._conn()
        rows = [(obj["id"], _encode(obj)) for obj in objs]
        old = 0
        fresh = 0
        for id, _ in rows:
            found = db.execute(
                "SELECT length(body) FROM objects WHERE project=? AND kind=? AND id=?", (project, kind, id)
            ).fetchone()
            old += found[0] if found else 0
            fresh += found is None
        delta = sum(len(body) for _, body in rows) - old
        self._charge(delta)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO objects (project, kind, id, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (project, kind, id) DO UPDATE SET body=excluded.body",
                [(project, kind, id, body) for id, body in rows],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._used += delta
        self._count(kind, fresh)

    async def put(self, project: str, kind: str, obj: Json) -> None:
        await self._run(self._put_rows, project, kind, [obj])

    async def put_many(self, project: str, kind: str, objs: Sequence[Json]) -> None:
        if objs:
            await self._run(self._put_rows, project, kind, list(objs))

    def _get(self, project: str, kind: str, id: str) -> Json | None:
        row = (
            self._conn()
            .execute("SELECT body FROM objects WHERE project=? AND kind=? AND id=?", (project, kind, id))
            .fetchone()
        )
        return None if row is None else _decode(row[0])

    async def get(self, project: str, kind: str, id: str) -> Json | None:
        return await self._run(self._get, project, kind, id)

    def _update(self, project: str, kind: str, id: str, changes: Mapping[str, Any]) -> Json | None:
        obj = self._get(project, kind, id)
        if obj is None:
            return None
        obj.update(changes)
        self._put_rows(project, kind, [obj])
        return obj

    async def update(self, project: str, kind: str, id: str, changes: Mapping[str, Any]) -> Json | None:
        return await self._run(self._update, project, kind, id, dict(changes))

    def _delete(self, project: str, kind: str, id: str | None) -> int:
        db = self._conn()
        match = "project=? AND kind=?" + ("" if id is None else " AND id=?")
        args = (project, kind) if id is None else (project, kind, id)
        size, count = db.execute(
            f"SELECT coalesce(sum(length(body)), 0), count(*) FROM objects WHERE {match}", args
        ).fetchone()
        db.execute(f"DELETE FROM objects WHERE {match}", args)
        self._used -= size
        self._count(kind, -count)
        return count

    async def delete(self, project: str, kind: str, id: str) -> bool:
        return bool(await self._run(self._delete, project, kind, id))

    async def drop(self, project: str, kind: str) -> int:
        return await self._run(self._delete, project, kind, None)

    def _list(
        self,
        project: str,
        kind: str,
        after: str | None,
        before: str | None,
        limit: int | None,
        order: Order,
        where: Mapping[str, Any] | None,
    ) -> Page:
        db = self._conn()
        clauses = ["project=?", "kind=?"]
        args: list[Any] = [project, kind]
        forward = order == "asc"
        for cursor, later in ((after, forward), (before, not forward)):
            if cursor is None:
                continue
            row = db.execute(
                "SELECT seq FROM objects WHERE project=? AND kind=? AND id=?", (project, kind, cursor)
            ).fetchone()
            if row is None:
                return Page([], False)
            clauses.append("seq > ?" if later else "seq < ?")
            args.append(row[0])
        for key, value in (where or {}).items():
            clauses.append(f"json_extract(body, '$.{check_field(key)}') IS ?")
            args.append(value)
        # Only ``before``: the page nearest the cursor, so walk away from it and turn the page round.
        toward = before is not None and after is None
        direction = "ASC" if forward != toward else "DESC"
        sql = f"SELECT body FROM objects WHERE {' AND '.join(clauses)} ORDER BY seq {direction}"
        if limit is not None:
            sql += f" LIMIT {int(limit) + 1}"
        bodies = [row[0] for row in db.execute(sql, args)]
        more = limit is not None and len(bodies) > limit
        bodies = bodies[:limit] if limit is not None else bodies
        if toward:
            bodies.reverse()
        return Page([_decode(body) for body in bodies], more)

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
        return await self._run(self._list, project, kind, after, before, limit, order, where)

    async def count(self, project: str, kind: str, where: Mapping[str, Any] | None = None) -> int:
        page = await self.list(project, kind, limit=None, where=where) if where else None
        if page is not None:
            return len(page.data)

        def count() -> int:
            sql = "SELECT count(*) FROM objects WHERE project=? AND kind=?"
            return self._conn().execute(sql, (project, kind)).fetchone()[0]

        return await self._run(count)

    def _scan(self, kind: str, where: Mapping[str, Any] | None) -> list[tuple[str, Json]]:
        rows = self._conn().execute("SELECT project, body FROM objects WHERE kind=? ORDER BY seq", (kind,))
        found = []
        for project, body in rows:
            obj = _decode(body)
            if not where or all(obj.get(key) == value for key, value in where.items()):
                found.append((project, obj))
        return found

    async def scan(self, kind: str, where: Mapping[str, Any] | None = None) -> list[tuple[str, Json]]:
        return await self._run(self._scan, kind, where)

    # --- blobs ----------------------------------------------------------------------------------------

    def _blob_file(self, project: str, key: str) -> Path:
        # Hashed names: a key or project can never walk out of the directory.
        return self.files / hashlib.sha256(f"{project}\x00{key}".encode()).hexdigest()

    def _put_blob(self, project: str, key: str, data: bytes) -> None:
        db = self._conn()
        row = db.execute("SELECT size FROM blobs WHERE project=? AND key=?", (project, key)).fetchone()
        delta = len(data) - (row[0] if row else 0)
        self._charge(delta)
        path = self._blob_file(project, key)
        partial = path.with_suffix(".part")
        with open(partial, "wb") as out:
            out.write(data)
        os.replace(partial, path)
        db.execute(
            "INSERT INTO blobs (project, key, size, file) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (project, key) DO UPDATE SET size=excluded.size",
            (project, key, len(data), path.name),
        )
        self._used += delta
        self._counts["blobs"] = self._counts.get("blobs", 0) + (row is None)

    async def put_blob(self, project: str, key: str, data: bytes) -> None:
        await self._run(self._put_blob, project, key, data)

    def _get_blob(self, project: str, key: str) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT file FROM blobs WHERE project=? AND key=?", (project, key))
            .fetchone()
        )
        if row is None:
            return None
        return (self.files / row[0]).read_bytes()

    async def get_blob(self, project: str, key: str) -> bytes | None:
        return await self._run(self._get_blob, project, key)

    def _delete_blob(self, project: str, key: str) -> bool:
        db = self._conn()
        row = db.execute("SELECT size, file FROM blobs WHERE project=? AND key=?", (project, key)).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM blobs WHERE project=? AND key=?", (project, key))
        (self.files / row[1]).unlink(missing_ok=True)
        self._used -= row[0]
        self._counts["blobs"] -= 1
        return True

    async def delete_blob(self, project: str, key: str) -> bool:
        return await self._run(self._delete_blob, project, key)

    def stats(self) -> dict[str, int]:
        return {**{k: v for k, v in self._counts.items() if v}, "bytes": self._used}

    async def close(self) -> None:
        def close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await self._run(close)
        self._pool.shutdown(wait=True)
