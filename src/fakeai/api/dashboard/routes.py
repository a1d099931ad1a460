"""``GET /dashboard`` (one page, no build step: plain HTML and JS with uPlot vendored beside it) and
``GET /metrics/stream`` (its push feed; see feed.py)."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.api.dashboard.feed import Broadcast
from fakeai.errors import NotFoundError
from fakeai.metrics.live import LiveFeed
from fakeai.server.exchange import SSE_HEADERS
from fakeai.state import AppState

#: The page's files: name -> content type.
_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "uPlot.min.css": "text/css; charset=utf-8",
    "uPlot.LICENSE": "text/plain; charset=utf-8",
}


def routes(state: AppState) -> list[Route]:
    folder = resources.files("fakeai.api.dashboard").joinpath("static")
    files = {name: folder.joinpath(name).read_bytes() for name in _STATIC}
    broadcast = Broadcast(
        LiveFeed(state.metrics.recorder, state.engine, state.usage, state.catalog.token_prices)
    )

    async def page(request: Request) -> Response:
        return Response(files["index.html"], media_type=_STATIC["index.html"])

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            raise NotFoundError(f"No dashboard file {name!r}.")
        return Response(files[name], media_type=_STATIC[name], headers={"cache-control": "max-age=3600"})

    async def stream(request: Request) -> Response:
        return StreamingResponse(broadcast.subscribe(), media_type="text/event-stream", headers=SSE_HEADERS)

    return [
        Route("/dashboard", page, methods=["GET"]),
        Route("/dashboard/{name}", static, methods=["GET"]),
        Route("/metrics/stream", stream, methods=["GET"]),
    ]
