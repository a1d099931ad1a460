"""``GET /v1/organization/usage/{kind}`` and ``GET /v1/organization/costs`` (reports.py), plus
``GET /v1/organization/costs.csv``, the per-model table ``fakeai costs`` prints."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.organization import reports
from fakeai.api.vector_stores.service import KIND as VECTOR_STORE
from fakeai.errors import NotFoundError
from fakeai.metrics.usage import KINDS, UsageLedger
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    prices = state.catalog.token_prices

    async def ledger() -> UsageLedger:
        """This process's ledger; with ``--workers N``, the sum of every process's (server/peers.py)."""
        if state.peers is None:
            return state.usage
        return UsageLedger.merged(await state.peers.answers("usage", state.usage.export()))

    async def vector_bytes() -> dict[str, int]:
        """Bytes every project's vector stores hold now: an organization-wide report reads across
        projects, as OpenAI's admin API does."""
        totals: dict[str, int] = {}
        for project, store in await state.store.scan(VECTOR_STORE):
            totals[project] = totals.get(project, 0) + int(store.get("usage_bytes", 0))
        return totals

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
        levels = await vector_bytes() if kind == "vector_stores" else {}
        return json_response(reports.usage(await ledger(), kind, query, levels))

    async def costs(request: Request) -> Response:
        query = reports.parse_query(params(request), reports.COST_GROUPS, costs=True)
        return json_response(reports.costs(await ledger(), query, prices))

    async def costs_csv(request: Request) -> Response:
        """Per model since start: requests, tokens and USD, as CSV (spreadsheets, ``fakeai costs``)."""
        rows = reports.per_model(await ledger(), prices)
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
