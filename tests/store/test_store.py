"""The storage seam, the same tests on every backend: objects, paging, projects, blobs, the byte cap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakeai.store import StorageFullError, Store, open_store


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory" if request.param == "memory" else f"sqlite:{tmp_path / 'fakeai.db'}"
    opened = open_store(url, max_bytes=100_000)
    yield opened
    await opened.close()


def obj(id: str, **fields: object) -> dict[str, object]:
    return {"id": id, "object": "thing", **fields}


async def test_put_get_update_delete(store: Store) -> None:
    p = store.project("proj_a")
    await p.put("thing", obj("t1", n=1, nested={"a": [1, 2]}))
    got = await p.get("thing", "t1")
    assert got == obj("t1", n=1, nested={"a": [1, 2]})
    got["n"] = 99  # what a caller holds is a copy
    assert (await p.get("thing", "t1"))["n"] == 1
    assert await p.update("thing", "t1", {"n": 2}) == obj("t1", n=2, nested={"a": [1, 2]})
    assert await p.update("thing", "absent", {"n": 2}) is None
    assert await p.delete("thing", "t1") is True
    assert await p.delete("thing", "t1") is False
    assert await p.get("thing", "t1") is None


async def test_projects_are_isolated(store: Store) -> None:
    a, b = store.project("proj_a"), store.project("proj_b")
    await a.put("thing", obj("t1", owner="a"))
    assert await b.get("thing", "t1") is None
    assert (await b.list("thing")).data == []
    assert await b.delete("thing", "t1") is False
    await b.put("thing", obj("t1", owner="b"))  # same id, other project: another object
    assert (await a.get("thing", "t1"))["owner"] == "a"
    await a.put_blob("k", b"a's bytes")
    assert await b.get_blob("k") is None
    assert [project for project, _ in await store.scan("thing")] == ["proj_a", "proj_b"]


async def test_list_pages_in_insertion_order_with_cursors(store: Store) -> None:
    p = store.project("proj_a")
    await p.put_many("thing", [obj(f"t{i}", even=i % 2 == 0) for i in range(7)])
    await p.put("thing", obj("t3", even=False, replaced=True))  # replacing keeps its place
    asc = await p.list("thing", order="asc", limit=3)
    assert [o["id"] for o in asc.data] == ["t0", "t1", "t2"] and asc.has_more
    nxt = await p.list("thing", order="asc", limit=3, after=asc.last_id)
    assert [o["id"] for o in nxt.data] == ["t3", "t4", "t5"] and nxt.has_more
    assert nxt.data[0]["replaced"] is True
    last = await p.list("thing", order="asc", limit=3, after=nxt.last_id)
    assert [o["id"] for o in last.data] == ["t6"] and not last.has_more
    desc = await p.list("thing", limit=2)
    assert [o["id"] for o in desc.data] == ["t6", "t5"]
    assert [o["id"] for o in (await p.list("thing", limit=2, after="t5")).data] == ["t4", "t3"]
    before = await p.list("thing", order="asc", limit=2, before="t4")
    assert [o["id"] for o in before.data] == ["t2", "t3"] and before.has_more
    evens = await p.list("thing", order="asc", where={"even": True}, after="t1")
    assert [o["id"] for o in evens.data] == ["t2", "t4", "t6"]
    assert (await p.list("thing", after="nope")).data == []
    assert await p.count("thing") == 7
    assert await p.count("thing", {"even": False}) == 3
    page = (await p.list("thing", limit=None)).to_openai()
    assert page["object"] == "list" and page["first_id"] == "t6" and page["last_id"] == "t0"


async def test_child_collections_drop_together(store: Store) -> None:
    p = store.project("proj_a")
    await p.put_many("thing.part:t1", [obj("a"), obj("b")])
    await p.put("thing.part:t2", obj("a"))
    assert await p.drop("thing.part:t1") == 2
    assert await p.count("thing.part:t1") == 0
    assert await p.count("thing.part:t2") == 1
    assert store.stats()["thing.part"] == 1


async def test_blobs_round_trip_and_count_against_the_cap(store: Store) -> None:
    p = store.project("proj_a")
    data = bytes(range(256)) * 100  # 25,600 bytes, every byte value
    await p.put_blob("file-1", data)
    assert await p.get_blob("file-1") == data
    used = store.backend.bytes_used
    assert used >= len(data)
    with pytest.raises(StorageFullError) as info:
        await p.put_blob("file-2", b"x" * 80_000)
    assert info.value.status == 400 and info.value.code == "storage_limit_exceeded"
    assert store.backend.bytes_used == used and await p.get_blob("file-2") is None
    assert await p.delete_blob("file-1") is True
    assert await p.get_blob("file-1") is None
    assert store.backend.bytes_used == used - len(data)
    await p.put_blob("file-2", b"x" * 80_000)  # room again


async def test_objects_count_against_the_cap(store: Store) -> None:
    p = store.project("proj_a")
    with pytest.raises(StorageFullError):
        await p.put("thing", obj("big", text="y" * 200_000))
    assert await p.get("thing", "big") is None
