"""JSON responses for the routes, and the OpenAI error body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.responses import Response

from fakeai.errors import FakeAIError

_encode = msgspec.json.encode


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(_encode(content), status_code=status, headers=headers, media_type="application/json")


def error_response(error: FakeAIError) -> Response:
    return json_response(error.body(), status=error.status, headers=error.headers)
