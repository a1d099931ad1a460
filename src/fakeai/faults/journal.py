"""The request journal: the last requests (method, path, model, status, injected fault, timing), for a
test to assert on through the control API (``GET /fakeai/admin/journal``). Bounded: a ring of
``journal_size`` entries; each transport adds one per request when its response is complete."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

_FIELDS = ("request_id", "time", "method", "path", "model", "status", "fault", "duration_ms", "project")


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self.enabled = size > 0

    def add(
        self,
        request_id: str,
        method: str,
        path: str,
        model: str | None,
        status: int,
        fault: str | None,
        duration_s: float,
        project: str,
    ) -> None:
        """``duration_s``: from the request's arrival to the end of its response (a stream's last byte);
        kept in seconds and turned into ``duration_ms`` when read, off the request path."""
        self._entries.append(
            (
                request_id,
                time.time(),
                method,
                path,
                model,
                status,
                fault,
                duration_s,
                project,
            )
        )

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Oldest first; the last ``limit`` only if given."""
        rows = list(self._entries)
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        found = [dict(zip(_FIELDS, row, strict=True)) for row in rows]
        for entry in found:
            entry["duration_ms"] = round(entry["duration_ms"] * 1000, 3)  # stored in seconds
        return found

    def clear(self) -> None:
        self._entries.clear()
