"""Liveness and readiness probes (load balancers, Kubernetes, GuideLLM's start-up check)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai import __version__
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    async def health(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def ready(request: Request) -> Response:
        """Readiness: 503 while vocabularies are still loading (requests are served, but may stall)."""
        snapshots = state.engine.snapshots()  # the engine's published view, as the metrics read it
        return json_response(
            {
                "status": "ready" if state.ready else "loading",
                "version": __version__,
                "uptime_seconds": round(time.time() - state.started_at, 3),
                "models": len(state.catalog.list()),
                "running_sequences": sum(sum(w.running.values()) for w in snapshots),
                "waiting_sequences": sum(sum(w.waiting.values()) for w in snapshots),
            },
            status=200 if state.ready else 503,
        )

    return [
        Route("/health", health, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
    ]
