"""Run the app under Granian (default) or uvicorn, in one or more worker processes.

Worker processes import ``app_from_environment``, which rebuilds the exact ``Settings`` the CLI resolved
from an environment variable: the settings reach every worker whatever start method the server uses.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from fakeai.server.peers import PEERS_VARIABLE, Peers
from fakeai.server.shutdown import install_signal_handlers
from fakeai.settings import Settings

SETTINGS_VARIABLE = "FAKEAI_INTERNAL_RESOLVED_SETTINGS"
TARGET = "fakeai.server.runner:served_from_environment"
RSGI_TARGET = "fakeai.server.runner:rsgi_from_environment"

log = logging.getLogger("fakeai")

#: On SIGTERM, open requests get this long to finish before the workers are stopped: a simulated stream
#: can last minutes, and an operator expects the server to go within seconds.
GRACEFUL_SHUTDOWN_S = 3


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("fakeai").setLevel(level.upper())


def _preload() -> None:
    """Build every vocabulary here, before the server forks its workers: they inherit the tables
    copy-on-write (Granian forks on Linux), so each worker's lifespan only looks them up and N workers
    share one copy. ``gc.freeze`` keeps the collector from writing to (and so copying) the inherited
    objects' pages."""
    from fakeai.engine.tokenizer import preload

    started = time.monotonic()
    preload()
    gc.freeze()
    log.debug("vocabularies built in %.2f s before the workers start", time.monotonic() - started)


def app_from_environment() -> ASGIApp:
    """The ASGI app factory the HTTP server calls in each worker process."""
    from fakeai.app import create_app

    raw = os.environ.get(SETTINGS_VARIABLE)
    settings = Settings.model_validate_json(raw) if raw else Settings()
    configure_logging(settings.log_level)
    log.debug("worker %d settings: %s", os.getpid(), settings.model_dump_json())
    app = create_app(settings, peers=Peers.from_environment())
    tune_interpreter()
    return app


#: The young generation's collection threshold in a server worker (CPython's default is 700).
GC_YOUNG_THRESHOLD = 50_000
#: How long the loop thread may hold the GIL while another thread waits for it (CPython's default: 5 ms).
SWITCH_INTERVAL_S = 0.0005


def tune_interpreter() -> None:
    """Set the worker's interpreter for serving. Only the server's own processes do this (and the
    in-process benches, to measure what a worker runs): an app embedded with ``create_app`` leaves its
    host's interpreter alone.

    - The collector: what the app built at start-up is frozen (never traversed again), and young
      collections wait for 50,000 allocations instead of 700. Each open stream keeps a few dozen objects
      alive, so with the default every few hundred tokens the collector walked all of them: about a tenth
      of the loop thread at 800 streams (perf). Nearly everything a request allocates is freed by
      reference counting; the rest (cycles) waits a little longer.
    - The switch interval: Granian's threads take the GIL to hand each new request and its body to the
      loop. While the loop is busy (streams open) each such handoff waited up to 5 ms, which a client sees
      in its TTFT and the server cannot (it stamps arrival once the request reaches Python): 200
      simultaneous arrivals measured TTFT p50 115 ms against 107 ms at 0.5 ms (configured 100), at no
      measurable CPU cost per token.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def served_from_environment() -> ASGIApp:
    """``app_from_environment`` for an ASGI server (uvicorn, Granian's ASGI mode): a shutdown signal
    first ends the open streams cleanly (server/shutdown.py), then stops the server as before."""
    app = app_from_environment()
    assert isinstance(app, Starlette)
    drain = app.state.fakeai.drain
    installed = False

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal installed
        if not installed and scope["type"] == "lifespan":  # the server's own handlers are in place by now
            installed = True
            install_signal_handlers(drain, asyncio.get_running_loop())
        await app(scope, receive, send)

    return served


def rsgi_from_environment() -> object:
    """The RSGI front (server/rsgi.py) around the same app: Granian's default interface here."""
    from fakeai.server.rsgi import RSGIFront

    app = app_from_environment()
    assert isinstance(app, Starlette)
    return RSGIFront(app)


def serve(settings: Settings) -> None:
    """Block serving HTTP until interrupted."""
    os.environ[SETTINGS_VARIABLE] = settings.model_dump_json()
    if settings.workers > 1:  # the processes find each other there (server/peers.py)
        peers = tempfile.mkdtemp(prefix="fakeai-peers-")
        os.environ[PEERS_VARIABLE] = peers
        try:
            _serve(settings)
        finally:
            shutil.rmtree(peers, ignore_errors=True)
    else:
        _serve(settings)


def _serve(settings: Settings) -> None:
    configure_logging(settings.log_level)
    _preload()
    log.info(
        "FakeAI listening on http://%s:%d (%s, %d worker%s)",
        settings.host,
        settings.port,
        settings.server,
        settings.workers,
        "" if settings.workers == 1 else "s",
    )
    if settings.server == "uvicorn":
        import uvicorn

        # With --workers > 1 uvicorn spawns fresh interpreters (no fork): each worker builds its own
        # vocabularies in its lifespan (about 1.3 s of CPU each) and holds its own copy.

        uvicorn.run(
            TARGET,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            loop="uvloop",
            http="httptools",
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    rsgi = settings.server == "granian"
    # Imported before Granian forks, so workers start with them loaded.
    for module in ("fakeai.app", "fakeai.server.rsgi") if rsgi else ("fakeai.app",):
        importlib.import_module(module)
    Granian(
        RSGI_TARGET if rsgi else TARGET,
        factory=True,
        interface=Interfaces.RSGI if rsgi else Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop=Loops.uvloop,
        # Granian's defaults cap a worker at 1024 requests in flight (backlog // workers), fewer than the
        # thousands of streams a load test opens; admission is the simulated engine's job (429 when full).
        backlog=4096,
        backpressure=65536,
        log_level=LogLevels(settings.log_level),
        log_access=False,
        workers_kill_timeout=GRACEFUL_SHUTDOWN_S,
    ).serve()
