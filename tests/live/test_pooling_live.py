"""Embeddings, moderations, ranking and RAG on a real server (the default Granian RSGI front, which serves
these Endpoints natively), and their engine work in /metrics."""

from __future__ import annotations

import httpx2
import numpy as np
import pytest
from openai import OpenAI

from tests.live.server import live_server

pytestmark = pytest.mark.live


def test_pooling_families_on_the_rsgi_front() -> None:
    with live_server("--ttft-ms", "5", "--itl-ms", "0") as server:
        client = OpenAI(api_key="sk-test", base_url=f"{server.url}/v1", max_retries=0, timeout=10)
        texts = ["a live embedding", "another live embedding", "nothing in common"]
        as_base64 = client.embeddings.create(model="text-embedding-3-small", input=texts)  # the SDK's default
        as_float = client.embeddings.create(
            model="text-embedding-3-small", input=texts, encoding_format="float"
        )
        v = np.array([d.embedding for d in as_base64.data])
        assert np.allclose(v, [d.embedding for d in as_float.data]) and v.shape == (3, 1536)
        assert v[0] @ v[1] > v[0] @ v[2]
        assert client.moderations.create(input="I will kill you").results[0].flagged
        ranking = httpx2.post(f"{server.url}/v1/ranking", timeout=10, json={
            "model": "nvidia/nv-rerankqa-mistral-4b-v3", "query": {"text": "live ranking"},
            "passages": [{"text": "unrelated"}, {"text": "a live ranking passage"}]}).json()  # fmt: skip
        assert ranking["rankings"][0]["index"] == 1
        # Solido RAG streams on this front too (sent from the engine's wakeup): docs, content, usage.
        with httpx2.stream("POST", f"{server.url}/rag/api/prompt", timeout=10,
                           json={"query": "anything", "stream": True, "max_tokens": 5}) as rag:  # fmt: skip
            events = [line for line in rag.iter_lines() if line.startswith("data: ")]
        assert events[0] == 'data: {"retrieved_docs":[]}' and events[-1] == "data: [DONE]"
        assert '"completion_tokens":5' in events[-2]
        metrics = httpx2.get(f"{server.url}/metrics", timeout=10).text
        line = next(
            x for x in metrics.splitlines()
            if x.startswith("vllm:prompt_tokens_total{") and 'model_name="text-embedding-3-small"' in x
        )  # fmt: skip
        assert float(line.rsplit(" ", 1)[1]) == 2 * as_float.usage.prompt_tokens
