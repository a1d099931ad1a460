"""What a reranker means: a relevance score per (query, passage) pair, each pair one prefill on the engine
(a cross-encoder reads both), scored by content/ranking.py from the same signal as the embeddings."""

from __future__ import annotations

import secrets
import time
from typing import Any

import numpy as np

from fakeai.api.pooling import INLINE_CHARS, Pooling, compute
from fakeai.api.ranking.protocol import RankingRequest, RerankRequest, ScoreRequest
from fakeai.catalog import ModelCard
from fakeai.content.embeddings import Embedders
from fakeai.content.ranking import logits, sigmoid
from fakeai.engine.tokenizer import Encoding
from fakeai.errors import InvalidRequestError
from fakeai.state import AppState

#: The reranker served when a rerank or score request names no model (vLLM serves one model).
DEFAULT_RERANKER = "BAAI/bge-reranker-v2-m3"
#: Vector length of the embeddings behind a reranker's scores.
RERANK_DIMENSIONS = 1024
#: Pairs scored inline; more go to a worker thread (the vector maths of ~100 pairs is about 1 ms).
INLINE_PAIRS = 64

Pairs = list[tuple[str, str]]


class RankingService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.embedders = Embedders()

    def _card(self, model: str | None) -> ModelCard:
        name = model or DEFAULT_RERANKER
        card = self.state.catalog.resolve(name)
        if card.kind not in ("rerank", "embedding") and card.provider != "custom":
            raise InvalidRequestError(
                f"The model `{name}` does not support reranking.", param="model", code="model_not_supported"
            )
        return card

    async def _score(
        self,
        card: ModelCard,
        model: str,
        pairs: Pairs,
        truncate: bool,
        params: tuple[str, str],
        request_id: str,
        arrival: float,
    ) -> tuple[np.ndarray, int]:
        """(a logit per pair, prompt tokens): each pair is prefilled on the engine as query + passage.
        ``params`` name the query and the passages in errors."""
        state = self.state
        encoding = await state.tokenizers.load(card.tokenizer)
        window = card.context_window
        if state.settings.max_model_len is not None:
            window = min(window, state.settings.max_model_len)
        chars = sum(len(q) + len(p) for q, p in pairs)
        prompts = await compute(
            chars <= INLINE_CHARS, lambda: _pair_prompts(encoding, pairs, window, truncate, params)
        )
        pooling = Pooling(state, request_id, model, prompts, arrival)
        embedder = self.embedders.get(card.id, RERANK_DIMENSIONS)
        embedding_model = card.kind == "embedding"

        def work() -> np.ndarray:
            return _pair_scores(embedder, pairs, embedding_model)

        try:
            scores = await compute(len(pairs) <= INLINE_PAIRS and chars <= INLINE_CHARS, work)
        except BaseException:
            pooling.abort()
            raise
        await pooling.wait()
        return scores, sum(len(p) for p in prompts)

    async def ranking(self, request: RankingRequest, request_id: str, arrival: float) -> dict[str, Any]:
        """NIM ``/v1/ranking``: every passage's logit, highest first."""
        card = self._card(request.model)
        pairs = [(request.query.text, p.text) for p in request.passages]
        truncate = request.truncate == "END"
        params = ("query", "passages")
        scores, _ = await self._score(card, request.model, pairs, truncate, params, request_id, arrival)
        order = np.argsort(-scores, kind="stable")
        return {"rankings": [{"index": int(i), "logit": float(scores[i])} for i in order]}

    async def rerank(self, request: RerankRequest, request_id: str, arrival: float) -> dict[str, Any]:
        """Cohere/Jina/vLLM ``/rerank``: the ``top_n`` documents by ``relevance_score`` (a probability)."""
        card = self._card(request.model)
        texts = [_document_text(d, i) for i, d in enumerate(request.documents)]
        truncate = request.truncate_prompt_tokens is not None
        pairs = [(request.query, t) for t in texts]
        params = ("query", "documents")
        logit, tokens = await self._score(
            card, request.model or card.id, pairs, truncate, params, request_id, arrival
        )
        relevance = logit if card.kind == "embedding" else sigmoid(logit)
        order = np.argsort(-relevance, kind="stable")[: request.top_n or len(texts)]
        with_documents = request.return_documents is not False
        results = []
        for i in order:
            result: dict[str, Any] = {"index": int(i), "relevance_score": float(relevance[i])}
            if with_documents:
                result["document"] = {"text": texts[i]}
            results.append(result)
        return {
            "id": "rerank-" + secrets.token_hex(16),
            "model": request.model or card.id,
            "results": results,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
        }

    async def score(self, request: ScoreRequest, request_id: str, arrival: float) -> dict[str, Any]:
        """vLLM ``/score``: one score per pair."""
        card = self._card(request.model)
        first = [request.text_1] if isinstance(request.text_1, str) else request.text_1
        second = [request.text_2] if isinstance(request.text_2, str) else request.text_2
        if len(first) == 1:
            first = first * len(second)
        elif len(second) != len(first):
            raise InvalidRequestError(
                f"text_1 and text_2 must have the same length, or text_1 must be one text; got {len(first)} "
                f"and {len(second)}.",
                param="text_2",
                code="invalid_value",
            )
        model = request.model or card.id
        truncate = request.truncate_prompt_tokens is not None
        pairs = list(zip(first, second, strict=True))
        params = ("text_1", "text_2")
        logit, tokens = await self._score(card, model, pairs, truncate, params, request_id, arrival)
        scores = logit if card.kind == "embedding" else sigmoid(logit)
        return {
            "id": "score-" + secrets.token_hex(16),
            "object": "list",
            "created": int(time.time()),
            "model": model,
            "data": [{"index": i, "object": "score", "score": float(s)} for i, s in enumerate(scores)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0},
        }


