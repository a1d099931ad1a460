"""Wire types of the reranking APIs: NVIDIA NIM's ``/v1/ranking``, the Cohere/Jina/vLLM ``/rerank`` and
vLLM's ``/score``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

#: NIM's limit on passages per ranking request; the rerank APIs take as many (Cohere: 1,000 documents).
MAX_PASSAGES = 512
MAX_DOCUMENTS = 1000


class Text(msgspec.Struct):
    text: str


class RankingRequest(msgspec.Struct, kw_only=True):
    """NIM: ``{model, query: {text}, passages: [{text}], truncate}``."""

    model: str
    query: Text
    passages: Annotated[list[Text], Meta(min_length=1, max_length=MAX_PASSAGES)]
    truncate: Literal["NONE", "END"] | None = "NONE"


class RerankRequest(msgspec.Struct, kw_only=True):
    """Cohere v1/v2, Jina and vLLM: ``documents`` are strings or objects with a ``text``."""

    query: str
    documents: Annotated[list[str | dict[str, Any]], Meta(min_length=1, max_length=MAX_DOCUMENTS)]
    model: str | None = None
    top_n: Annotated[int, Meta(ge=1)] | None = None
    return_documents: bool | None = None
    truncate_prompt_tokens: Annotated[int, Meta(ge=-1)] | None = None


class ScoreRequest(msgspec.Struct, kw_only=True):
    """vLLM: ``text_1`` against each ``text_2`` (one against many, or pairwise when both are lists)."""

    text_1: str | Annotated[list[str], Meta(min_length=1, max_length=MAX_DOCUMENTS)]
    text_2: str | Annotated[list[str], Meta(min_length=1, max_length=MAX_DOCUMENTS)]
    model: str | None = None
    truncate_prompt_tokens: Annotated[int, Meta(ge=-1)] | None = None
