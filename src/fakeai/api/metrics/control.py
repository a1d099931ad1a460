"""FakeAI's own counters, next to vLLM's on ``/metrics``: injected faults (so nobody mistakes one for a
bug), failed authentications and blocks, and requests refused by a rate limit."""

from __future__ import annotations

from collections.abc import Iterator

from fakeai.metrics.exposition import Family
from fakeai.state import AppState


def families(state: AppState) -> Iterator[Family]:
    faults = Family("fakeai:faults_injected_total", "counter", "Faults injected, by rule and kind.",
                    ("rule", "kind"))  # fmt: skip
    for (rule, kind), count in sorted(state.faults.injected.items()):
        faults.add((rule, kind), count)
    yield faults
    guard = state.guard
    if guard is None:
        return
    yield Family(
        "fakeai:auth_failures_total", "counter", "Requests refused for a missing or wrong API key."
    ).add((), guard.failures.total)
    yield Family(
        "fakeai:auth_blocks_total", "counter", "Clients blocked after repeated failed authentication."
    ).add((), guard.failures.blocks)
    limited = Family(
        "fakeai:rate_limited_total", "counter", "Requests refused by a rate limit, by limit.", ("limit",)
    )
    for name, count in sorted(guard.limiter.refused.items()):
        limited.add((name,), count)
    yield limited
