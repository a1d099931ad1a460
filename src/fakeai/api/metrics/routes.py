"""Metrics endpoints: Prometheus text (vLLM, Dynamo frontend, DCGM) and the JSON summaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.metrics import CONTENT_TYPE, Metrics
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    def read(what: Callable[[Metrics], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return json_response(what(state.metrics))  # this process's only

        return endpoint

    def text(kind: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = state.metrics.text(kind)
            if state.peers is not None:  # --workers N: the whole server, every process's engines
                body = await state.peers.merged(kind, body)
            return Response(body, media_type=CONTENT_TYPE)

        return endpoint

    return [
        Route("/metrics", text("vllm"), methods=["GET"]),
        Route("/dynamo/metrics", text("dynamo"), methods=["GET"]),
        Route("/dcgm/metrics", text("dcgm"), methods=["GET"]),
        Route("/metrics/json", read(Metrics.summary), methods=["GET"]),
        Route("/kv-cache/metrics", read(Metrics.kv_cache), methods=["GET"]),
    ]
