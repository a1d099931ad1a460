"""Solido RAG: retrieve the ``top_k`` chunks that match the query from the caller's vector stores (their
files' attributes filtered), then answer through the chat service with those chunks in the prompt, so the
retrieved context costs prompt tokens and prefill time like any chat context."""

from __future__ import annotations

from typing import Any

import msgspec

from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatCompletion, ChatService
from fakeai.api.rag.protocol import RagRequest
from fakeai.api.vector_stores.search import search
from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.security.identity import Identity
from fakeai.server.sse import SSE_DONE, sse_event
from fakeai.state import AppState

#: The vector store objects' collection (api/vector_stores/service.py ``KIND``).
VECTOR_STORES = "vector_store"
SYSTEM = (
    "You are Solido's documentation assistant. Answer the question using only the context below; "
    "say so when it does not contain the answer.\n\nContext:\n"
)


def search_filter(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Solido's plain ``{attribute: value}`` filters as OpenAI's vector store filter (an ``and`` of
    ``eq``s; a list value matches any of its items); an OpenAI filter passes as it is."""
    if not filters:
        return None
    if "type" in filters:
        return filters
    parts = []
    for key, value in filters.items():
        if isinstance(value, list):
            parts.append({"type": "in", "key": key, "value": value})
        elif isinstance(value, str | int | float | bool):
            parts.append({"type": "eq", "key": key, "value": value})
        else:
            raise InvalidRequestError(
                f"Invalid 'filters.{key}': expected a string, number, boolean or array.",
                param=f"filters.{key}",
                code="invalid_type",
            )
    return parts[0] if len(parts) == 1 else {"type": "and", "filters": parts}


class RagService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.chat = ChatService(state)

    async def retrieve(self, request: RagRequest, identity: Identity) -> list[dict[str, Any]]:
        """The ``top_k`` best chunks over the stores searched, best first, as ``retrieved_docs``."""
        project = identity.project
        ids = request.vector_store_ids
        if ids is None:
            stores = await self.state.store.project(project).list(VECTOR_STORES, limit=None)
            ids = [vs["id"] for vs in stores.data]
        where = search_filter(request.filters)
        found = []
        for vs_id in ids:
            page = await search(self.state, project, vs_id, request.query, max_num_results=request.top_k,
                                filters=where)  # fmt: skip
            found += [(hit, vs_id) for hit in page["data"]]
        found.sort(key=lambda pair: -pair[0]["score"])
        docs = []
        for rank, (hit, vs_id) in enumerate(found[: request.top_k]):
            docs.append(
                {
                    "id": f"{hit['file_id']}-{rank}",
                    "content": "".join(part["text"] for part in hit["content"]),
                    "score": hit["score"],
                    "metadata": {**hit["attributes"], "file_id": hit["file_id"], "vector_store_id": vs_id},
                    "source": hit["filename"],
                }
            )
        return docs

    async def generate(
        self,
        request: RagRequest,
        docs: list[dict[str, Any]],
        request_id: str,
        arrival: float,
        identity: Identity,
    ) -> ChatCompletion:
        """Chat's run of the query over the documents, rate limited as chat (its prompt holds them)."""
        queries = [request.query] if isinstance(request.query, str) else request.query
        context = "\n\n".join(f"[{i + 1}] ({d['source']}) {d['content']}" for i, d in enumerate(docs))
        chat = msgspec.convert(
            {
                "model": request.inference_model,
                "messages": [
                    {"role": "system", "content": SYSTEM + (context or "(no matching documents)")},
                    {"role": "user", "content": "\n".join(queries)},
                ],
                "max_tokens": request.max_tokens,
                "seed": request.seed,
                "stream": request.stream,
                "stream_options": {"include_usage": True} if request.stream else None,
            },
            ChatCompletionRequest,
        )
        try:
            return await self.chat.create(chat, request_id, arrival, identity=identity)
        except FakeAIError as exc:  # name the RAG request's own fields
            exc.param = {"model": "inference_model", "messages": "query"}.get(exc.param or "", exc.param)
            raise


def answer(docs: list[dict[str, Any]], chat: dict[str, Any]) -> dict[str, Any]:
    """The non-streaming body: ``{content, retrieved_docs, usage}``."""
    message = chat["choices"][0]["message"]
    return {"content": message.get("content") or "", "retrieved_docs": docs, "usage": chat["usage"]}


class RagFrames:
    """The stream: one ``{"retrieved_docs"}`` event, ``{"content"}`` deltas as the engine emits tokens,
    then ``{"usage"}`` and ``[DONE]`` (a ``StepFrames``, so both stream drivers can send it)."""

    def __init__(self, completion: ChatCompletion, docs: list[dict[str, Any]]) -> None:
        self.completion = completion
        self.run = completion.run
        self.head: bytes | None = sse_event({"retrieved_docs": docs})

    def step(self) -> bytes:
        frames = [self.head] if self.head else []
        self.head = None
        choice = self.run.completions[0]
        skip = len(choice.reasoning)  # the answer's tokens come after any reasoning
        for index, start, stop, _ in self.run.news():
            if index != 0:
                continue
            text = "".join(choice.pieces[max(start - skip, 0) : max(stop - skip, 0)])
            if text:
                frames.append(sse_event({"content": text}))
        return b"".join(frames)

    def tail(self) -> bytes:
        generated = sum(len(c.pieces) + len(c.reasoning) for c in self.run.completions)
        return sse_event({"usage": self.completion._usage(generated)}) + SSE_DONE