def _pair_prompts(
    encoding: Encoding, pairs: Pairs, window: int, truncate: bool, params: tuple[str, str]
) -> list[list[int]]:
    """Query + passage ids per pair, within the model's window (the passage cut when ``truncate``)."""
    queries: dict[str, list[int]] = {}
    prompts = []
    for query, passage in pairs:
        q = queries.get(query)
        if q is None:
            q = queries[query] = encoding.encode_ordinary(query)
        p = encoding.encode_ordinary(passage)
        if len(q) + len(p) > window:
            if not truncate or len(q) >= window:
                raise InvalidRequestError(
                    f"Input length {len(q) + len(p)} exceeds maximum allowed token size {window}.",
                    param=params[0] if truncate else params[1],
                    code="context_length_exceeded",
                )
            p = p[: window - len(q)]
        prompts.append(q + p)
    return prompts


def _document_text(document: str | dict[str, Any], index: int) -> str:
    if isinstance(document, str):
        return document
    text = document.get("text")
    if not isinstance(text, str):
        raise InvalidRequestError(
            f"Invalid 'documents[{index}]': expected a string or an object with a string 'text'.",
            param=f"documents[{index}]",
            code="invalid_type",
        )
    return text


def _pair_scores(embedder: Any, pairs: Pairs, cosine_only: bool) -> np.ndarray:
    """A logit per pair (an embedding model's score is the plain cosine, as vLLM's), grouping the pairs by
    query so that BM25 sees each query's passages together."""
    scores = np.zeros(len(pairs))
    groups: dict[str, list[int]] = {}
    for i, (query, _) in enumerate(pairs):
        groups.setdefault(query, []).append(i)
    for query, indexes in groups.items():
        passages = [pairs[i][1] for i in indexes]
        if cosine_only:
            vectors = embedder.embed([query, *passages])
            scores[indexes] = np.clip(vectors[1:] @ vectors[0], -1.0, 1.0)
        else:
            scores[indexes] = logits(embedder, query, passages)
    return scores
