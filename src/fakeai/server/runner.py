"""Run the app under Granian (default) or uvicorn, in one or more worker processes.

Worker processes import ``app_from_environment``, which rebuilds the exact ``Settings`` the CLI resolved
from an environment variable: the settings reach every worker whatever start method the server uses.
"""

from __future__ import annotations

import logging
import os
import sys

from starlette.types import ASGIApp

from fakeai.settings import Settings

SETTINGS_VARIABLE = "FAKEAI_INTERNAL_RESOLVED_SETTINGS"
TARGET = "fakeai.server.runner:app_from_environment"

log = logging.getLogger("fakeai")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("fakeai").setLevel(level.upper())


def app_from_environment() -> ASGIApp:
    """The ASGI app factory the HTTP server calls in each worker process."""
    from fakeai.app import create_app

    raw = os.environ.get(SETTINGS_VARIABLE)
    settings = Settings.model_validate_json(raw) if raw else Settings()
    configure_logging(settings.log_level)
    log.debug("worker %d settings: %s", os.getpid(), settings.model_dump_json())
    return create_app(settings)


def serve(settings: Settings) -> None:
    """Block serving HTTP until interrupted."""
    os.environ[SETTINGS_VARIABLE] = settings.model_dump_json()
    configure_logging(settings.log_level)
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
        )
        return
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    import fakeai.app  # noqa: F401  # imported before Granian forks, so workers start with it loaded

    Granian(
        TARGET,
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop=Loops.uvloop,
        log_level=LogLevels(settings.log_level),
        log_access=False,
    ).serve()
