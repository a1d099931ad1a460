"""Chunking strategies: windows of ``max_chunk_size_tokens`` tokens, each overlapping the previous by
``chunk_overlap_tokens``, counted with a real tokenizer (OpenAI's defaults for ``auto``: 800 and 400)."""

from __future__ import annotations

from typing import Any

from fakeai.engine.tokenizer import Encoding
from fakeai.errors import InvalidRequestError

#: The tokenizer chunks are counted in (OpenAI's embedding models' vocabulary).
CHUNK_TOKENIZER = "cl100k_base"
AUTO = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}


def strategy(given: Any, param: str = "chunking_strategy") -> dict[str, Any]:
    """The stored (response) form of a request's chunking strategy; 400 naming the field if invalid."""
    if given is None or (isinstance(given, dict) and given.get("type") == "auto"):
        return AUTO
    if not isinstance(given, dict) or given.get("type") != "static":
        raise InvalidRequestError(
            f"Invalid '{param}': the type must be 'auto' or 'static'.",
            param=f"{param}.type",
            code="invalid_value",
        )
    static = given.get("static")
    if not isinstance(static, dict):
        raise InvalidRequestError(
            f"Missing required parameter: '{param}.static'.",
            param=f"{param}.static",
            code="missing_required_parameter",
        )
    size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
    if not isinstance(size, int) or isinstance(size, bool) or not 100 <= size <= 4096:
        raise InvalidRequestError(
            f"Invalid '{param}.static.max_chunk_size_tokens': {size!r}; an integer from 100 to 4096.",
            param=f"{param}.static.max_chunk_size_tokens",
            code="invalid_value",
        )
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap <= size // 2:
        raise InvalidRequestError(
            f"Invalid '{param}.static.chunk_overlap_tokens': {overlap!r}; an integer from 0 to half of "
            f"max_chunk_size_tokens ({size // 2}).",
            param=f"{param}.static.chunk_overlap_tokens",
            code="invalid_value",
        )
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def chunk(encoding: Encoding, text: str, chosen: dict[str, Any]) -> list[str]:
    """The chunks of ``text`` (CPU work: call it on a thread). Each holds at most the strategy's tokens."""
    static = chosen["static"]
    size, overlap = static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]
    ids = encoding.encode_ordinary(text)
    if not ids:
        return []
    step = size - overlap
    chunks = []
    for start in range(0, len(ids), step):
        chunks.append(encoding.decode(ids[start : start + size]))
        if start + size >= len(ids):
            break
    return chunks
