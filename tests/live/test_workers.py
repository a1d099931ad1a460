"""``--workers 2``: two processes, one server. Every scrape, whichever process answers, sees both engines,
and the totals are the requests that were sent."""

from __future__ import annotations

import re
import time

import httpx2
import pytest

from tests.live.server import live_server

pytestmark = pytest.mark.live

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}


def samples(text: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one sample name in an exposition."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


def test_every_scrape_describes_both_worker_processes() -> None:
    with live_server("--workers", "2", "--ttft-ms", "0", "--itl-ms", "0", "--log-level", "info") as server:
        requests = 40
        with httpx2.Client(base_url=server.url, timeout=10) as client:
            for _ in range(requests):  # a connection each: the kernel spreads them over the processes
                assert (
                    httpx2.post(f"{server.url}/v1/chat/completions", json=CHAT, timeout=10).status_code == 200
                )
            for _ in range(10):  # fresh connections: scrapes land on either process
                text = httpx2.get(f"{server.url}/metrics", timeout=10).text
                # Each process's engine is its own series: engines 0 and 1, as vLLM's data-parallel ranks.
                per_engine: dict[str, float] = {}
                for labels, value in samples(text, "vllm:request_success_total").items():
                    engine = re.search(r'engine="(\d+)"', labels).group(1)  # type: ignore[union-attr]
                    per_engine[engine] = per_engine.get(engine, 0) + value
                assert set(per_engine) == {"0", "1"}
                assert sum(per_engine.values()) == requests
                assert sum(samples(text, "vllm:generation_tokens_total").values()) == 3 * requests
                # One HELP and TYPE per family, and no series twice (Prometheus rejects both).
                assert text.count("# TYPE vllm:request_success_total ") == 1
                series = [line.rpartition(" ")[0] for line in text.splitlines() if not line.startswith("#")]
                assert len(series) == len(set(series))
                # The frontend's counters are per model, not per engine: summed over the processes.
                dynamo = client.get("/dynamo/metrics").text
                assert sum(samples(dynamo, "dynamo_frontend_requests_total").values()) == requests
                # One simulated GPU per engine.
                gpus = set(re.findall(r'DCGM_FI_DEV_GPU_UTIL\{gpu="(\d+)"', client.get("/dcgm/metrics").text))
                assert gpus == {"0", "1"}
            assert min(per_engine.values()) > 0  # both processes served (else nothing was merged)


def test_the_usage_api_adds_up_every_worker_process() -> None:
    with live_server("--workers", "2", "--ttft-ms", "0", "--itl-ms", "0") as server:
        requests = 30
        for _ in range(requests):  # a connection each: the kernel spreads them over the processes
            assert httpx2.post(f"{server.url}/v1/chat/completions", json=CHAT, timeout=10).status_code == 200
        day = int(time.time()) // 86400 * 86400
        for _ in range(6):  # fresh connections: the query lands on either process
            body = httpx2.get(
                f"{server.url}/v1/organization/usage/completions",
                params={"start_time": day, "bucket_width": "1d"},
                timeout=10,
            ).json()
            results = [r for bucket in body["data"] for r in bucket["results"]]
            assert sum(r["num_model_requests"] for r in results) == requests
            assert sum(r["output_tokens"] for r in results) == 3 * requests
            csv = httpx2.get(f"{server.url}/v1/organization/costs.csv", timeout=10).text
            assert csv.splitlines()[1].split(",")[1] == str(requests)  # gpt-4o: every request
