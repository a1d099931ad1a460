"""Health probes, with vLLM's meaning: 200 only once the server can serve every catalog model at its
configured timing (load balancers, Kubernetes liveness and readiness probes, GuideLLM's start-up check).

The app loads every vocabulary in its lifespan, before the server accepts a connection (app.py), so a
server that answers at all, ``/v1/models`` included (AIPerf and scripts poll that), is ready. 503 is what an
app reports when it serves without its lifespan having run (an embedding that skips it): requests then
load vocabularies on first use and may stall.
"""

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
        ready = state.ready
        return json_response({"status": "ok" if ready else "loading"}, status=200 if ready else 503)

    async def ready(request: Request) -> Response:
        """Readiness with details: the same gate as /health, plus what the engine is doing."""
        snapshots = state.engine.snapshots()  # the engine's published view, as the metrics read it
        tokenizers = state.tokenizers
        return json_response(
            {
                "status": "ready" if state.ready else "loading",
                "version": __version__,
                "uptime_seconds": round(time.time() - state.started_at, 3),
                "models": len(state.catalog.list()),
                "running_sequences": sum(sum(w.running.values()) for w in snapshots),
                "waiting_sequences": sum(sum(w.waiting.values()) for w in snapshots),
                "tokenizers": {
                    "loaded": len(tokenizers.loaded),
                    "loads_after_ready": tokenizers.loads_after_ready,
                },
            },
            status=200 if state.ready else 503,
        )

    return [
        Route("/health", health, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
    ]
