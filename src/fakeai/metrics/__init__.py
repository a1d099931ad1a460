"""Prometheus (vLLM, Dynamo, DCGM) and JSON metrics that READ the engine: its events feed ``Recorder``,
its worker snapshots are read at scrape time. Request handlers count nothing engine-related; they only
report each request's outcome (``Metrics.request_outcome``)."""

from fakeai.metrics.exposition import CONTENT_TYPE
from fakeai.metrics.recorder import Recorder, error_type_for_status
from fakeai.metrics.registry import Metrics
from fakeai.metrics.view import ClusterView

__all__ = ["CONTENT_TYPE", "ClusterView", "Metrics", "Recorder", "error_type_for_status"]
