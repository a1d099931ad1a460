"""server/flow.py: the kernel's send queue of one connection, as the RSGI front's streams see it."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from fakeai.server.flow import CHECK_BYTES, HIGH_WATER, Probe

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="sock_diag netlink is Linux's")


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(server side, client side) of a loopback TCP connection whose client has a small window."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
    server.setblocking(False)
    yield server, client
    server.close()
    client.close()


def _name(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def test_a_client_that_does_not_read_is_behind_until_it_reads(
    connection: tuple[socket.socket, socket.socket],
) -> None:
    server, client = connection
    probe = Probe()
    queue = probe.queue(_name(server.getsockname()), _name(server.getpeername()))
    assert queue is not None and queue.bytes() == 0
    assert not queue.behind(CHECK_BYTES - 1)  # not looked at before CHECK_BYTES
    sent = 0
    try:
        while sent < 8 * HIGH_WATER:
            sent += server.send(b"x" * 65536)
    except BlockingIOError:
        pass
    assert queue.bytes() > HIGH_WATER
    assert queue.behind(CHECK_BYTES) and queue.paused
    client.settimeout(5)
    received = 0
    while received < sent:
        received += len(client.recv(1 << 20))
    assert queue.caught_up() and not queue.paused
    probe.close()


def test_an_unknown_connection_is_not_paced() -> None:
    probe = Probe()
    queue = probe.queue("127.0.0.1:1", "127.0.0.1:2")
    assert queue is not None and queue.bytes() is None and not queue.behind(CHECK_BYTES)
    assert probe.queue(None, "127.0.0.1:2") is None
    assert probe.queue("/tmp/fakeai.sock", "x").bytes() is None  # type: ignore[union-attr]
    probe.close()
