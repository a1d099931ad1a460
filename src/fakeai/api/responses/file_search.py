"""The ``file_search`` tool over this server's vector stores (api/vector_stores/search.py, BM25 over the
stored chunks): a ``file_search_call`` item with its queries (and ``results`` when
``include: ["file_search_call.results"]``), the retrieved text read by the model (it counts in
``input_tokens``, as OpenAI bills it), and ``file_citation`` annotations on the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.state import AppState

_SENTENCE_END = re.compile(r"[.!?]")
#: OpenAI's default and cap of ``max_num_results``.
DEFAULT_RESULTS, MAX_RESULTS = 10, 50


@dataclass(frozen=True, slots=True)
class FileSearch:
    queries: list[str]
    results: list[dict[str, Any]]
    show_results: bool = False
    kind: str = field(default="file_search_call")
    prefix: str = field(default="fs_")

    @classmethod
    async def run(
        cls,
        state: AppState,
        project: str,
        tool: dict[str, Any],
        position: int,
        query: str,
        show_results: bool,
    ) -> FileSearch:
        """Search every vector store of the tool; 400/404s name ``tools[position]``'s fields."""
        from fakeai.api.vector_stores.search import search  # a family the Responses API reads, not owns

        where = f"tools[{position}]"
        ids = tool.get("vector_store_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise InvalidRequestError(
                f"Invalid '{where}.vector_store_ids': expected a non-empty array of vector store ids.",
                param=f"{where}.vector_store_ids",
                code="invalid_value",
            )
        limit = tool.get("max_num_results", DEFAULT_RESULTS)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
            raise InvalidRequestError(
                f"Invalid '{where}.max_num_results': expected an integer between 1 and {MAX_RESULTS}.",
                param=f"{where}.max_num_results",
                code="invalid_value",
            )
        results = []
        for vector_store_id in ids:
            try:
                page = await search(state, project, vector_store_id, query or " ", max_num_results=limit,
                                    filters=tool.get("filters"))  # fmt: skip
            except FakeAIError as exc:
                exc.param = (
                    f"{where}.vector_store_ids" if exc.param == "vector_store_id" else f"{where}.filters"
                )
                raise
            for hit in page["data"]:
                text = "\n".join(part["text"] for part in hit["content"])
                results.append({"file_id": hit["file_id"], "filename": hit["filename"], "score": hit["score"],
                                "attributes": hit.get("attributes") or {}, "text": text})  # fmt: skip
        results.sort(key=lambda r: -r["score"])
        return cls([query], results[:limit], show_results)

    def context(self) -> str:
        """What the model reads of the results (appended to its prompt)."""
        return "\n\n".join(f"[{r['filename']}]\n{r['text']}" for r in self.results)

    def item(self, id: str) -> dict[str, Any]:
        return {"id": id, "type": "file_search_call", "status": "completed", "queries": self.queries,
                "results": self.results if self.show_results else None}  # fmt: skip

    def annotations(self, text: str) -> list[dict[str, Any]]:
        """A citation of each retrieved file (best first, once each) at the end of successive sentences."""
        files = list({r["file_id"]: r["filename"] for r in self.results}.items())
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        return [{"type": "file_citation", "file_id": file_id, "filename": filename, "index": end}
                for (file_id, filename), end in zip(files, ends, strict=False)]  # fmt: skip
