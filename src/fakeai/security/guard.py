"""The gate every request passes when keys are configured: which routes need a key, who the key is,
and clients that keep failing (slowed down, then blocked for a while).

Both transports call ``Guard.authenticate`` once per request (server/auth.py for ASGI, server/rsgi.py for
the native endpoints) and hand the resulting ``Identity`` to the handler. Without keys there is no
``Guard`` at all (``AppState.guard`` is None): nothing on the request path.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable

from fakeai.errors import AuthenticationError, FakeAIError
from fakeai.security.identity import Identity
from fakeai.security.keys import KeyRing
from fakeai.security.ratelimit import RateLimiter
from fakeai.security.tiers import Limits

MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if "
    "you're accessing the API from your browser and are prompted for a username and password. You can "
    "obtain an API key from https://platform.openai.com/account/api-keys."
)
#: Clients whose failures are tracked at most (the oldest are forgotten past it).
MAX_CLIENTS = 10_000
#: Routes that never need a key (probes), and the metrics and control routes (their own settings). The
#: dashboard is a view of the metrics a browser opens (it cannot send a bearer key): it goes with them.
OPEN_PREFIXES = ("/health",)
METRICS_PATHS = ("/metrics", "/dynamo/metrics", "/dcgm/metrics", "/kv-cache/metrics", "/dashboard")
ADMIN_PREFIX = "/fakeai/admin"


class AuthBlocked(FakeAIError):
    status = 429
    type = "invalid_request_error"


def incorrect_key(key: str) -> AuthenticationError:
    return AuthenticationError(
        f"Incorrect API key provided: {mask(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def mask(key: str) -> str:
    """As OpenAI shows a wrong key: its start and last four characters, the rest starred."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * min(len(key) - 7, 40) + key[-4:]


def bearer(authorization: str | None, api_key: str | None) -> str | None:
    """The key of a request: ``Authorization: Bearer`` (OpenAI), else ``x-api-key`` / ``api-key``
    (Anthropic's and Azure's headers)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None
    return api_key or None


class Failures:
    """Failed authentications per client: past ``max_failures`` within ``window`` seconds the client is
    blocked for ``block`` seconds (429 with ``retry-after``). Seconds on ``now``, the engine's clock; the
    ``retry-after`` a client reads is wall time (``scale``: engine seconds per wall second)."""

    def __init__(
        self, max_failures: int, window: float, block: float, now: Callable[[], float], scale: float = 1.0
    ) -> None:
        self.max_failures, self.window, self.block, self.now = max_failures, window, block, now
        self.scale = scale
        self._seen: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self.total = 0
        self.blocks = 0

    def check(self, client: str) -> None:
        until = self._blocked.get(client)
        if until is None:
            return
        left = until - self.now()
        if left <= 0:
            del self._blocked[client]
            return
        wait = max(1, math.ceil(left / self.scale))
        raise AuthBlocked(
            f"Too many failed authentication attempts from this client. Try again in {wait}s.",
            code="too_many_auth_failures",
            headers={"retry-after": str(wait)},
        )

    def failed(self, client: str) -> None:
        self.total += 1
        now = self.now()
        seen = self._seen.get(client)
        if seen is None:
            if len(self._seen) >= MAX_CLIENTS:
                self._seen.pop(next(iter(self._seen)))
            seen = self._seen[client] = deque(maxlen=self.max_failures)
        seen.append(now)
        if len(seen) >= self.max_failures and now - seen[0] <= self.window and self.block > 0:
            if len(self._blocked) >= MAX_CLIENTS:
                self._blocked.pop(next(iter(self._blocked)))
            self._blocked[client] = now + self.block
            self.blocks += 1
            seen.clear()

    def reset(self) -> None:
        self._seen.clear()
        self._blocked.clear()


class Guard:
    def __init__(
        self,
        keys: KeyRing,
        failures: Failures,
        now: Callable[[], float],
        *,
        metrics_auth: bool,
        time_scale: float = 1.0,
    ) -> None:
        self.keys = keys
        self.failures = failures
        self.limiter = RateLimiter(self.limits_of, now, time_scale)
        self.metrics_auth = metrics_auth
        #: Limits set at run time (control API), by key id or "*" for every key: over the configured ones.
        self.overrides: dict[str, Limits] = {}

    def needs_key(self, path: str) -> bool:
        if path.startswith(OPEN_PREFIXES) or path.startswith(ADMIN_PREFIX):
            return False  # the control API checks its own key (api/admin)
        if path.startswith(METRICS_PATHS):
            return self.metrics_auth
        return True

    async def authenticate(self, key: str | None, client: str) -> Identity:
        """The caller of a request bearing ``key`` from ``client`` (an address); 401/429 otherwise."""
        self.failures.check(client)
        if key is None:
            self.failures.failed(client)
            raise AuthenticationError(MISSING_KEY)
        decided, entry = self.keys.lookup(key)
        if not decided:
            entry = await asyncio.to_thread(self.keys.verify, key)
        if entry is None:
            self.failures.failed(client)
            raise incorrect_key(key)
        return entry.identity

    def limits_of(self, identity: Identity) -> Limits | None:
        entry = self.keys.by_key_id.get(identity.key_id)
        if entry is None:
            return None
        overrides = self.overrides
        if overrides:
            return overrides.get(entry.identity.key_id or "") or overrides.get("*") or entry.limits
        return entry.limits
