"""The control API, for tests and load runs: latency, fault rules and rate limits changed at run time, a
reset of the state and metrics between tests, and the journal of recent requests (see docs/faults.md).

Under ``/fakeai/admin``. With API keys configured it needs ``admin_key`` (``Authorization: Bearer``); with
keys on and no admin key it stays closed. Every change is one synchronous swap on the event loop, so a
request sees the old settings or the new ones, never half of each.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import msgspec
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.admin.latency import LATENCY_FIELDS, apply_latency
from fakeai.errors import AuthenticationError, InvalidRequestError, NotFoundError
from fakeai.security.guard import ADMIN_PREFIX, bearer
from fakeai.security.tiers import TIERS, Limits, tier_limits
from fakeai.server.responses import json_response
from fakeai.state import AppState

Endpoint = Callable[[Request], Awaitable[Response]]
#: What ``POST /reset`` clears when the body names nothing.
RESET_PARTS = ("metrics", "journal", "rate_limits", "prefix_cache", "store", "fault_counts")


def routes(state: AppState) -> list[Route]:
    if not state.settings.admin_api:
        return []

    def guarded(endpoint: Endpoint) -> Endpoint:
        async def call(request: Request) -> Response:
            _check_admin(state, request)
            return await endpoint(request)

        return call

    async def overview(request: Request) -> Response:
        return json_response(
            {"latency": _latency(state), "faults": _faults(state), "rate_limits": _rate_limits(state)}
        )

    async def latency(request: Request) -> Response:
        if request.method == "PUT":
            changes = await _body(request)
            try:
                apply_latency(state, changes)
            except (ValidationError, ValueError) as exc:
                raise InvalidRequestError(f"Invalid latency settings: {exc}", code="invalid_value") from None
        return json_response(_latency(state))

    async def faults(request: Request) -> Response:
        rules = state.faults
        try:
            if request.method == "PUT":
                body = await _body(request, list)
                rules.set_rules(body)
            elif request.method == "POST":
                added = rules.add(await _body(request))
                return json_response(added.describe(), status=201)
            elif request.method == "DELETE":
                rules.set_rules([])
        except (ValueError, TypeError) as exc:
            raise InvalidRequestError(f"Invalid fault rule: {exc}", code="invalid_value") from None
        return json_response(_faults(state))

    async def fault(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        if request.method == "DELETE":
            if not state.faults.remove(rule_id):
                raise NotFoundError(f"No fault rule {rule_id!r}.", param="rule_id")
            return json_response({"id": rule_id, "deleted": True})
        for rule in state.faults.rules:
            if rule.id == rule_id:
                return json_response(rule.describe())
        raise NotFoundError(f"No fault rule {rule_id!r}.", param="rule_id")

    async def rate_limits(request: Request) -> Response:
        guard = state.guard
        if request.method != "GET":
            if guard is None:
                raise InvalidRequestError("Rate limits apply only with API keys configured.")
            if request.method == "DELETE":
                guard.overrides = {}
            else:
                key_id, limits = _limits_change(await _body(request))
                guard.overrides = {**guard.overrides, key_id: limits}
            guard.limiter.reset()  # every bucket starts again, full, under the new limits
        return json_response(_rate_limits(state))

    async def reset(request: Request) -> Response:
        body = await _body(request) if await request.body() else {}
        parts = body.get("parts", list(RESET_PARTS))
        unknown = set(parts) - set(RESET_PARTS)
        if unknown:
            raise InvalidRequestError(f"Unknown reset parts {sorted(unknown)}; known: {list(RESET_PARTS)}")
        state.reset(parts)
        return json_response({"reset": sorted(parts)})

    async def journal(request: Request) -> Response:
        if request.method == "DELETE":
            state.journal.clear()
            return json_response({"data": []})
        limit = request.query_params.get("limit")
        if limit is not None and not limit.isdigit():
            raise InvalidRequestError("limit must be a non-negative integer.", param="limit")
        return json_response({"data": state.journal.entries(None if limit is None else int(limit))})

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("", overview, ["GET"]),
        ("/latency", latency, ["GET", "PUT"]),
        ("/faults", faults, ["GET", "PUT", "POST", "DELETE"]),
        ("/faults/{rule_id}", fault, ["GET", "DELETE"]),
        ("/rate-limits", rate_limits, ["GET", "PUT", "DELETE"]),
        ("/reset", reset, ["POST"]),
        ("/journal", journal, ["GET", "DELETE"]),
    ]
    return [
        Route(ADMIN_PREFIX + path, guarded(endpoint), methods=methods) for path, endpoint, methods in table
    ]


def _check_admin(state: AppState, request: Request) -> None:
    admin_key = state.settings.admin_key
    if admin_key is None:
        if state.guard is None:
            return  # no keys anywhere: an open test server
        raise AuthenticationError(
            "The control API needs an admin key (--admin-key) when API keys are configured.",
            code="invalid_api_key",
        )
    given = bearer(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if given is None or not hmac.compare_digest(given.encode(), admin_key.encode()):
        raise AuthenticationError(
            "Incorrect or missing admin key for the control API.", code="invalid_api_key"
        )


async def _body(request: Request, kind: type = dict) -> Any:
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise InvalidRequestError("The body must be JSON.") from None
    if not isinstance(body, kind):
        raise InvalidRequestError(f"The body must be a JSON {'array' if kind is list else 'object'}.")
    return body


def _limits_change(body: dict[str, Any]) -> tuple[str, Limits]:
    """``{"key_id": "key_..." | "*", "tier": "free"}`` or ``{"key_id": ..., "limits": {"rpm": 3}}``
    (limits over the tier's, or over no limits at all)."""
    unknown = set(body) - {"key_id", "tier", "limits"}
    if unknown:
        raise InvalidRequestError(f"Unknown field(s) {sorted(unknown)}; known: key_id, tier, limits")
    key_id = body.get("key_id", "*")
    try:
        base = tier_limits(body["tier"]) if "tier" in body else Limits()
        return str(key_id), base.merged(body.get("limits") or {})
    except (ValueError, TypeError) as exc:
        raise InvalidRequestError(str(exc), code="invalid_value") from None


def _latency(state: AppState) -> dict[str, Any]:
    return {name: getattr(state.settings, name) for name in LATENCY_FIELDS}


def _faults(state: AppState) -> dict[str, Any]:
    injected = [
        {"rule": rule, "kind": kind, "count": count}
        for (rule, kind), count in sorted(state.faults.injected.items())
    ]
    return {
        "header": state.faults.header,
        "rules": [r.describe() for r in state.faults.rules],
        "injected": injected,
    }


def _rate_limits(state: AppState) -> dict[str, Any]:
    guard = state.guard
    presets = {name: asdict(limits) for name, limits in TIERS.items()}
    if guard is None:
        return {"enabled": False, "tiers": presets, "keys": [], "overrides": {}}
    keys = [
        {
            "key_id": e.identity.key_id,
            "project": e.identity.project,
            "tier": e.identity.tier,
            "limits": asdict(guard.limits_of(e.identity) or Limits()),
        }
        for e in guard.keys.entries
    ]
    overrides = {k: asdict(v) for k, v in guard.overrides.items()}
    return {"enabled": True, "tiers": presets, "keys": keys, "overrides": overrides}
