"""Rate limits counted for real, per key and model, with OpenAI's headers and errors.

OpenAI's limits behave as buckets that refill continuously: a request takes one request and its estimated
tokens (prompt tokens + ``max_tokens`` x ``n``); ``x-ratelimit-reset-*`` is the time until the bucket is
full again (one request at 500 RPM: "120ms"). That is a token bucket, which the ``limits`` library (fixed
and moving windows only, on the wall clock) does not offer; this one is ~20 lines, reads the engine's
clock (so tests step it virtually), and costs about a microsecond per request (docs/security.md).

Buckets live per (key id, model); the map is bounded (full buckets are dropped when it grows past a cap).
The headers are OpenAI's by default; Anthropic's Messages API asks for its own names (``anthropic_headers``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from fakeai.errors import FakeAIError
from fakeai.security.identity import Identity
from fakeai.security.tiers import Limits

MINUTE, DAY = 60.0, 86_400.0
#: Buckets kept at most; past this, the full (idle) ones are forgotten.
MAX_BUCKETS = 100_000
RATE_LIMITS_URL = "https://platform.openai.com/account/rate-limits"


class RateLimitReached(FakeAIError):
    """429 ``rate_limit_exceeded``; OpenAI's ``type`` says which limit: ``requests`` or ``tokens``.
    ``limit`` (``rpm``, ``tpm``, ``rpd``, ``tpd``), ``capacity`` and ``organization`` let another API word
    it in its own way (api/messages/errors.py)."""

    status = 429

    def __init__(
        self, message: str, kind: str, headers: dict[str, str], limit: str, capacity: int, organization: str
    ) -> None:
        super().__init__(message, code="rate_limit_exceeded", headers=headers)
        self.type = kind  # type: ignore[misc]  # OpenAI sends "requests" or "tokens" here
        self.limit, self.capacity, self.organization = limit, capacity, organization


class InsufficientQuota(FakeAIError):
    status = 429
    type = "insufficient_quota"

    def __init__(self) -> None:
        super().__init__(
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            code="insufficient_quota",
        )


class Bucket:
    """Holds up to ``capacity``; refills at ``capacity / period`` per second. ``level`` may go below 0
    never: a take that does not fit is refused whole."""

    __slots__ = ("capacity", "level", "rate", "stamp")

    def __init__(self, capacity: int, period: float, now: float) -> None:
        self.capacity = capacity
        self.rate = capacity / period
        self.level = float(capacity)
        self.stamp = now

    def refill(self, now: float) -> float:
        level = self.level + (now - self.stamp) * self.rate
        self.level = level if level < self.capacity else float(self.capacity)
        self.stamp = now
        return self.level

    def wait(self, amount: float) -> float:
        """Seconds until ``amount`` fits (after ``refill``)."""
        return max(0.0, (amount - self.level) / self.rate) if self.rate else math.inf

    def reset(self) -> float:
        """Seconds until full again."""
        return (self.capacity - self.level) / self.rate if self.rate else 0.0


class _Account:
    __slots__ = ("rpd", "rpm", "tpd", "tpm")

    def __init__(self, limits: Limits, now: float) -> None:
        self.rpm = None if limits.rpm is None else Bucket(limits.rpm, MINUTE, now)
        self.tpm = None if limits.tpm is None else Bucket(limits.tpm, MINUTE, now)
        self.rpd = None if limits.rpd is None else Bucket(limits.rpd, DAY, now)
        self.tpd = None if limits.tpd is None else Bucket(limits.tpd, DAY, now)

    def full(self, now: float) -> bool:
        return all(b is None or b.refill(now) >= b.capacity for b in (self.rpm, self.tpm, self.rpd, self.tpd))

    def shown(self) -> list[tuple[str, Bucket]]:
        """The buckets a response reports: ``requests`` and ``tokens``, per minute (per day when a key has
        only those)."""
        return [
            (name, bucket)
            for name, bucket in (("requests", self.rpm or self.rpd), ("tokens", self.tpm or self.tpd))
            if bucket is not None
        ]


_NAMES = {
    "rpm": ("requests per min (RPM)", "requests"),
    "rpd": ("requests per day (RPD)", "requests"),
    "tpm": ("tokens per min (TPM)", "tokens"),
    "tpd": ("tokens per day (TPD)", "tokens"),
}


#: Writes a request's rate-limit headers from its buckets and the engine seconds per wall second (waits
#: are sent in wall time): ``headers``, ``anthropic_headers``.
Render = Callable[[_Account, float], dict[str, str]]


class RateLimiter:
    """Admits requests against each key's limits (``limits_of(identity)``), on ``now`` (engine seconds).

    The buckets refill in engine time; every wait a client reads (``retry-after``, the resets, the error's
    "try again in") is wall time: engine seconds / ``scale`` (``--time-scale``), so a client that sleeps
    that long finds the bucket refilled, however fast the simulation runs."""

    def __init__(
        self, limits_of: Callable[[Identity], Limits | None], now: Callable[[], float], scale: float = 1.0
    ) -> None:
        self.limits_of = limits_of
        self.now = now
        self.scale = scale
        self._accounts: dict[tuple[str | None, str], _Account] = {}
        self._spent: dict[str | None, int] = {}  # tokens spent per key, against quota_tokens
        self._enqueued: dict[tuple[str | None, str], int] = {}  # batch input tokens held per key and model
        self._held: dict[str, tuple[tuple[str | None, str], int]] = {}  # by batch id: what it holds
        self.refused: dict[str, int] = {}  # 429s per limit name (rpm, tpm, ..., quota), for the metrics

    def reset(self) -> None:
        self._accounts.clear()
        self._spent.clear()
        self._enqueued.clear()
        self._held.clear()
        self.refused.clear()

    def enqueue(
        self, batch_id: str, identity: Identity, model: str, tokens: int, check: bool = True
    ) -> int | None:
        """Hold ``tokens`` of the batch queue of the caller's ``model`` for ``batch_id`` until ``dequeue``.
        Returns the limit when they do not fit (nothing held; ``check=False``, a batch resumed after a
        restart, holds them regardless); None when held, or when the key has no batch queue limit."""
        limits = self.limits_of(identity)
        if limits is None or limits.batch_queue_tokens is None or batch_id in self._held:
            return None
        key = (identity.key_id, model)
        held = self._enqueued.get(key, 0)
        if check and held + tokens > limits.batch_queue_tokens:
            self.refused["batch_queue"] = self.refused.get("batch_queue", 0) + 1
            return limits.batch_queue_tokens
        self._enqueued[key] = held + tokens
        self._held[batch_id] = (key, tokens)
        return None

    def dequeue(self, batch_id: str) -> None:
        """The batch ended (completed, failed, cancelled or expired): its tokens leave the queue."""
        found = self._held.pop(batch_id, None)
        if found is not None:
            key, tokens = found
            left = self._enqueued.get(key, 0) - tokens
            if left > 0:
                self._enqueued[key] = left
            else:
                self._enqueued.pop(key, None)

    def admit(
        self, identity: Identity, model: str, tokens: int, render: Render | None = None
    ) -> dict[str, str] | None:
        """Take one request and ``tokens`` from the caller's buckets for ``model``; the response headers,
        written by ``render`` (OpenAI's ``headers`` by default). Raises ``RateLimitReached`` (nothing
        taken; its headers by ``render`` too) or ``InsufficientQuota``. None: the key is unlimited."""
        limits = self.limits_of(identity)
        if limits is None or not limits.limited:
            return None
        now = self.now()
        if limits.quota_tokens is not None:
            spent = self._spent.get(identity.key_id, 0)
            if spent + tokens > limits.quota_tokens:
                self.refused["quota"] = self.refused.get("quota", 0) + 1
                raise InsufficientQuota()
        account = self._account(identity, model, limits, now)
        for name, bucket, amount in (
            ("rpm", account.rpm, 1),
            ("tpm", account.tpm, tokens),
            ("rpd", account.rpd, 1),
            ("tpd", account.tpd, tokens),
        ):
            if bucket is not None and bucket.refill(now) < amount:
                self._refuse(name, bucket, amount, identity, model, account, render or headers)
        for bucket, amount in (
            (account.rpm, 1),
            (account.tpm, tokens),
            (account.rpd, 1),
            (account.tpd, tokens),
        ):
            if bucket is not None:
                bucket.level -= amount
        if limits.quota_tokens is not None:
            self._spent[identity.key_id] = self._spent.get(identity.key_id, 0) + tokens
        return (render or headers)(account, self.scale)

    def levels(self, identity: Identity, model: str) -> list[tuple[str, int, int, float]] | None:
        """``(name, limit, remaining, wall seconds to full)`` of the caller's per-minute (else per-day)
        ``requests`` and ``tokens`` buckets for ``model``, taking nothing: the Realtime API's
        ``rate_limits.updated``. None: the key is unlimited, or has sent nothing for ``model`` yet."""
        limits = self.limits_of(identity)
        account = self._accounts.get((identity.key_id, model))
        if limits is None or not limits.limited or account is None:
            return None
        now = self.now()
        found = []
        for name, bucket in account.shown():
            bucket.refill(now)
            found.append(
                (name, bucket.capacity, max(0, math.floor(bucket.level)), bucket.reset() / self.scale)
            )
        return found

    def _account(self, identity: Identity, model: str, limits: Limits, now: float) -> _Account:
        key = (identity.key_id, model)
        account = self._accounts.get(key)
        if account is None:
            if len(self._accounts) >= MAX_BUCKETS:
                self._accounts = {k: a for k, a in self._accounts.items() if not a.full(now)}
            account = self._accounts[key] = _Account(limits, now)
        return account

    def _refuse(
        self,
        name: str,
        bucket: Bucket,
        amount: int,
        identity: Identity,
        model: str,
        account: _Account,
        render: Render,
    ) -> None:
        self.refused[name] = self.refused.get(name, 0) + 1
        label, kind = _NAMES[name]
        org = identity.project
        found = render(account, self.scale)
        if amount > bucket.capacity:  # can never fit: OpenAI's "Request too large"
            message = (
                f"Request too large for {model} in organization {org} on {label}: Limit {bucket.capacity}, "
                f"Requested {amount}. The input or output tokens must be reduced in order to run "
                f"successfully. Visit {RATE_LIMITS_URL} to learn more."
            )
            raise RateLimitReached(message, kind, found, name, bucket.capacity, org)
        wait = bucket.wait(amount) / self.scale
        used = bucket.capacity - math.floor(bucket.level)
        message = (
            f"Rate limit reached for {model} in organization {org} on {label}: Limit {bucket.capacity}, "
            f"Used {used}, Requested {amount}. Please try again in {duration(wait)}. Visit "
            f"{RATE_LIMITS_URL} to learn more."
        )
        found["retry-after"] = str(max(1, math.ceil(wait)))
        found["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        raise RateLimitReached(message, kind, found, name, bucket.capacity, org)


def headers(account: _Account, scale: float = 1.0) -> dict[str, str]:
    """OpenAI's ``x-ratelimit-*`` headers from the per-minute buckets (the per-day ones when a key has
    only those); ``scale``: engine seconds per wall second."""
    found: dict[str, str] = {}
    for name, bucket in account.shown():
        found[f"x-ratelimit-limit-{name}"] = str(bucket.capacity)
        found[f"x-ratelimit-remaining-{name}"] = str(max(0, math.floor(bucket.level)))
        found[f"x-ratelimit-reset-{name}"] = duration(bucket.reset() / scale)
    return found


def anthropic_headers(account: _Account, scale: float = 1.0) -> dict[str, str]:
    """Anthropic's ``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``, from the same buckets
    as ``headers``; a reset is the RFC 3339 time (UTC, whole seconds) when the bucket is full again. The
    limiter has one token bucket (input and output together), so Anthropic's separate
    ``input-tokens``/``output-tokens`` headers are not sent: they would repeat it under a false name."""
    found: dict[str, str] = {}
    wall = time.time()  # a reset is sent as a time of day: wall seconds from now
    for name, bucket in account.shown():
        found[f"anthropic-ratelimit-{name}-limit"] = str(bucket.capacity)
        found[f"anthropic-ratelimit-{name}-remaining"] = str(max(0, math.floor(bucket.level)))
        found[f"anthropic-ratelimit-{name}-reset"] = rfc3339(wall + bucket.reset() / scale)
    return found


def rfc3339(epoch: float) -> str:
    """``2025-01-01T00:01:00Z``: rounded up, so a client that waits until then finds the bucket full."""
    return datetime.fromtimestamp(math.ceil(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float) -> str:
    """OpenAI's (Go's) duration format: ``20ms``, ``1s``, ``8.64s``, ``6m0s``, ``1h2m3s``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s"
