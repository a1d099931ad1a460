"""Settings -> the ``Guard`` (keys, failed-auth tracking, rate limits): the one place that reads the
security settings. No keys configured: no guard, and nothing on the request path."""

from __future__ import annotations

from collections.abc import Callable

from fakeai.security.guard import Failures, Guard
from fakeai.security.keys import load_keys
from fakeai.settings import Settings


def build_guard(settings: Settings, now: Callable[[], float], time_scale: float = 1.0) -> Guard | None:
    """``now``: the engine's clock (seconds), so rate limits refill in simulated time; ``time_scale``: its
    seconds per wall second, so the waits in the headers are wall time."""
    keys = load_keys(settings.api_key, settings.keys_file, settings.default_tier)
    if not keys:
        return None
    failures = Failures(
        settings.auth_max_failures, settings.auth_window_s, settings.auth_block_s, now, time_scale
    )
    return Guard(keys, failures, now, metrics_auth=settings.metrics_auth, time_scale=time_scale)
