"""The URL store's expiry and memory cap, and the render pool: off the event loop, bounded."""

from __future__ import annotations

import asyncio
import threading

import pytest

from fakeai.api.images.store import ImageStore
from fakeai.api.renders import RenderPool
from fakeai.errors import RateLimitError


def test_store_expires_and_evicts_oldest() -> None:
    now = [1000.0]
    store = ImageStore(capacity_bytes=10, ttl_s=60, now=lambda: now[0])
    first, expires = store.put(b"12345", "image/png", "png")
    assert expires == 1060 and first.endswith(".png")
    second, _ = store.put(b"67890", "image/png", "png")
    assert store.get(first) is not None
    third, _ = store.put(b"abc", "image/png", "png")  # 13 bytes > 10: the oldest goes
    assert store.get(first) is None and store.get(second) is not None and store.get(third) is not None
    now[0] = 1061
    assert store.get(second) is None


async def test_renders_run_on_media_threads_and_the_queue_is_bounded() -> None:
    pool = RenderPool(threads=1, queue=1)
    release = threading.Event()

    def work() -> str:
        release.wait(5)
        return threading.current_thread().name

    first = asyncio.ensure_future(pool.run(work))
    second = asyncio.ensure_future(pool.run(work))
    await asyncio.sleep(0)
    with pytest.raises(RateLimitError) as caught:
        await pool.run(work)
    assert caught.value.headers["retry-after"] == "1"
    release.set()
    names = await asyncio.gather(first, second)
    assert all(name.startswith("fakeai-media") for name in names)
    assert threading.current_thread().name not in names and pool.renders == 2
    pool.close()
