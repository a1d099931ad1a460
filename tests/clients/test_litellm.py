"""``litellm.embedding`` against the app. litellm is an opt-in client (``pip install -e '.[clients]'``:
about 200 MB), so this is skipped without it; docs/embeddings.md gives the same check as a command."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.embeddings.corpus import PASSAGES, QUERIES


def test_litellm_embedding_through_the_openai_provider(
    make_app: Callable[..., Starlette], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # it would fetch its price list at import
    litellm = pytest.importorskip("litellm")
    with TestClient(make_app()) as http:
        client = OpenAI(api_key="sk-test", base_url=f"{http.base_url}/v1", http_client=http, max_retries=0)

        def embed(texts: list[str]) -> np.ndarray:
            response = litellm.embedding(model="openai/text-embedding-3-small", input=texts, client=client)
            return np.array([item["embedding"] for item in response.data])

        q, p = embed(QUERIES), embed(PASSAGES)
    assert q.shape == (len(QUERIES), 1536)
    hit_rate = float(np.mean((q @ p.T).argmax(axis=1) == np.arange(len(QUERIES))))
    assert hit_rate >= 0.8
