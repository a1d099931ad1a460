"""Backpressure on a real server: a streaming client that stops reading stops being fed, so the worker's
memory stays bounded however long the stream, and everything flows once it reads again (api/serving.py
``PushedStream`` with server/flow.py on the RSGI front; the ASGI servers' own flow control on uvicorn)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

MODEL = "meta-llama/Llama-3.1-8B-Instruct"  # long outputs, and its vocabulary loads quickly
CLIENTS = 3
CHOICES = 4
TOKENS = 16_000  # per choice: ~16 MB of SSE per client, all of it buffered in the worker before


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _stalled(url: str, tokens: int = TOKENS) -> socket.socket:
    """A streaming request whose client reads its first bytes and then nothing."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # before connecting: a small window
    sock.connect((host, int(port)))
    body = json.dumps({
        "model": MODEL, "messages": [{"role": "user", "content": "Write a long story."}],
        "stream": True, "n": CHOICES, "max_tokens": tokens, "ignore_eos": True,
    }).encode()  # fmt: skip
    head = f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
    sock.sendall(head.encode() + f"content-length: {len(body)}\r\n\r\n".encode() + body)
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


def _drain(sock: socket.socket) -> bytes:
    """Everything left on the connection, to the chunked body's end."""
    sock.settimeout(30)
    received = bytearray()
    while not received.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(1 << 20)
        assert chunk, "the connection closed before the body ended"
        received += chunk
    return bytes(received)


def _worker(server: LiveServer, kind: str) -> int:
    return server.children()[0] if kind == "granian" else server.process.pid


@pytest.mark.parametrize("kind", ["granian", "uvicorn"])
def test_a_client_that_does_not_read_holds_bounded_memory(kind: str) -> None:
    flags = ("--server", kind, "--ttft-ms", "0", "--itl-ms", "0.1", "--log-level", "debug")
    with live_server(*flags) as server:
        worker = _worker(server, kind)
        warm = _stalled(server.url, 16)  # loads the vocabulary before the baseline
        _drain(warm)
        warm.close()
        before = _rss_mb(worker)
        sockets = [_stalled(server.url) for _ in range(CLIENTS)]
        peak = before
        deadline = time.monotonic() + TOKENS * 0.0001 * 1.5 + 0.5  # the engine's whole run, and then some
        while time.monotonic() < deadline:
            peak = max(peak, _rss_mb(worker))
            time.sleep(0.1)
        # Unpaced, the worker held every stream whole: +42 MB here (3 x 4 x 16k tokens); paced, +2-3 MB.
        assert peak - before < 12, f"RSS rose from {before:.0f} to {peak:.0f} MB"
        if kind == "granian":  # the front paused the streams (its debug log); uvicorn's send just waits
            assert server.log().count("stream paused: its client is behind") >= CLIENTS
        rest = _drain(sockets[0])  # once read, everything flows: every token, every choice's end, [DONE]
        assert rest.count(b'"finish_reason":"length"') == CHOICES
        assert b"data: [DONE]" in rest
        for sock in sockets:
            sock.close()
