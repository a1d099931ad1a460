"""Inputs that used to crash a transport: every server kind answers them with an OpenAI-shaped 4xx.

Raw sockets, so that no client library normalises the bytes on the way (percent escapes, lengths).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

KINDS = ("granian", "granian-asgi", "uvicorn")
DEEP = b'{"model": "gpt-4o", "messages": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, LiveServer]]:
    flags = ("--ttft-ms", "0", "--itl-ms", "0", "--log-level", "warning")
    with (
        live_server(*flags, "--server", KINDS[0]) as rsgi,
        live_server(*flags, "--server", KINDS[1]) as asgi,
        live_server(*flags, "--server", KINDS[2]) as uvicorn,
    ):
        yield dict(zip(KINDS, (rsgi, asgi, uvicorn), strict=True))


def send(server: LiveServer, raw: bytes) -> tuple[int, bytes]:
    """(status, body) of one raw HTTP/1.1 exchange on a fresh connection."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return int(head.split(b" ", 2)[1]), body


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        if not (n := int(size, 16)):
            break
        out, body = out + rest[:n], rest[n + 2 :]
    return out


def request(method: str, target: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def openai_error(body: bytes) -> dict:
    error = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    return error


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/v1/models/%FF", 404),  # percent-decodes to invalid UTF-8
        ("/v1/threads/%F0%9D%91%BB", 404),  # to a character outside Latin-1
        ("/v1/chat/completions%FF", 404),
        ("/v1/%C3%A9t%C3%A9", 404),
    ],
)
def test_paths_outside_latin1_get_an_openai_404(
    servers: dict[str, LiveServer], kind: str, target: str, status: int
) -> None:
    code, body = send(servers[kind], request("GET", target))
    assert code == status, body
    openai_error(body)


@pytest.mark.parametrize("kind", KINDS)
def test_a_path_is_percent_decoded_once(servers: dict[str, LiveServer], kind: str) -> None:
    code, body = send(servers[kind], request("GET", "/v1/models/a%2541"))
    assert code == 404 and "`a%41`" in openai_error(body)["message"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions", "/tokenize"])
def test_json_nested_ten_thousand_deep_is_a_400(servers: dict[str, LiveServer], kind: str, path: str) -> None:
    code, body = send(servers[kind], request("POST", path, DEEP))
    assert code == 400, body
    assert openai_error(body)["type"] == "invalid_request_error"


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_framing_is_a_400(servers: dict[str, LiveServer], kind: str) -> None:
    """The HTTP layer itself answers these, before any Python code runs: Granian with an empty body,
    uvicorn with its own text (docs/architecture.md, "What the HTTP layer answers itself")."""
    raw = request("POST", "/v1/chat/completions").replace(b"Content-Length: 0", b"Content-Length: abc")
    code, _ = send(servers[kind], raw + b"{}")
    assert code == 400
    # The server is unharmed: the next request is served.
    assert send(servers[kind], request("GET", "/health"))[0] == 200
