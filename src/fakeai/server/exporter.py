"""A tiny HTTP responder for a metrics port of its own (as dcgm-exporter listens on 9400).

It answers ``GET <path>`` (and ``HEAD``) with the body ``render()`` returns at that moment and 404 to
anything else, one request per connection. It runs on the app's event loop (started in the lifespan) and
binds with ``reuse_port``, so the processes of ``--workers N`` share the port and the kernel spreads scrapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("fakeai")

#: Longest request head accepted (a scrape's is ~200 bytes).
MAX_HEAD = 16 * 1024
#: A client that sends nothing for this long is dropped (seconds).
READ_TIMEOUT = 10.0


class Exporter:
    def __init__(
        self, host: str, port: int, path: str, render: Callable[[], Awaitable[bytes]], content_type: str
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self._render, self._content_type = render, content_type
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and listen; ``port`` 0 picks a free port, and ``self.port`` then holds it."""
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_port=True, limit=MAX_HEAD
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            if method in ("GET", "HEAD") and target.split("?", 1)[0] == self.path:
                status, body, content_type = "200 OK", await self._render(), self._content_type
            else:
                status, body, content_type = (
                    "404 Not Found",
                    b"404 page not found\n",
                    "text/plain; charset=utf-8",
                )
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + (b"" if method == "HEAD" else body)  # HEAD: the same head, no body (AIPerf probes so)
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            pass  # a malformed or silent client: just close
        except ConnectionError:
            pass
        except Exception:
            log.exception("metrics exporter on port %d failed to answer", self.port)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
