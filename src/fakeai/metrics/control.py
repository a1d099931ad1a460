"""FakeAI's own counters, next to vLLM's on ``/metrics``: injected faults (so nobody mistakes one for a
bug), failed authentications and blocks, and requests refused by a rate limit. Read at scrape time from
the app's fault rules and guard (security/guard.py), which count as they go."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fakeai.metrics.exposition import Family


def control_families(state: Any) -> Callable[[], Iterator[Family]]:
    """A ``Metrics.add_source`` source over ``state.faults`` and ``state.guard`` (an ``AppState``; read
    each scrape, so rules and limits changed at run time show)."""

    def families() -> Iterator[Family]:
        faults = Family("fakeai:faults_injected_total", "counter", "Faults injected, by rule and kind.",
                        ("rule", "kind"))  # fmt: skip
        for (rule, kind), count in sorted(state.faults.injected.items()):
            faults.add((rule, kind), count)
        yield faults
        guard = state.guard
        if guard is None:
            return
        failures = guard.failures
        refused = "Requests refused for a missing or wrong API key."
        yield Family("fakeai:auth_failures_total", "counter", refused).add((), failures.total)
        yield Family(
            "fakeai:auth_blocks_total", "counter", "Clients blocked after repeated failed auth."
        ).add((), failures.blocks)
        limited = Family(
            "fakeai:rate_limited_total", "counter", "Requests refused by a rate limit.", ("limit",)
        )
        for name, count in sorted(guard.limiter.refused.items()):
            limited.add((name,), count)
        yield limited

    return families
