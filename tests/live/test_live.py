"""The real server, started by the CLI: every flag reaches it, streams are paced, disconnects free work."""

from __future__ import annotations

import itertools
import json
import os
import signal
import statistics
import time
from pathlib import Path

import httpx2
import pytest
from openai import OpenAI

from tests.live.server import LiveServer, cpu_seconds, launch, live_server, seconds_until_health, stop

pytestmark = pytest.mark.live

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def sdk(server: LiveServer) -> OpenAI:
    return OpenAI(
        api_key="sk-test", base_url=f"{server.url}/v1", max_retries=0, _strict_response_validation=True
    )


def stamp_stream(server: LiveServer, **body: object) -> tuple[float, list[float], list[str]]:
    """(TTFT, inter-token gaps, texts) as a client sees them: from sending to each content chunk."""
    payload = {**CHAT, "stream": True, **body}
    stamps: list[float] = []
    texts: list[str] = []
    start = time.perf_counter()
    with httpx2.stream("POST", f"{server.url}/v1/chat/completions", json=payload, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"]
                if delta and delta[0]["delta"].get("content"):
                    stamps.append(time.perf_counter() - start)
                    texts.append(delta[0]["delta"]["content"])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return stamps[0], gaps, texts


def test_granian_server_honours_every_flag() -> None:
    flags = ["--workers", "2", "--ttft-ms", "200", "--itl-ms", "40", "--seed", "7", "--log-level", "debug",
             "--strict-models", "--max-request-bytes", "4096"]  # fmt: skip
    # Another loopback address than the default proves --host reaches the server.
    with live_server(*flags, host="127.0.0.2") as server:
        client = sdk(server)
        with pytest.raises(httpx2.ConnectError):
            httpx2.get(server.url.replace("127.0.0.2", "127.0.0.1") + "/health")
        # --workers: two worker processes under the server
        assert len(server.children()) == 2
        # --ttft-ms / --itl-ms: what a client measures
        ttft, gaps, _ = stamp_stream(server, max_tokens=12)
        assert 0.19 <= ttft < 0.40
        assert statistics.median(gaps) == pytest.approx(0.040, abs=0.008)
        # --seed: an unseeded request is reproducible
        first = client.chat.completions.create(**CHAT, max_tokens=10).choices[0].message.content  # type: ignore[arg-type]
        assert client.chat.completions.create(**CHAT, max_tokens=10).choices[0].message.content == first  # type: ignore[arg-type]
        # --strict-models
        response = httpx2.post(f"{server.url}/v1/chat/completions", json={**CHAT, "model": "acme/x"})
        assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"
        # --max-request-bytes
        big = {**CHAT, "messages": [{"role": "user", "content": "x" * 8000}]}
        assert httpx2.post(f"{server.url}/v1/chat/completions", json=big).status_code == 413
        # the first request above did not wait for a vocabulary (TTFT bound): the workers inherit them
        # --log-level debug: each worker logs its settings at debug level
        assert '"ttft_ms":200.0' in server.log()
        assert httpx2.get(f"{server.url}/health").headers["server"] == "granian"


def test_uvicorn_config_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "fakeai.toml"
    config.write_text('server = "uvicorn"\nttft-ms = 150\nitl-ms = 5\nlog-level = "warning"\n')
    with live_server("--config", str(config), env={"FAKEAI_ITL_MS": "30"}) as server:
        assert httpx2.get(f"{server.url}/health").headers["server"] == "uvicorn"  # from the file
        ttft, gaps, _ = stamp_stream(server, max_tokens=10)
        assert 0.14 <= ttft < 0.35  # from the file
        assert statistics.median(gaps) == pytest.approx(0.030, abs=0.008)  # env beats the file
        assert "FakeAI listening" not in server.log()  # log-level warning hides info lines


def test_stream_timing_and_role_chunk_at_first_token() -> None:
    with live_server("--ttft-ms", "250", "--itl-ms", "20") as server:
        start = time.perf_counter()
        first_data = None
        with httpx2.stream("POST", f"{server.url}/v1/chat/completions", timeout=30,
                           json={**CHAT, "stream": True, "max_tokens": 30}) as response:  # fmt: skip
            for line in response.iter_lines():
                if line.startswith("data:"):
                    first_data = time.perf_counter() - start
                    assert '"role":"assistant"' in line  # the role chunk...
                    break
        assert first_data is not None and first_data >= 0.24  # ...is not sent before the TTFT
        ttft, gaps, texts = stamp_stream(server, max_tokens=30)
        assert len(texts) == 30
        assert 0.24 <= ttft < 0.45
        assert statistics.median(gaps) == pytest.approx(0.020, abs=0.005)


def test_client_disconnect_aborts_the_engine_request() -> None:
    with live_server("--ttft-ms", "0", "--itl-ms", "50") as server:
        body = {**CHAT, "stream": True, "max_tokens": 2000}
        with httpx2.stream("POST", f"{server.url}/v1/chat/completions", json=body, timeout=30) as response:
            lines = response.iter_lines()
            assert next(line for line in lines if line.startswith("data:"))
            assert httpx2.get(f"{server.url}/health/ready").json()["running_sequences"] == 1
        # The connection is closed: the sequence must be aborted long before its 100 s of tokens.
        deadline = time.monotonic() + 5
        while httpx2.get(f"{server.url}/health/ready").json()["running_sequences"] != 0:
            assert time.monotonic() < deadline, "the engine kept generating for a gone client"
            time.sleep(0.05)


def test_a_gone_non_streaming_client_frees_its_sequences() -> None:
    with live_server("--ttft-ms", "0", "--itl-ms", "50") as server:
        with pytest.raises(httpx2.ReadTimeout):  # 100 s of tokens; the client gives up after 0.5 s
            httpx2.post(f"{server.url}/v1/chat/completions", json={**CHAT, "max_tokens": 2000}, timeout=0.5)
        deadline = time.monotonic() + 5
        while httpx2.get(f"{server.url}/health/ready").json()["running_sequences"] != 0:
            assert time.monotonic() < deadline, "the engine kept generating for a gone client"
            time.sleep(0.05)


def test_start_up_to_ready_costs_under_four_cpu_seconds() -> None:
    """Process start to the first /health 200, counted in CPU seconds of the server's processes: on a
    shared machine wall time measures the neighbours. It includes building every vocabulary once (about
    1.3 s of 2-3 s; contention inflates CPU time too), which is what lets no request wait for one; building
    them in every worker as well would cost about 4.5 s. On an idle 2-core machine it is about 1.8 s of
    wall time (docs/performance.md)."""
    started = time.monotonic()
    process, port = launch()
    try:
        wall = seconds_until_health(port, started, limit=30)
        cpu = cpu_seconds(process.pid)
        assert wall < 30
        assert cpu < 4.0, f"{cpu:.2f} CPU s to ready ({wall:.2f} s wall)"
    finally:
        stop(process)


def first_token_seconds(server: LiveServer, model: str) -> float:
    """TTFT as a client sees it: to the first chunk with text (reasoning counts: gpt-oss thinks first)."""
    payload = {**CHAT, "model": model, "stream": True, "max_tokens": 3}
    start = time.perf_counter()
    with httpx2.stream("POST", f"{server.url}/v1/chat/completions", json=payload, timeout=30) as response:
        for line in response.iter_lines():
            if '"content":"' in line.replace('"content":""', "") or '"reasoning_content":"' in line:
                return time.perf_counter() - start
    raise AssertionError(f"no token from {model}")


FAMILIES = ("gpt-4o-mini", "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B", "openai/gpt-oss-20b", "gpt-4")


def test_no_first_request_waits_for_a_vocabulary() -> None:
    """Right after /health first answers, one stream per vocabulary family: none builds a vocabulary
    (the load counter), so each meets the configured TTFT instead of stalling the server for a second."""
    process, port = launch("--ttft-ms", "100", "--itl-ms", "5")
    try:
        assert seconds_until_health(port, time.monotonic(), limit=30) < 30
        server = LiveServer(process, f"http://127.0.0.1:{port}", Path("/dev/null"))
        ttfts = {model: first_token_seconds(server, model) for model in FAMILIES}
        tokenizers = httpx2.get(f"{server.url}/health/ready").json()["tokenizers"]
        assert tokenizers == {"loaded": 5, "loads_after_ready": 0}, ttfts
        assert max(ttfts.values()) < 1.0, ttfts  # a stall was 1-2.6 s; the budget is 0.125 s, unloaded
    finally:
        stop(process)


def test_sigterm_stops_the_server_promptly() -> None:
    process, port = launch()
    try:
        assert seconds_until_health(port, time.monotonic(), limit=30) < 30
        stopped = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)  # raises if the server lingers
        assert time.monotonic() - stopped < 1.5
    finally:
        stop(process)


def test_sigterm_stops_the_server_within_seconds_despite_an_open_stream() -> None:
    with live_server("--ttft-ms", "0", "--itl-ms", "50") as server:
        body = {**CHAT, "stream": True, "max_tokens": 2000}  # 100 s of tokens
        with httpx2.stream("POST", f"{server.url}/v1/chat/completions", json=body, timeout=30) as response:
            lines = response.iter_lines()
            assert next(line for line in lines if line.startswith("data:"))
            stopped = time.monotonic()
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=10)  # raises if the server lingers
        assert time.monotonic() - stopped < 6  # the graceful period is 3 s
