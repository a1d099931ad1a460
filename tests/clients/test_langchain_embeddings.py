"""LangChain's ``OpenAIEmbeddings`` against the app, with its defaults: it tokenizes with tiktoken and
sends token-id arrays (offline here: see conftest), and retrieval through its in-memory vector store finds
the answering passage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_openai import OpenAIEmbeddings
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.embeddings.corpus import PASSAGES, QUERIES


@pytest.fixture
def http(make_app: Callable[..., Starlette]) -> Iterator[TestClient]:
    """No spec hook: through the SDK, LangChain asks for base64, a string the spec does not allow for."""
    with TestClient(make_app()) as client:
        yield client


@pytest.fixture
def embeddings(http: TestClient, tiktoken_cache: Path, monkeypatch: pytest.MonkeyPatch) -> OpenAIEmbeddings:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
    return OpenAIEmbeddings(
        model="text-embedding-3-small",
        base_url=f"{http.base_url}/v1",
        api_key="sk-test",  # type: ignore[arg-type]
        http_client=http,
        max_retries=0,
    )


def test_documents_and_queries_embed_as_with_openai(embeddings: OpenAIEmbeddings, http: TestClient) -> None:
    vectors = embeddings.embed_documents(["LangChain sends token ids", "and reads base64 back"])
    assert len(vectors) == 2 and all(len(v) == 1536 for v in vectors)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Its token ids (tiktoken's cl100k) embed exactly like the text itself.
    plain = http.post(
        "/v1/embeddings", json={"model": "text-embedding-3-small", "input": "LangChain sends token ids"}
    )
    assert np.allclose(vectors[0], plain.json()["data"][0]["embedding"], atol=1e-6)
    assert len(embeddings.embed_query("a query")) == 1536


def test_vector_store_search_finds_the_answering_passage(embeddings: OpenAIEmbeddings) -> None:
    store = InMemoryVectorStore.from_texts(PASSAGES, embeddings)
    hits = sum(
        store.similarity_search(q, k=1)[0].page_content == p for q, p in zip(QUERIES, PASSAGES, strict=True)
    )
    print(f"LangChain InMemoryVectorStore top-1 hit rate {hits / len(QUERIES):.2f}")
    assert hits / len(QUERIES) >= 0.8


def test_shortened_dimensions_pass_through(http: TestClient, tiktoken_cache: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
    small = OpenAIEmbeddings(model="text-embedding-3-large", dimensions=256, base_url=f"{http.base_url}/v1",
                             api_key="sk-test", http_client=http, check_embedding_ctx_length=False)  # type: ignore[arg-type]  # fmt: skip
    [vector] = small.embed_documents(["short"])
    assert len(vector) == 256
