from __future__ import annotations

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from fakeai.metrics import Metrics, Recorder
from tests.metrics.fake import FakeCluster


def parse(text: bytes) -> dict[str, Metric]:
    """Families by exposition name: a counter ``x`` (samples ``x_total``) is found as ``x_total``."""
    out: dict[str, Metric] = {}
    for family in text_string_to_metric_families(text.decode()):
        name = (
            family.name + "_total"
            if family.type == "counter" and not family.name.startswith("DCGM")
            else family.name
        )
        out[name] = family
    return out


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(max_model_len=4096)


@pytest.fixture
def cluster(recorder: Recorder) -> FakeCluster:
    return FakeCluster(recorder)


@pytest.fixture
def metrics(recorder: Recorder, cluster: FakeCluster) -> Metrics:
    return Metrics(recorder, cluster, hostname="node-1")
