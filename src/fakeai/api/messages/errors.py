"""Anthropic's error shape: ``{"type": "error", "error": {"type", "message"}, "request_id"}``.

The shared code raises the house's ``FakeAIError``s; this module renders them as Anthropic does, with its
statuses and types (an overloaded engine is ``overloaded_error`` 529, not OpenAI's 429), both as a JSON
response and as the ``event: error`` of a stream that fails once started.
"""

from __future__ import annotations

import logging
import re

import msgspec

from fakeai.errors import FakeAIError, InvalidRequestError, ModelNotFoundError
from fakeai.security.ratelimit import InsufficientQuota, RateLimitReached
from fakeai.server.exchange import Answer

log = logging.getLogger("fakeai.messages")
_encode = msgspec.json.encode

#: Anthropic's error type for each status it uses.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
OVERLOADED = 529
RATE_LIMITS_URL = "https://docs.claude.com/en/api/rate-limits"
#: What Anthropic answers a spent prepaid balance (a 400, not a 429).
NO_CREDIT = (
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or "
    "purchase credits."
)
_PER = {"rpm": "requests per minute", "rpd": "requests per day", "tpm": "tokens per minute",
        "tpd": "tokens per day"}  # fmt: skip

_INDEX = re.compile(r"\[(\d+)\]")


def location(param: str) -> str:
    """A house ``param`` as Anthropic names a field: ``messages[0].content`` -> ``messages.0.content``.
    Chat's tool paths (``tools[0].function.name``) become Anthropic's (``tools.0.name``)."""
    return _INDEX.sub(r".\1", param).replace(".function.parameters", ".input_schema").replace(".function", "")


def status_and_body(exc: FakeAIError, request_id: str | None = None) -> tuple[int, dict[str, object]]:
    status, message = exc.status, exc.message
    if exc.code == "engine_overloaded":
        status, message = OVERLOADED, "Overloaded"
    elif isinstance(exc, RateLimitReached):
        message = rate_limit_message(exc)
    elif isinstance(exc, InsufficientQuota):
        status, message = 400, NO_CREDIT
    elif isinstance(exc, ModelNotFoundError):
        message = f"model: {exc.message.split('`')[1]}" if "`" in exc.message else exc.message
    elif isinstance(exc, InvalidRequestError) and exc.param:
        where = location(exc.param)
        if exc.code == "missing_required_parameter":
            message = f"{where}: Field required"
        elif not message.startswith(where):
            message = f"{where}: {message}"
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    body: dict[str, object] = {"type": "error", "error": {"type": kind, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return status, body


def rate_limit_message(exc: RateLimitReached) -> str:
    """Anthropic's words for a refused request (whether it would fit later or never)."""
    return (
        f"This request would exceed the rate limit for your organization ({exc.organization}) of "
        f"{exc.capacity:,} {_PER[exc.limit]}. For details, refer to: {RATE_LIMITS_URL}. You can see the "
        "response headers for current usage. Please reduce the prompt length or the maximum tokens "
        "requested, or try again later."
    )


def error_answer(exc: FakeAIError, request_id: str) -> Answer:
    status, body = status_and_body(exc, request_id)
    headers = {**exc.headers, "request-id": request_id}
    if status == OVERLOADED or isinstance(exc, RateLimitReached):
        headers.pop("retry-after-ms", None)  # OpenAI's; Anthropic sends whole-second retry-after only
    return Answer(_encode(body), status, headers)


def error_event(exc: Exception) -> tuple[bytes, int]:
    """The ``event: error`` of a stream that failed once started, and the status to count for it."""
    if not isinstance(exc, FakeAIError):
        log.error("error while streaming a message", exc_info=exc)
        status, body = (
            500,
            {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
        )
    else:
        status, body = status_and_body(exc)
    return b"event: error\ndata: " + _encode(body) + b"\n\n", status
