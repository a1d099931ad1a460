"""``Metrics``: one app's metrics, the recorder the engine feeds plus everything that reads at scrape time.

Build order: ``recorder = Recorder(...)``, then the cluster with ``observer=recorder``, then
``Metrics(recorder, cluster, ...)``. Nothing is global: every app owns one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

from fakeai.metrics import dynamo, summary, vllm
from fakeai.metrics.dcgm import Dcgm
from fakeai.metrics.exposition import Family, render
from fakeai.metrics.recorder import Recorder
from fakeai.metrics.view import ClusterView


class Metrics:
    def __init__(
        self,
        recorder: Recorder,
        cluster: ClusterView,
        *,
        deprecated: bool = False,
        hostname: str | None = None,
    ) -> None:
        """``deprecated``: also emit the names vLLM deprecated (``vllm:gpu_cache_usage_perc``, ...).
        ``hostname``: DCGM's ``Hostname`` label and the seed of the fake GPU UUIDs (default: this host)."""
        self.recorder = recorder
        self.cluster = cluster
        self.deprecated = deprecated
        host = hostname or socket.gethostname()
        self.dcgm = Dcgm(host, cluster.now())
        self.dynamo_worker_id = dynamo.worker_id(host)
        self._sources: list[Callable[[], Iterable[Family]]] = []

    def add_source(self, source: Callable[[], Iterable[Family]]) -> None:
        """More families for ``/metrics``, read at scrape time (stored state, batch and fine-tuning
        progress): ``source`` must be cheap and never block (it runs on the event loop)."""
        self._sources.append(source)

    def request_outcome(self, model: str, endpoint: str, stream: bool, error_type: str = "none") -> None:
        """The API layer's hook: see ``Recorder.request_outcome``."""
        self.recorder.request_outcome(model, endpoint, stream, error_type)

    def vllm_text(self) -> bytes:
        snapshots, served = self.cluster.snapshots(), list(self.cluster.served_models())
        families = vllm.families(self.recorder, snapshots, served, self.deprecated)
        return render([*families, *(family for source in self._sources for family in source())])

    def dynamo_text(self) -> bytes:
        snapshots, served = self.cluster.snapshots(), list(self.cluster.served_models())
        return render(dynamo.families(self.recorder, snapshots, served, self.dynamo_worker_id))

    def dcgm_text(self) -> bytes:
        return render(self.dcgm.families(self.cluster.snapshots(), self.cluster.now()))

    def summary(self) -> dict[str, Any]:
        return summary.summary(self.recorder, self.cluster.snapshots(), self.cluster.now())

    def kv_cache(self) -> dict[str, Any]:
        return summary.kv_cache(self.cluster.snapshots())
