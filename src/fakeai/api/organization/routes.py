"""``GET /v1/organization/usage/{kind}`` and ``GET /v1/organization/costs`` (reports.py), plus
``GET /v1/organization/costs.csv``, the per-model table ``fakeai costs`` prints."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.organization import reports
from fakeai.errors import NotFoundError
from fakeai.metrics.usage import KINDS
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    prices = state.catalog.token_prices

    def vector_bytes() -> dict[str, int]:
        return {}  # filled in when the vector stores report their bytes per project

    def params(request: Request) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            out.setdefault(name, []).append(value)
        return out

    async def usage(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise NotFoundError(f"Invalid URL (GET /v1/organization/usage/{kind})")
        query = reports.parse_query(params(request), reports.GROUPS[kind])
        return json_response(reports.usage(state.usage, kind, query, vector_bytes))

    async def costs(request: Request) -> Response:
        query = reports.parse_query(params(request), reports.COST_GROUPS, costs=True)
        return json_response(reports.costs(state.usage, query, prices))

    async def costs_csv(request: Request) -> Response:
        """Per model since start: requests, tokens and USD, as CSV (spreadsheets, ``fakeai costs``)."""
        rows = reports.per_model(state.usage, prices)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(reports.PER_MODEL_COLUMNS)
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")

    return [
        Route("/v1/organization/usage/{kind}", usage, methods=["GET"]),
        Route("/v1/organization/costs", costs, methods=["GET"]),
        Route("/v1/organization/costs.csv", costs_csv, methods=["GET"]),
    ]
