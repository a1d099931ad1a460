"""The processes of ``--workers N`` as one server: a rank each, and metrics that add up.

Each worker process runs its own engine (``data_parallel_size`` simulated workers). To make ``/metrics``
describe the whole server whichever process a scrape reaches, the CLI gives every process a shared
directory (``PEERS_VARIABLE``); there each process

- claims the lowest free *rank* by holding an exclusive ``flock`` on ``rank-<k>`` for its life (a process
  that dies releases it, and Granian's replacement takes the same rank), so its simulated workers are
  engines ``rank * data_parallel_size + i``: distinct ``engine`` labels, as vLLM labels data-parallel
  ranks;
- answers on the Unix socket ``rank-<k>.sock`` with its own exposition of the kind asked for (one line:
  ``vllm``, ``dynamo`` or ``dcgm``).

A scrape renders its own process's text, asks every other socket concurrently (``TIMEOUT`` each; a peer
that is starting or gone is left out) and merges them (``metrics.exposition.merge``). The organization
usage and costs API asks the same way for every process's usage ledger (``usage``) and reports their sum.
Everything else (the JSON summaries, the dashboard) stays per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from pathlib import Path

from fakeai.metrics.exposition import merge

log = logging.getLogger("fakeai")

PEERS_VARIABLE = "FAKEAI_INTERNAL_PEERS_DIR"
#: A peer that does not answer within this long (seconds) is left out of the scrape.
TIMEOUT = 2.0
#: Largest exposition read from a peer (bytes): a bound on what one scrape holds.
MAX_TEXT = 64 * 1024 * 1024
#: What a peer answers: an exposition of each metrics kind, or its usage ledger (metrics/usage.py).
KINDS = ("vllm", "dynamo", "dcgm", "usage")
MAX_RANKS = 256


#: Families every process reports alike (Dynamo's model configuration): given once, not summed.
ALIKE = ("dynamo_frontend_model_",)
#: Stored state's families, alike in every process when the store is shared (sqlite), each process's own
#: when it is not (memory).
STORE = ("fakeai:store_",)


class Peers:
    """This process's place among the server's worker processes."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)
        self.alike: tuple[str, ...] = ALIKE  # family prefixes given once; see ``share_store``
        self.rank, self._lock = self._claim()
        self.socket_path = self.directory / f"rank-{self.rank}.sock"
        self._server: asyncio.Server | None = None

    @classmethod
    def from_environment(cls) -> Peers | None:
        directory = os.environ.get(PEERS_VARIABLE)
        return cls(directory) if directory else None

    def share_store(self) -> None:
        """The processes share one store: its families are given once."""
        self.alike = ALIKE + STORE

    def _claim(self) -> tuple[int, int]:
        for rank in range(MAX_RANKS):
            fd = os.open(self.directory / f"rank-{rank}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return rank, fd
        raise RuntimeError(f"more than {MAX_RANKS} worker processes share {self.directory}")

    async def start(self, render: Callable[[str], bytes]) -> None:
        """Answer the other processes with ``render(kind)`` of this one."""

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                kind = (await asyncio.wait_for(reader.readline(), TIMEOUT)).strip().decode()
                if kind in KINDS:
                    writer.write(render(kind))
                    await writer.drain()
            except (TimeoutError, ConnectionError, UnicodeDecodeError, ValueError):
                pass
            except Exception:
                log.exception("answering a peer's metrics request failed")
            finally:
                writer.close()

        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # left by the process that held this rank before
        self._server = await asyncio.start_unix_server(answer, path=str(self.socket_path))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
        os.close(self._lock)

    async def merged(self, kind: str, own: bytes) -> bytes:
        """``own`` merged with what every other process answers for ``kind``, lowest rank first."""
        alike = self.alike
        return merge(await self.answers(kind, own), lambda name: name.startswith(alike))

    async def answers(self, kind: str, own: bytes) -> list[bytes]:
        """``own`` and what every other process answers for ``kind``, lowest rank first; a process that
        does not answer (starting, stopping, gone) is left out."""
        others = sorted(
            (p for p in self.directory.glob("rank-*.sock") if p != self.socket_path),
            key=lambda p: int(p.stem.split("-")[1]),
        )
        texts = await asyncio.gather(*(self._ask(path, kind) for path in others))
        answers = {
            self.rank: own,
            **{int(p.stem.split("-")[1]): t for p, t in zip(others, texts, strict=True)},
        }
        return [answers[rank] for rank in sorted(answers) if answers[rank]]

    async def _ask(self, path: Path, kind: str) -> bytes:
        async def ask() -> bytes:
            reader, writer = await asyncio.open_unix_connection(str(path))
            try:
                writer.write(kind.encode() + b"\n")
                await writer.drain()
                chunks: list[bytes] = []
                size = 0
                while chunk := await reader.read(65536):
                    size += len(chunk)
                    if size > MAX_TEXT:
                        return b""
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                writer.close()

        try:
            return await asyncio.wait_for(ask(), TIMEOUT)
        except (OSError, TimeoutError):
            return b""  # starting, stopping or gone: this scrape goes without it
