"""The KV-cache block pool of one worker, with vLLM-style automatic prefix caching.

A sequence's tokens live in fixed-size blocks. A *full* block whose token ids are known gets a hash chained
over every token before it (``hash((parent_hash, block_token_ids))``), so equal hashes mean equal prefixes.
Hashed blocks stay findable after their last user frees them, until the pool needs the space: free blocks
are reused least-recently-freed first, and unhashed free blocks before hashed ones.

Invariant: ``blocks_in_use + free_blocks == num_blocks`` at all times; freeing every sequence returns every
block. Python's ``hash`` of a tuple of ints is not salted, so hashes are stable across processes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

NONE_HASH = 0  # the parent of a sequence's first block


def block_hashes(token_ids: Sequence[int], block_size: int) -> list[int]:
    """The chained hashes of every full block of ``token_ids`` (a trailing partial block has none)."""
    hashes: list[int] = []
    parent = NONE_HASH
    for start in range(0, len(token_ids) - block_size + 1, block_size):
        parent = hash((parent, tuple(token_ids[start : start + block_size])))
        hashes.append(parent)
    return hashes


class KVCache:
    """``num_blocks`` blocks of ``block_size`` tokens. Block ids are ints in ``range(num_blocks)``."""

    def __init__(self, num_blocks: int, block_size: int) -> None:
        if num_blocks < 1 or block_size < 1:
            raise ValueError("num_blocks and block_size must be positive")
        self.num_blocks = num_blocks
        self.block_size = block_size
        self._refs = [0] * num_blocks
        self._hash_of: list[int | None] = [None] * num_blocks
        self._by_hash: dict[int, int] = {}  # hash -> block holding it
        self._fresh = list(range(num_blocks - 1, -1, -1))  # free, unhashed (a stack)
        self._evictable: OrderedDict[int, None] = OrderedDict()  # free, hashed, least recently freed first
        self.blocks_in_use = 0

    @property
    def free_blocks(self) -> int:
        return len(self._fresh) + len(self._evictable)

    @property
    def usage(self) -> float:
        """Fraction of blocks in use (vLLM's ``kv_cache_usage_perc``, 0-1)."""
        return self.blocks_in_use / self.num_blocks

    def blocks_for(self, tokens: int) -> int:
        """Blocks needed to hold ``tokens`` tokens."""
        return -(-tokens // self.block_size)

    def cached_prefix(self, hashes: Sequence[int]) -> int:
        """How many leading blocks of ``hashes`` are in the cache (read-only; routers use it)."""
        count = 0
        by_hash = self._by_hash
        for h in hashes:
            if h not in by_hash:
                break
            count += 1
        return count

    def allocate(self, hashes: Sequence[int], tokens: int, reserve: int = 0) -> tuple[list[int], int] | None:
        """Blocks for a sequence of ``tokens`` tokens whose full blocks have ``hashes``, with room for
        ``reserve`` more tokens after them.

        Reuses the cached prefix, hashes the new full blocks, and returns ``(blocks, cached_tokens)``; or
        None, changing nothing, when the pool cannot hold it. As in vLLM, at least the last token is always
        computed, so a fully cached prompt still recomputes its last block.
        """
        hit = self.cached_prefix(hashes)
        if hit * self.block_size >= tokens:
            hit = max(0, (tokens - 1) // self.block_size)
        needed = self.blocks_for(tokens + reserve)
        new = needed - hit
        # A cached block that sits free still counts as free space: reusing it must not be double-counted.
        reused_free = sum(1 for h in hashes[:hit] if self._refs[self._by_hash[h]] == 0)
        if new > self.free_blocks - reused_free:
            return None
        blocks = [self._by_hash[h] for h in hashes[:hit]]
        for block in blocks:
            self._ref(block)
        for index in range(hit, needed):
            block = self._take()
            if index < len(hashes) and hashes[index] not in self._by_hash:
                self._hash_of[block] = hashes[index]
                self._by_hash[hashes[index]] = block
            blocks.append(block)
        return blocks, hit * self.block_size

    def append(self, blocks: list[int]) -> bool:
        """Grow a sequence by one block; False when the pool is exhausted (the caller preempts)."""
        if not self.free_blocks:
            return False
        blocks.append(self._take())
        return True

    def free(self, blocks: list[int]) -> None:
        """Release a sequence's blocks (finish, abort or preemption); hashed ones stay findable."""
        refs = self._refs
        # Reverse order, as vLLM does: a sequence's tail blocks are the least likely to be shared, so they
        # are evicted first.
        for block in reversed(blocks):
            refs[block] -= 1
            if refs[block] == 0:
                self.blocks_in_use -= 1
                if self._hash_of[block] is None:
                    self._fresh.append(block)
                else:
                    self._evictable[block] = None
        blocks.clear()

    def reset_prefix_cache(self) -> int:
        """Forget every cached block no sequence holds (vLLM's ``/reset_prefix_cache``); returns how many.
        Blocks in use keep their hashes until they are freed."""
        dropped = len(self._evictable)
        for block in self._evictable:
            old = self._hash_of[block]
            if old is not None and self._by_hash.get(old) == block:
                del self._by_hash[old]
            self._hash_of[block] = None
            self._fresh.append(block)
        self._evictable.clear()
        return dropped

    def _ref(self, block: int) -> None:
        if self._refs[block] == 0:
            self.blocks_in_use += 1
            self._evictable.pop(block, None)
        self._refs[block] += 1

    def _take(self) -> int:
        if self._fresh:
            block = self._fresh.pop()
        else:
            block, _ = self._evictable.popitem(last=False)
            old = self._hash_of[block]
            if old is not None and self._by_hash.get(old) == block:
                del self._by_hash[old]
            self._hash_of[block] = None
        self._refs[block] = 1
        self.blocks_in_use += 1
        return block
