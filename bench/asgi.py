"""One ``POST`` through an ASGI app in process, with no HTTP: what the in-process benches drive."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def post(
    app: Any, path: str, raw: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> tuple[int, int]:
    """Send ``raw`` as a JSON body to ``path``; returns (status, body bytes received). The request's
    ``receive`` reports a disconnect only once the response is complete, as a patient client would."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()), *headers],
    }  # fmt: skip
    status = size = 0
    sent = False
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return status, size
