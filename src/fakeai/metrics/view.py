"""What the renderers read from the engine at scrape time: the cluster seen through a narrow window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from fakeai.engine.observer import WorkerSnapshot


class ClusterView(Protocol):
    """The read-only part of the cluster the metrics need. Every call is cheap and never blocks."""

    def snapshots(self) -> list[WorkerSnapshot]:
        """One snapshot per worker, ordered by ``index`` (0..N-1)."""
        ...

    def now(self) -> float:
        """The engine clock, in seconds (the clock that stamps the events and ``busy_seconds``)."""
        ...

    def served_models(self) -> Sequence[str]:
        """Model names exposed even before any request (vLLM's ``--served-model-name``). The first is the
        label of per-worker series that have no model of their own (``cache_config_info``,
        ``iteration_tokens_total``, ``engine_sleep_state``), as vLLM labels everything with its first
        served name. Models seen in requests are added to the label sets as they appear."""
        ...
