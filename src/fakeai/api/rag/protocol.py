"""Wire types of Solido's RAG endpoint, ``POST /rag/api/prompt``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta


class RagRequest(msgspec.Struct, kw_only=True):
    query: str | Annotated[list[str], Meta(min_length=1, max_length=20)]
    #: Equality on file attributes (``{"family": "Solido", "tool": "SDE"}``), or an OpenAI vector store
    #: filter (``{"type": "eq", ...}`` / ``{"type": "and", "filters": [...]}``).
    filters: dict[str, Any] | None = None
    inference_model: str = "meta-llama/Llama-3.1-70B-Instruct"
    top_k: Annotated[int, Meta(ge=1, le=20)] = 5
    stream: bool = False
    #: FakeAI extension: the vector stores to search (default: every store of the caller's project).
    vector_store_ids: Annotated[list[str], Meta(min_length=1, max_length=20)] | None = None
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    seed: int | None = None
