"""One exception hierarchy, rendered everywhere as OpenAI's error body.

``{"error": {"message": str, "type": str, "param": str | None, "code": str | None}}`` with all four keys
present, in JSON responses and as an SSE ``data:`` event when a stream fails after it started.
"""

from __future__ import annotations

from typing import Any, ClassVar


class FakeAIError(Exception):
    """Base of every error a client may see. Subclasses fix the HTTP status and the OpenAI ``type``."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequestError(FakeAIError):
    """400: the request is malformed or a value is out of range; ``param`` names the field."""

    status = 400
    type = "invalid_request_error"


class ContextLengthExceededError(InvalidRequestError):
    def __init__(self, message: str, *, param: str | None = "messages") -> None:
        super().__init__(message, param=param, code="context_length_exceeded")


class AuthenticationError(FakeAIError):
    status = 401
    type = "invalid_request_error"


class NotFoundError(FakeAIError):
    status = 404
    type = "invalid_request_error"


class ModelNotFoundError(NotFoundError):
    def __init__(self, model: str) -> None:
        super().__init__(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )


class MethodNotAllowedError(FakeAIError):
    status = 405
    type = "invalid_request_error"


class PayloadTooLargeError(FakeAIError):
    status = 413
    type = "invalid_request_error"


class RateLimitError(FakeAIError):
    status = 429
    type = "rate_limit_exceeded"


class ServerError(FakeAIError):
    status = 500
    type = "server_error"


class ServiceUnavailableError(FakeAIError):
    """503: the server cannot take the request now (it is shutting down)."""

    status = 503
    type = "server_error"


def http_error(status: int, message: str) -> FakeAIError:
    """The error for a framework-level HTTP status (unknown route, wrong method, ...)."""
    cls = {404: NotFoundError, 405: MethodNotAllowedError, 413: PayloadTooLargeError}.get(status)
    if cls is not None:
        return cls(message)
    if 400 <= status < 500:
        err = InvalidRequestError(message)
        err.status = status  # type: ignore[misc]  # instance override for rare framework statuses
        return err
    return ServerError(message)
