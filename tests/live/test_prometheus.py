"""Real Prometheus scrapes a running FakeAI; every panel of vLLM's Grafana dashboard and of FakeAI's own
(dashboards/fakeai.json) returns data. Runs where the ``prometheus`` binary is installed (Debian's
``prometheus`` package; .ci/run installs it), and says plainly when it skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx2
import pytest

from tests.live.server import free_port, live_server, stop

pytestmark = pytest.mark.live

PROMETHEUS = shutil.which("prometheus")
ROOT = Path(__file__).resolve().parents[2]
SERVED = "meta-llama/Llama-3.1-8B-Instruct"
RATE_INTERVAL = "20s"  # Grafana's $__rate_interval at a 1 s scrape, widened to hold several samples

#: The queries of vLLM's Grafana dashboard (examples/online_serving/prometheus_grafana/grafana.json), one
#: per panel (its other queries are the same metric at other quantiles), with its $model_name variable.
VLLM_DASHBOARD = {
    "E2E Request Latency": "histogram_quantile(0.99, sum by(le) (rate(vllm:e2e_request_latency_seconds_bucket"
    '{model_name="$model_name"}[$__rate_interval])))',
    "Token Throughput": 'rate(vllm:generation_tokens_total{model_name="$model_name"}[$__rate_interval])',
    "Time Per Output Token Latency": "histogram_quantile(0.99, sum by(le) (rate("
    'vllm:time_per_output_token_seconds_bucket{model_name="$model_name"}[$__rate_interval])))',
    "Scheduler State": 'vllm:num_requests_running{model_name="$model_name"}',
    "Time To First Token Latency": "histogram_quantile(0.99, sum by(le) (rate("
    'vllm:time_to_first_token_seconds_bucket{model_name="$model_name"}[$__rate_interval])))',
    "Cache Utilization": 'vllm:gpu_cache_usage_perc{model_name="$model_name"}',
    "Request Prompt Length": "sum by(le) (increase(vllm:request_prompt_tokens_bucket"
    '{model_name="$model_name"}[$__rate_interval]))',
    "Request Generation Length": "sum by(le) (increase(vllm:request_generation_tokens_bucket"
    '{model_name="$model_name"}[$__rate_interval]))',
    "Finish Reason": "sum by(finished_reason) (increase(vllm:request_success_total"
    '{model_name="$model_name"}[$__rate_interval]))',
    "Queue Time": 'rate(vllm:request_queue_time_seconds_sum{model_name="$model_name"}[$__rate_interval])',
    "Requests Prefill and Decode Time": "rate(vllm:request_prefill_time_seconds_sum"
    '{model_name="$model_name"}[$__rate_interval])',
    "Max Generation Token in Sequence Group": "rate(vllm:request_max_num_generation_tokens_sum"
    '{model_name="$model_name"}[$__rate_interval])',
}


def _own_dashboard() -> dict[str, str]:
    dashboard = json.loads((ROOT / "dashboards" / "fakeai.json").read_text())
    return {
        f"{panel['title']} [{target['refId']}]": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", ())
    }


def _config(port: int, directory: Path) -> Path:
    jobs = [("fakeai", "/metrics"), ("fakeai-dynamo", "/dynamo/metrics"), ("fakeai-dcgm", "/dcgm/metrics")]
    lines = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s", "scrape_configs:"]
    for name, path in jobs:
        lines += [
            f"  - job_name: {name}",
            f"    metrics_path: {path}",
            f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]",
        ]
    config = directory / "prometheus.yml"
    config.write_text("\n".join(lines) + "\n")
    return config


def _traffic(url: str, stop_at: float) -> None:
    """A steady trickle of streamed and unary chats to the served model, one bad request, and a cached
    prefix: every panel has something to show. Bounded by ``stop_at`` and a count."""
    long_prompt = "The tide comes in and goes out twice a day. " * 40
    with httpx2.Client(base_url=url, timeout=10) as client:
        client.post("/v1/chat/completions", json={"model": SERVED, "messages": [], "max_tokens": 1})
        for i in range(400):
            if time.monotonic() > stop_at:
                return
            body = {
                "model": SERVED,
                "messages": [{"role": "user", "content": long_prompt + str(i % 3)}],
                "max_tokens": 8,
                "stream": i % 2 == 0,
            }
            client.post("/v1/chat/completions", json=body)
            time.sleep(0.05)


def _query(api: str, expr: str) -> list:
    response = httpx2.get(f"{api}/api/v1/query", params={"query": expr}, timeout=5)
    response.raise_for_status()
    return response.json()["data"]["result"]


@pytest.mark.timeout(120)
@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus is not installed (Debian package: prometheus)")
def test_every_dashboard_panel_returns_data_from_real_prometheus() -> None:
    assert PROMETHEUS is not None
    with (
        live_server("--ttft-ms", "20", "--itl-ms", "5", "--log-level", "warning") as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        port = int(server.url.rsplit(":", 1)[1])
        web = free_port()
        prometheus = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={_config(port, Path(tmp))}",
                f"--storage.tsdb.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{web}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            api = f"http://127.0.0.1:{web}"
            traffic = threading.Thread(target=_traffic, args=(server.url, time.monotonic() + 12))
            traffic.start()
            traffic.join()
            queries = {
                **{f"vLLM: {k}": v.replace("$model_name", SERVED) for k, v in VLLM_DASHBOARD.items()},
                **{f"FakeAI: {k}": v for k, v in _own_dashboard().items()},
            }
            empty = []
            for title, expr in queries.items():
                result = _query(api, expr.replace("$__rate_interval", RATE_INTERVAL))
                if not result:
                    empty.append(title)
            assert not empty, f"panels without data: {empty}"
            # One series per engine: the sum of KV-cache usage is the pool's true use, at most 1.
            usage = _query(api, "sum(vllm:kv_cache_usage_perc)")
            assert 0 <= float(usage[0]["value"][1]) <= 1
        finally:
            stop(prometheus)
