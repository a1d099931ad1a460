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
    def read(what: Callable[[Metrics], Any], text: bool) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            value = what(state.metrics)
            return Response(value, media_type=CONTENT_TYPE) if text else json_response(value)

        return endpoint

    return [
        Route("/metrics", read(Metrics.vllm_text, True), methods=["GET"]),
        Route("/dynamo/metrics", read(Metrics.dynamo_text, True), methods=["GET"]),
        Route("/dcgm/metrics", read(Metrics.dcgm_text, True), methods=["GET"]),
        Route("/metrics/json", read(Metrics.summary, False), methods=["GET"]),
        Route("/kv-cache/metrics", read(Metrics.kv_cache, False), methods=["GET"]),
    ]
