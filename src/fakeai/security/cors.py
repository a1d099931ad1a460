"""CORS for browser callers (openai-node with ``dangerouslyAllowBrowser``): allowed origins, and the headers
scripts may read. The ASGI app uses Starlette's ``CORSMiddleware`` with these settings (it also answers
preflights, on both transports: the RSGI front sends OPTIONS through its ASGI bridge); the RSGI front's
native endpoints add the same headers with ``Cors.headers``."""

from __future__ import annotations

from collections.abc import Sequence

#: What a script may read from a response: the request id, OpenAI's timing and the rate limit.
EXPOSED = (
    "x-request-id",
    "openai-version",
    "openai-processing-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "retry-after",
    "retry-after-ms",
)
#: Seconds a browser may cache a preflight's answer.
MAX_AGE = 600


class Cors:
    def __init__(self, origins: Sequence[str]) -> None:
        self.any = "*" in origins
        self.origins = frozenset(origins)
        self._expose = ", ".join(EXPOSED)

    @classmethod
    def of(cls, origins: Sequence[str]) -> Cors | None:
        return cls(origins) if origins else None

    def headers(self, origin: str | None) -> list[tuple[str, str]]:
        """For a simple (non-preflight) response: what Starlette's ``CORSMiddleware`` sends."""
        vary = ("vary", "Origin")
        if origin is None:
            return [vary]
        expose = ("access-control-expose-headers", self._expose)
        if self.any:
            return [("access-control-allow-origin", "*"), expose, vary]
        if origin in self.origins:
            return [expose, ("access-control-allow-origin", origin), vary]
        return [expose, vary]
