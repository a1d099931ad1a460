"""How far a stream's client is behind, for the RSGI front, whose transport cannot say.

Granian's RSGI ``send_bytes`` (2.8) queues into an unbounded channel and never waits, so a client that stops
reading has the whole stream buffered in the worker. The kernel does know: the connection's send queue
(unsent plus unacknowledged bytes) fills up to the socket buffer when the client does not read, and
Granian's channel only grows once it is full. ``SendQueue`` asks the kernel for that one socket's queue
(Linux ``sock_diag`` netlink, the interface ``ss`` uses; one exact lookup by address and port, O(1) in the
number of connections) after every ``CHECK_BYTES`` sent, so at most about that much sits in Granian's
channel when the stream pauses. Elsewhere (no netlink, no such socket) ``probe`` returns None and
streams are not paced, as before.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct

log = logging.getLogger("fakeai.server")

#: Bytes a stream sends between two looks at its socket's send queue: the most Granian buffers per stream.
CHECK_BYTES = 256 * 1024
#: A send queue above this many bytes means the client is not keeping up: the stream pauses ...
HIGH_WATER = 256 * 1024
#: ... until it falls below this.
LOW_WATER = 64 * 1024

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBxI")  # inet_diag_req_v2: family, protocol, extensions, states
_SOCKID = struct.Struct("!HH16s16s")  # inet_diag_sockid: ports and addresses, network order
_SOCKID_TAIL = struct.Struct("=III")  # interface, cookie (none: 0xFFFFFFFF twice)
_QUEUES = struct.Struct("=III")  # inet_diag_msg after the sock id: expires, rqueue, wqueue
_QUEUES_AT = _HEADER.size + 4 + _SOCKID.size + _SOCKID_TAIL.size


def _address(text: str) -> tuple[int, bytes, int]:
    """``127.0.0.1:8000`` or ``[::1]:8000`` -> (family, 16 address bytes, port)."""
    host, _, port = text.rpartition(":")
    address = ipaddress.ip_address(host.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    return family, address.packed.ljust(16, b"\0"), int(port)


class SendQueue:
    """One connection's kernel send queue, looked up by its addresses (the server's view). Made for every
    pushed stream, so it costs nothing until the stream has sent ``CHECK_BYTES`` (most never do)."""

    __slots__ = ("_client", "_diag", "_request", "_server", "paused", "unchecked")

    def __init__(self, diag: socket.socket, server: str, client: str) -> None:
        self._diag = diag
        self._server, self._client = server, client
        self._request: bytes | None = None
        self.unchecked = 0  # bytes sent since the last look
        self.paused = False

    def _lookup(self) -> bytes:
        if self._request is None:
            family, local, local_port = _address(self._server)
            _, remote, remote_port = _address(self._client)
            sockid = _SOCKID.pack(local_port, remote_port, local, remote) + _SOCKID_TAIL.pack(
                0, 0xFFFFFFFF, 0xFFFFFFFF
            )
            body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF) + sockid
            header = _HEADER.pack(_HEADER.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 0, 0)
            self._request = header + body
        return self._request

    def bytes(self) -> int | None:
        """Bytes in the send queue now; None when the kernel does not know the socket."""
        try:
            self._diag.send(self._lookup())
            reply = self._diag.recv(8192)
        except (OSError, ValueError):  # ValueError: a unix socket or an address we cannot parse
            return None
        if len(reply) < _QUEUES_AT + _QUEUES.size or _HEADER.unpack_from(reply)[1] == _NLMSG_ERROR:
            return None
        return _QUEUES.unpack_from(reply, _QUEUES_AT)[2]

    def behind(self, sent: int) -> bool:
        """Whether to pause after sending ``sent`` more bytes (the kernel is asked every CHECK_BYTES)."""
        self.unchecked += sent
        if self.unchecked < CHECK_BYTES:
            return False
        self.unchecked = 0
        queued = self.bytes()
        self.paused = queued is not None and queued > HIGH_WATER
        return self.paused

    def caught_up(self) -> bool:
        """While paused: whether the client has read enough to go on."""
        queued = self.bytes()
        self.paused = queued is not None and queued > LOW_WATER
        return not self.paused


class Probe:
    """One netlink socket per worker, shared by its streams (each lookup is one send and one receive)."""

    def __init__(self) -> None:
        self._diag: socket.socket | None = None
        self._failed = False

    def queue(self, server: str | None, client: str | None) -> SendQueue | None:
        if self._failed or not server or not client:
            return None
        if self._diag is None:
            try:
                self._diag = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG)
                self._diag.settimeout(0.05)
            except (OSError, AttributeError):  # not Linux, or netlink is not allowed here
                self._failed = True
                log.info("no sock_diag netlink here: streams on the RSGI front are not paced")
                return None
        return SendQueue(self._diag, server, client)

    def close(self) -> None:
        if self._diag is not None:
            self._diag.close()
