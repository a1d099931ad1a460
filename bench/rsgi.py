"""One ``POST`` through FakeAI's RSGI front in process, with no transport: the default server's own path
(server/rsgi.py), minus Granian. A stream is pushed from the engine's wake-ups into a counting send, as
Granian's synchronous ``send_bytes`` would take it."""

from __future__ import annotations

import asyncio
from typing import Any

from fakeai.server.rsgi import RSGIFront


class _Scope:
    proto = "http"
    method = "POST"
    scheme = "http"
    http_version = "1.1"
    query_string = ""
    # No addresses: the front then asks the kernel for no send queue (server/flow.py), as for a client
    # whose socket it cannot look up.
    server = client = ""

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        self.path = path
        self.headers = headers


class _Proto:
    """What the front uses of Granian's HTTP protocol object: the body, a whole or a streamed response,
    and a disconnect that never comes."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.status = 0
        self.size = 0

    async def __call__(self) -> bytes:
        return self.raw

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.size = status, len(body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> _Proto:
        self.status = status
        return self

    def send_bytes(self, data: bytes) -> None:
        self.size += len(data)

    async def client_disconnect(self) -> None:
        await asyncio.get_running_loop().create_future()


class Front:
    """``post`` through one ``RSGIFront`` of ``app`` (its lifespan is the caller's: ``create_app``'s state
    is ready without it)."""

    def __init__(self, app: Any) -> None:
        self.front = RSGIFront(app)

    async def post(self, path: str, raw: bytes, headers: dict[str, str] | None = None) -> tuple[int, int]:
        """Send ``raw`` as a JSON body to ``path``; returns (status, body bytes sent)."""
        fields = {"host": "127.0.0.1", "content-type": "application/json", "content-length": str(len(raw))}
        proto = _Proto(raw)
        await self.front.__rsgi__(_Scope(path, {**fields, **(headers or {})}), proto)  # type: ignore[arg-type]
        return proto.status, proto.size
