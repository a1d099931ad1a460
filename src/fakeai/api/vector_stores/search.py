"""Search over one vector store, for ``POST /v1/vector_stores/{id}/search`` and for other families
(Responses' ``file_search``, RAG): ``await search(state, project, vector_store_id, query, ...)``.

The BM25 index of a store is built on a thread from its stored chunks and cached per app (a few stores,
LRU), rebuilt when the store's files change.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from fakeai.api.vector_stores.filters import check, matches
from fakeai.api.vector_stores.index import ChunkIndex, rewrite
from fakeai.api.vector_stores.service import VectorStores, chunks_kind, files_kind
from fakeai.errors import InvalidRequestError
from fakeai.state import AppState
from fakeai.store import ProjectStore

SERVICE = "vector_stores"
#: Indexes kept built per app (each holds its chunks' texts and BM25 matrix).
CACHED_INDEXES = 32


class Searcher:
    def __init__(self, stores: VectorStores) -> None:
        self.stores = stores
        self._cache: OrderedDict[tuple[str, str], tuple[int, list[tuple[str, str, str]], ChunkIndex]] = (
            OrderedDict()
        )

    async def _index(self, store: ProjectStore, vs_id: str) -> tuple[list[tuple[str, str, str]], ChunkIndex]:
        key = (store.project, vs_id)
        version = self.stores.versions.get(key, 0)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == version:
            self._cache.move_to_end(key)
            return cached[1], cached[2]
        completed = {
            f["id"]
            for f in (await store.list(files_kind(vs_id), limit=None, where={"status": "completed"})).data
        }
        refs = [
            (record["id"], record["filename"], text)
            for record in (await store.list(chunks_kind(vs_id), limit=None, order="asc")).data
            if record["id"] in completed
            for text in record["chunks"]
        ]
        index = await asyncio.to_thread(ChunkIndex, [text for _, _, text in refs])
        self._cache[key] = (version, refs, index)
        while len(self._cache) > CACHED_INDEXES:
            self._cache.popitem(last=False)
        return refs, index

    async def search(
        self,
        store: ProjectStore,
        vs_id: str,
        query: str | list[str],
        *,
        max_num_results: int = 10,
        filters: dict[str, Any] | None = None,
        score_threshold: float = 0.0,
        rewrite_query: bool = False,
    ) -> dict[str, Any]:
        """OpenAI's ``vector_store.search_results.page``: chunks best first, each with its file."""
        queries = [query] if isinstance(query, str) else list(query)
        if not queries or not all(isinstance(q, str) and q.strip() for q in queries):
            raise InvalidRequestError(
                "'query' must be a non-empty string or array of strings.", param="query"
            )
        if not 1 <= max_num_results <= 50:
            raise InvalidRequestError(
                f"Invalid 'max_num_results': {max_num_results}; from 1 to 50.", param="max_num_results"
            )
        if not 0.0 <= score_threshold <= 1.0:
            raise InvalidRequestError(
                f"Invalid 'ranking_options.score_threshold': {score_threshold}; from 0 to 1.",
                param="ranking_options.score_threshold",
            )
        if filters is not None:
            check(filters)
        await self.stores.touch(store, vs_id)
        if rewrite_query:
            queries = [rewrite(q) for q in queries]
        refs, index = await self._index(store, vs_id)
        files = {f["id"]: f for f in (await store.list(files_kind(vs_id), limit=None)).data}
        scores = await asyncio.to_thread(index.scores, queries)
        ranked = sorted(range(len(refs)), key=lambda i: -scores[i])
        data = []
        for i in ranked:
            file_id, filename, text = refs[i]
            record = files.get(file_id)
            if scores[i] <= 0 or scores[i] < score_threshold or record is None:
                continue
            if not matches(filters, record.get("attributes")):
                continue
            data.append(
                {
                    "file_id": file_id,
                    "filename": filename,
                    "score": scores[i],
                    "attributes": record.get("attributes") or {},
                    "content": [{"type": "text", "text": text}],
                }
            )
            if len(data) == max_num_results:
                break
        return {
            "object": "vector_store.search_results.page",
            "search_query": queries,
            "data": data,
            "has_more": False,
            "next_page": None,
        }


def vector_stores(state: AppState) -> tuple[VectorStores, Searcher]:
    """The app's vector store service and searcher, built once."""
    if SERVICE not in state.services:
        stores = VectorStores(state)
        state.services[SERVICE] = (stores, Searcher(stores))
    return state.services[SERVICE]


async def search(
    state: AppState,
    project: str,
    vector_store_id: str,
    query: str | list[str],
    *,
    max_num_results: int = 10,
    filters: dict[str, Any] | None = None,
    score_threshold: float = 0.0,
    rewrite_query: bool = False,
) -> dict[str, Any]:
    """Search one of ``project``'s vector stores (404 if it has none by that id); the result is the
    ``vector_store.search_results.page`` of the search endpoint (``data``: chunks best first, each
    ``{file_id, filename, score in [0,1], attributes, content: [{type: text, text}]}``)."""
    _, searcher = vector_stores(state)
    return await searcher.search(
        state.store.project(project),
        vector_store_id,
        query,
        max_num_results=max_num_results,
        filters=filters,
        score_threshold=score_threshold,
        rewrite_query=rewrite_query,
    )
