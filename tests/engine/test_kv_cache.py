"""The KV block pool: allocation, prefix hits, LRU eviction, and its invariants under random operations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fakeai.engine.kv_cache import KVCache, block_hashes


def test_block_hashes_are_chained_over_full_blocks_only() -> None:
    a = block_hashes(list(range(40)), 16)
    b = block_hashes([*range(32), 99, 98], 16)
    assert len(a) == 2 and a == b  # the trailing partial block has no hash
    c = block_hashes([1, *range(1, 40)], 16)
    assert c[0] != a[0] and c[1] != a[1]  # a different first block changes every later hash


def test_allocation_reuses_a_cached_prefix() -> None:
    kv = KVCache(num_blocks=10, block_size=4)
    prompt = list(range(10))
    blocks, cached = kv.allocate(block_hashes(prompt, 4), 10)  # type: ignore[misc]
    assert cached == 0 and len(blocks) == 3 and kv.blocks_in_use == 3
    kv.free(blocks)
    assert kv.blocks_in_use == 0 and kv.free_blocks == 10
    _again, cached = kv.allocate(block_hashes(prompt, 4), 10)  # type: ignore[misc]
    assert cached == 8  # two full blocks found; the partial third is recomputed


def test_a_fully_cached_prompt_still_computes_its_last_block() -> None:
    kv = KVCache(num_blocks=10, block_size=4)
    hashes = block_hashes(list(range(8)), 4)
    blocks, _ = kv.allocate(hashes, 8)  # type: ignore[misc]
    kv.free(blocks)
    _, cached = kv.allocate(hashes, 8)  # type: ignore[misc]
    assert cached == 4


def test_shared_blocks_are_reference_counted() -> None:
    kv = KVCache(num_blocks=10, block_size=4)
    hashes = block_hashes(list(range(9)), 4)
    first, _ = kv.allocate(hashes, 9)  # type: ignore[misc]
    second, cached = kv.allocate(hashes, 9)  # type: ignore[misc]
    assert cached == 8 and first[:2] == second[:2]
    assert kv.blocks_in_use == 4  # two shared, one private tail each
    kv.free(first)
    assert kv.blocks_in_use == 3
    kv.free(second)
    assert kv.blocks_in_use == 0


def test_eviction_takes_the_least_recently_freed_block_and_forgets_its_hash() -> None:
    kv = KVCache(num_blocks=2, block_size=2)
    old = block_hashes([1, 2], 2)
    new = block_hashes([3, 4], 2)
    blocks, _ = kv.allocate(old, 2)  # type: ignore[misc]
    kv.free(blocks)
    blocks, _ = kv.allocate(new, 2)  # type: ignore[misc]
    kv.free(blocks)
    assert kv.cached_prefix(old) == 1 and kv.cached_prefix(new) == 1
    taken, _ = kv.allocate(block_hashes([5, 6], 2), 2)  # type: ignore[misc]
    assert kv.cached_prefix(old) == 0 and kv.cached_prefix(new) == 1  # old was freed first: evicted
    kv.free(taken)


def test_allocation_fails_without_changing_anything() -> None:
    kv = KVCache(num_blocks=3, block_size=4)
    assert kv.allocate([], 13) is None
    assert kv.blocks_in_use == 0 and kv.free_blocks == 3


ops = st.lists(
    st.one_of(
        st.tuples(st.just("alloc"), st.integers(0, 3), st.integers(1, 40)),
        st.tuples(st.just("grow"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("free"), st.integers(0, 20), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_invariants_hold_under_any_sequence_of_operations(operations: list[tuple[str, int, int]]) -> None:
    """Blocks in use + free = total; every block is held exactly as often as counted; freeing all returns
    every block."""
    kv = KVCache(num_blocks=12, block_size=4)
    held: list[list[int]] = []
    for op, a, b in operations:
        if op == "alloc":
            prompt = [a] * 4 + list(range(b))  # prompts sharing a first block when ``a`` repeats
            result = kv.allocate(block_hashes(prompt, 4), len(prompt))
            if result is not None:
                held.append(result[0])
        elif op == "grow" and held:
            kv.append(held[a % len(held)])
        elif op == "free" and held:
            kv.free(held.pop(a % len(held)))
        assert kv.blocks_in_use + kv.free_blocks == kv.num_blocks
        assert kv.blocks_in_use == len({block for blocks in held for block in blocks})
    for blocks in held:
        kv.free(blocks)
    assert kv.blocks_in_use == 0 and kv.free_blocks == kv.num_blocks
