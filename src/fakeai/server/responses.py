"""JSON responses for the Starlette routes, and the OpenAI error body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from fakeai.errors import FakeAIError
from fakeai.server.asgi import answer_response
from fakeai.server.exchange import Answer


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return answer_response(Answer.json(content, status, headers))


def error_response(error: FakeAIError) -> Response:
    return answer_response(Answer.error(error))
