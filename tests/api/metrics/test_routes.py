from __future__ import annotations

import urllib.request
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai.metrics import Metrics, Recorder
from tests.live.server import free_port
from tests.metrics.fake import FakeCluster

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def attach(app: Starlette) -> FakeCluster:
    """Give the app metrics over a fake cluster (the real one is wired where the app builds its engine)."""
    recorder = Recorder(max_model_len=4096)
    cluster = FakeCluster(recorder)
    app.state.fakeai.metrics = Metrics(recorder, cluster, hostname="node-1")
    return cluster


def test_prometheus_and_json_endpoints(make_app: Callable[..., Starlette]) -> None:
    app = make_app()
    cluster = attach(app)
    cluster.request()
    with TestClient(app) as client:
        # /metrics also carries FakeAI's own counters (fakeai:faults_injected_total, ...).
        for path, first in (("/metrics", "vllm:"), ("/dynamo/metrics", "dynamo_frontend_"),
                            ("/dcgm/metrics", "DCGM_FI_")):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 200 and response.headers["content-type"] == PROMETHEUS
            names = [family.name for family in text_string_to_metric_families(response.text)]
            assert names and all(name.startswith((first, "fakeai:")) for name in names), path
        assert client.get("/metrics/json").json()["models"]["m"]["requests"]["finished"] == 1
        assert client.get("/kv-cache/metrics").json()["total"]["blocks_total"] == 2000


def test_dynamo_and_dcgm_on_ports_of_their_own(make_app: Callable[..., Starlette]) -> None:
    dynamo, dcgm = free_port(), free_port()
    app = make_app(dynamo_metrics_port=dynamo, dcgm_metrics_port=dcgm)
    attach(app)
    with TestClient(app):
        with urllib.request.urlopen(f"http://127.0.0.1:{dcgm}/metrics", timeout=5) as response:
            assert response.headers["Content-Type"] == PROMETHEUS
            assert b"DCGM_FI_DEV_GPU_UTIL{" in response.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{dynamo}/metrics", timeout=5) as response:
            assert b"dynamo_frontend_requests_total" in response.read()
