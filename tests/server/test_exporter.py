"""The side-port metrics responder, live on a loopback port chosen by the kernel."""

from __future__ import annotations

import asyncio

import pytest

from fakeai.server.exporter import Exporter

pytestmark = pytest.mark.live


async def fetch(port: int, head: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


async def test_answers_get_and_head_of_its_path_and_404_otherwise() -> None:
    scrapes = []

    async def render() -> bytes:
        scrapes.append(1)
        return b"DCGM_FI_DEV_GPU_UTIL 1\n"

    exporter = Exporter("127.0.0.1", 0, "/metrics", render, "text/plain; version=0.0.4; charset=utf-8")
    await exporter.start()
    try:
        assert exporter.port != 0
        ok = await fetch(exporter.port, b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200 OK\r\n") and ok.endswith(b"\r\n\r\nDCGM_FI_DEV_GPU_UTIL 1\n")
        assert b"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n" in ok
        assert b"Content-Length: 23\r\n" in ok
        # HEAD (AIPerf's reachability probe): the same head, no body.
        head_only = await fetch(exporter.port, b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        assert head_only.startswith(b"HTTP/1.1 200 OK\r\n") and head_only.endswith(
            b"Connection: close\r\n\r\n"
        )
        for head in (
            b"GET / HTTP/1.1\r\n\r\n",
            b"POST /metrics HTTP/1.1\r\n\r\n",
            b"GET /metricsx HTTP/1.1\r\n\r\n",
        ):
            assert (await fetch(exporter.port, head)).startswith(b"HTTP/1.1 404 Not Found\r\n")
        assert await fetch(exporter.port, b"garbage") == b""  # closed without an answer
        assert len(scrapes) == 2
    finally:
        await exporter.stop()
