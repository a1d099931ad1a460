"""``create_app(settings)``: the ASGI application with every API family attached."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from fakeai.api.admin import routes as admin
from fakeai.api.audio import routes as audio
from fakeai.api.azure import routes as azure
from fakeai.api.batches import routes as batches
from fakeai.api.chat import routes as chat
from fakeai.api.completions import routes as completions
from fakeai.api.conversations import routes as conversations
from fakeai.api.dashboard import routes as dashboard
from fakeai.api.embeddings import routes as embeddings
from fakeai.api.files import routes as files
from fakeai.api.fine_tuning import routes as fine_tuning
from fakeai.api.images import routes as images
from fakeai.api.messages import routes as messages
from fakeai.api.metrics import routes as metrics
from fakeai.api.models import routes as models
from fakeai.api.moderations import routes as moderations
from fakeai.api.organization import routes as organization
from fakeai.api.rag import routes as rag
from fakeai.api.ranking import routes as ranking
from fakeai.api.realtime import routes as realtime
from fakeai.api.responses import routes as responses
from fakeai.api.system import routes as system
from fakeai.api.text_generation import routes as text_generation
from fakeai.api.vector_stores import routes as vector_stores
from fakeai.api.vllm import routes as vllm
from fakeai.engine.clock import Clock
from fakeai.engine.tokenizer import ENCODINGS
from fakeai.errors import FakeAIError, ServerError, http_error
from fakeai.faults.inject import ResetConnection
from fakeai.metrics import CONTENT_TYPE
from fakeai.security.cors import EXPOSED
from fakeai.security.cors import MAX_AGE as CORS_MAX_AGE
from fakeai.security.guard import ADMIN_PREFIX
from fakeai.server import asgi
from fakeai.server.auth import Authenticate
from fakeai.server.control import Control
from fakeai.server.exchange import Endpoint
from fakeai.server.exporter import Exporter
from fakeai.server.middleware import BodyLimit, OpenAIHeaders
from fakeai.server.peers import Peers
from fakeai.server.responses import error_response
from fakeai.server.shutdown import Draining
from fakeai.settings import Settings
from fakeai.state import AppState

log = logging.getLogger("fakeai")

#: Families written as framework-free ``Endpoint``s (server/exchange.py): the hot paths, which the RSGI front
#: serves directly. The others are Starlette routes, which it reaches through its ASGI bridge.
_ENDPOINT_FAMILIES = (
    chat,
    completions,
    responses,
    messages,
    text_generation,
    embeddings,
    moderations,
    ranking,
    rag,
)
_ROUTE_FAMILIES = (
    system,
    models,
    vllm,
    metrics,
    dashboard,
    organization,
    images,
    audio,
    files,
    batches,
    vector_stores,
    fine_tuning,
    responses,
    conversations,
    azure,
    realtime,
    admin,
)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, peers: Peers | None = None
) -> Starlette:
    """Build an independent app: its own catalog, tokenizers and engine (nothing is shared between apps).

    ``clock`` replaces the engine's wall clock (tests and simulations pass a virtual one). ``peers``: this
    process's place among the processes of ``--workers N`` (server/peers.py), whose metrics it merges.
    """
    settings = settings or Settings()
    state = AppState.build(settings, clock, peers.rank * settings.data_parallel_size if peers else 0)
    state.peers = peers
    if peers is not None and settings.store != "memory":
        peers.share_store()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Every vocabulary is in before the server accepts its first request (the server does not serve
        # until the lifespan has started): a build holds the GIL for 0.3-0.8 s, and a request that met one
        # would stall every stream. After the CLI's preload (engine/tokenizer.py) this is a lookup.
        _load_vocabularies(state)
        if peers is not None:
            await peers.start(
                lambda kind: state.usage.export() if kind == "usage" else state.metrics.text(kind)
            )
        exporters = await _start_exporters(state)
        app.state.metrics_exporters = exporters  # tests read the bound ports
        await state.jobs.resume()  # unfinished batches and jobs continue from the store
        try:
            yield
        finally:
            if peers is not None:
                await peers.stop()
            for exporter in exporters:
                await exporter.stop()
            state.media.close()
            await state.jobs.stop()
            await state.store.close()

    endpoints: list[Endpoint] = [e for family in _ENDPOINT_FAMILIES for e in family.endpoints(state)]
    app = Starlette(
        lifespan=lifespan,
        routes=[
            *(asgi.route(endpoint) for endpoint in endpoints),
            *(route for family in _ROUTE_FAMILIES for route in family.routes(state)),
        ],
        middleware=_middleware(
            state, frozenset(e.path for e in endpoints), frozenset(e.path for e in endpoints if e.limited)
        ),
        exception_handlers={
            FakeAIError: _fakeai_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )
    app.state.fakeai = state
    app.state.endpoints = endpoints  # for the RSGI front (server/rsgi.py)
    return app


def _middleware(
    state: AppState, endpoint_paths: frozenset[str], self_counting: frozenset[str]
) -> list[Middleware]:
    """Outermost first. CORS and keys only when configured: nothing is added to the request path else.
    ``endpoint_paths`` journal their own outcome; ``self_counting`` (of them) take their own rate limit."""
    settings = state.settings
    chain = [Middleware(OpenAIHeaders), Middleware(Draining, drain=state.drain)]
    if settings.cors_origins:
        chain.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=EXPOSED,
                max_age=CORS_MAX_AGE,
            ),
        )
    if state.guard is not None:
        chain.append(
            Middleware(Authenticate, guard=state.guard, self_counting=self_counting, journal=state.journal)
        )
    chain.append(Middleware(Control, state=state, skip=endpoint_paths, prefix=ADMIN_PREFIX))
    chain.append(Middleware(BodyLimit, limit=settings.max_request_bytes))
    return chain


async def _start_exporters(state: AppState) -> list[Exporter]:
    """The Dynamo and DCGM metrics on ports of their own, when configured (see server/exporter.py)."""
    settings = state.settings

    def render(kind: str) -> Callable[[], Awaitable[bytes]]:
        async def body() -> bytes:
            text = state.metrics.text(kind)
            return text if state.peers is None else await state.peers.merged(kind, text)

        return body

    exporters = [
        Exporter(settings.host, port, "/metrics", render(kind), CONTENT_TYPE)
        for kind, port in (("dynamo", settings.dynamo_metrics_port), ("dcgm", settings.dcgm_metrics_port))
        if port is not None
    ]
    for exporter in exporters:
        await exporter.start()
    return exporters


READY_MESSAGE = "worker %d ready: %d tokenizer vocabularies loaded in %.2f s"


def _load_vocabularies(state: AppState) -> None:
    """Load every bundled vocabulary (a model id outside the catalog resolves to one of them too) and its
    prose; then the app reports ready."""
    started = time.monotonic()
    names = ENCODINGS
    state.tokenizers.load_all(names)
    for name in names:
        state.prose.get(name)
    state.ready = True
    log.info(READY_MESSAGE, os.getpid(), len(names), time.monotonic() - started)


async def _fakeai_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FakeAIError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    target = f"{request.method} {request.url.path}"
    messages = {404: f"Invalid URL ({target})", 405: f"Invalid method for URL ({target})"}
    error = http_error(exc.status_code, messages.get(exc.status_code, str(exc.detail)))
    response = error_response(error)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ResetConnection):  # a fault's dropped connection: the server aborts the response
        return error_response(ServerError("The connection was reset (injected fault)."))
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ServerError("The server had an error while processing your request."))
