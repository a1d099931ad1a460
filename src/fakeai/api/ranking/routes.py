"""HTTP for reranking: NIM ``/v1/ranking`` (and its hosted path), ``/rerank`` (Cohere v1/v2, Jina, vLLM)
and vLLM's ``/score``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fakeai.api.pooling import serve_json
from fakeai.api.ranking.protocol import RankingRequest, RerankRequest, ScoreRequest
from fakeai.api.ranking.service import RankingService
from fakeai.server.exchange import Endpoint, Exchange, Reply
from fakeai.state import AppState


def endpoints(state: AppState) -> list[Endpoint]:
    service = RankingService(state)

    def handler(name: str, wire: type, call: Callable[[Any, str, float], Awaitable[Any]]):  # type: ignore[no-untyped-def]
        async def handle(exchange: Exchange) -> Reply:
            return await serve_json(exchange, state, name, wire, call)

        return handle

    ranking = handler("ranking", RankingRequest, service.ranking)
    rerank = handler("rerank", RerankRequest, service.rerank)
    score = handler("score", ScoreRequest, service.score)
    return [
        Endpoint("POST", "/v1/ranking", ranking),
        Endpoint("POST", "/v1/retrieval/nvidia/reranking", ranking),
        *(Endpoint("POST", path, rerank) for path in ("/rerank", "/v1/rerank", "/v2/rerank")),
        *(Endpoint("POST", path, score) for path in ("/score", "/v1/score")),
    ]
