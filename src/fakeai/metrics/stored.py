"""FakeAI's own families for stored state (not vLLM's: no vLLM server stores files): objects per kind
and bytes held, read from the store's counters at scrape time."""

from __future__ import annotations

from collections.abc import Callable

from fakeai.metrics.exposition import Family


def store_families(stats: Callable[[], dict[str, int]]) -> Callable[[], list[Family]]:
    def families() -> list[Family]:
        counts = dict(stats())
        held = counts.pop("bytes", 0)
        blobs = counts.pop("blobs", 0)
        objects = Family("fakeai:store_objects", "gauge", "Stored objects by kind.", ("kind",))
        for kind, count in sorted(counts.items()):
            objects.add((kind,), count)
        return [
            objects,
            Family("fakeai:store_blobs", "gauge", "Stored blobs (file bytes, upload parts).").add((), blobs),
            Family("fakeai:store_bytes", "gauge", "Bytes stored: blobs and objects, against the cap.").add(
                (), held
            ),
        ]

    return families
