"""Stop non-streaming work whose client has gone (streams get this from Starlette's StreamingResponse)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

#: nginx's "client closed request": nobody reads it, but it keeps logs honest.
CLIENT_CLOSED = 499


async def _until_disconnect(request: Request, on_disconnect: Callable[[], None]) -> None:
    # The body has been read, so the next message is the client's disconnect (servers block until then).
    while (await request.receive())["type"] != "http.disconnect":
        pass
    on_disconnect()


async def unless_disconnected(
    request: Request,
    work: Awaitable[Any],
    on_disconnect: Callable[[], None],
    respond: Callable[[Any], Response],
) -> Response:
    """``respond(await work)``, watching the connection meanwhile (one extra task per request).

    If the client disconnects first, ``on_disconnect`` runs (it must make ``work`` finish promptly, e.g. by
    aborting its engine sequences) and a 499 is returned to nobody.
    """
    watcher = asyncio.ensure_future(_until_disconnect(request, on_disconnect))
    try:
        result = await work
    finally:
        watcher.cancel()
    if watcher.done() and not watcher.cancelled() and watcher.exception() is None:
        return Response(status_code=CLIENT_CLOSED)
    return respond(result)
