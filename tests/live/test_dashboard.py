"""The live dashboard against a real server under load: the push feed's frames, and the page in headless
Chromium (Debian's ``chromium`` package; .ci/run installs it; driven as in browser.py), whose numbers must
render and change. The browser test says plainly when it skipped, and saves its screenshot under the test's
tmp_path."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.live.browser import CHROMIUM, chromium_page
from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

MODELS = ("gpt-4o-mini", "meta-llama/Llama-3.1-8B-Instruct")


@pytest.fixture(scope="module")
def loaded() -> Iterator[LiveServer]:
    """A server with a steady trickle of chats to two models while the module's tests run (bounded)."""
    with live_server("--ttft-ms", "20", "--itl-ms", "5", "--log-level", "warning") as server:
        stop = threading.Event()

        def traffic() -> None:
            with httpx2.Client(base_url=server.url, timeout=10) as client:
                for i in range(3000):
                    if stop.is_set():
                        return
                    body = {
                        "model": MODELS[i % 2],
                        "messages": [{"role": "user", "content": f"Tell me about tides, part {i}."}],
                        "max_tokens": 16,
                        "stream": i % 3 == 0,
                    }
                    client.post("/v1/chat/completions", json=body)
                    time.sleep(0.02)

        thread = threading.Thread(target=traffic, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            stop.set()
            thread.join(timeout=15)


def _frames(url: str, count: int) -> list[dict]:
    frames = []
    with httpx2.Client(timeout=10) as client, client.stream("GET", f"{url}/metrics/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                frames.append(json.loads(line.removeprefix("data: ")))
                if len(frames) == count:
                    return frames
    return frames


def test_the_feed_pushes_a_frame_a_second_with_rates_under_load(loaded: LiveServer) -> None:
    frames = _frames(loaded.url, 4)
    last = frames[-1]
    assert 0.7 < frames[-1]["time"] - frames[-2]["time"] < 1.6
    assert last["requests_per_s"] > 0 and last["generation_tokens_per_s"] > 0
    assert set(MODELS) <= set(last["models"])
    assert last["ttft_ms"]["p50"] is not None and last["cost_usd"] > 0
    worker = last["workers"][0]
    assert worker["gpu_memory_used_mib"] > 0 and worker["gpu_power_watts"] > 0
    assert frames[-1]["cost_usd"] > frames[1]["cost_usd"]  # it moves with the traffic


def _kpi(dom: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">([^<]*)<', dom)
    assert match, name
    return match.group(1)


@pytest.mark.timeout(120)  # a browser start on a shared machine, and every wait below is bounded
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian package: chromium)")
def test_the_page_renders_live_numbers_in_a_browser(loaded: LiveServer, tmp_path: Path) -> None:
    screenshot = tmp_path / "dashboard.png"
    with chromium_page(tmp_path / "profile") as page:
        page.open(f"{loaded.url}/dashboard?frames=4")  # the page closes its feed after 4 frames
        state = "[document.body.dataset.frames, document.getElementById('status').textContent]"
        page.wait_for("document.body.dataset.frames === '4'", 30, describe=state)
        dom = page.dom()
        page.screenshot(screenshot)
    assert 'data-frames="4"' in dom
    for name in ("rps", "tps", "ttft", "itl", "cost"):
        assert _kpi(dom, name) not in ("", "\u2013"), name  # an en dash: no value yet
    assert all(model in dom for model in MODELS)  # the per-model table
    changes = re.search(r'data-changes="(\d+)"', dom)
    assert changes and int(changes.group(1)) >= 1  # the numbers change under load, frame to frame
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    print(f"dashboard screenshot: {screenshot}")


def test_fakeai_top_draws_the_feed_in_a_terminal(loaded: LiveServer) -> None:
    import io

    from rich.console import Console

    from fakeai import top

    out = io.StringIO()
    assert top.run(loaded.url, count=2, console=Console(file=out, width=160, force_terminal=False)) == 0
    screen = out.getvalue()
    assert "req/s" in screen and "per model" in screen and "per worker" in screen
    assert any(model in screen for model in MODELS)


def test_fakeai_top_says_when_the_server_is_gone() -> None:
    import io

    from rich.console import Console

    from fakeai import top

    out = io.StringIO()
    assert top.run("http://127.0.0.1:9", count=1, console=Console(file=out)) == 1
    assert "cannot read" in out.getvalue()
