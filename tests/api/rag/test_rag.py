"""Solido RAG, POST /rag/api/prompt: documents retrieved for real from the caller's vector stores (filtered
by their files' attributes), then answered through the chat path with the context in the prompt."""

from __future__ import annotations

import json
import time

import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from tests.api.embeddings.corpus import PAIRS

MODEL = "meta-llama/Llama-3.1-70B-Instruct"
SDE = {"family": "Solido", "tool": "SDE"}


@pytest.fixture
def kb(client: OpenAI) -> str:
    """A vector store holding every corpus passage as a file; even ones tagged as Solido SDE docs."""
    vs = client.vector_stores.create(name="solido-docs")
    files = []
    for i, (_, passage) in enumerate(PAIRS):
        file_id = client.files.create(file=(f"doc{i}.txt", passage.encode()), purpose="assistants").id
        attributes = SDE if i % 2 == 0 else {"family": "Solido", "tool": "PVT"}
        files.append({"file_id": file_id, "attributes": attributes})
    batch = client.vector_stores.file_batches.create_and_poll(vector_store_id=vs.id, files=files)  # type: ignore[arg-type]
    assert batch.status == "completed"
    return vs.id


def test_retrieves_the_answering_document_and_answers_with_it_in_the_prompt(
    http: TestClient, kb: str
) -> None:
    question, passage = PAIRS[0]
    r = http.post("/rag/api/prompt", json={"query": question, "top_k": 3, "inference_model": MODEL})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"content", "retrieved_docs", "usage"}
    docs = body["retrieved_docs"]
    assert 1 <= len(docs) <= 3 and docs[0]["content"] == passage and docs[0]["source"] == "doc0.txt"
    assert {"id", "content", "score", "metadata", "source"} <= set(docs[0])
    assert docs[0]["metadata"]["vector_store_id"] == kb and docs[0]["metadata"]["tool"] == "SDE"
    assert [d["score"] for d in docs] == sorted((d["score"] for d in docs), reverse=True)
    assert body["content"] and body["usage"]["completion_tokens"] > 0
    # The retrieved context is counted in the prompt (Llama 3 tokens, the inference model's).
    encoding = http.app.state.fakeai.tokenizers.get("llama3")  # type: ignore[attr-defined]
    context = sum(len(encoding.encode_ordinary(d["content"])) for d in docs)
    nothing = http.post("/rag/api/prompt", json={"query": "Qwzx vvrk?"}).json()
    assert nothing["retrieved_docs"] == []
    assert body["usage"]["prompt_tokens"] >= nothing["usage"]["prompt_tokens"] + context


def test_hit_rate_over_the_corpus(http: TestClient, kb: str) -> None:
    def top(query: str) -> str:
        body = {"query": query, "top_k": 1, "max_tokens": 1}
        return http.post("/rag/api/prompt", json=body).json()["retrieved_docs"][0]["content"]

    hits = sum(top(q) == p for q, p in PAIRS)
    print(f"RAG retrieval top-1 hit rate {hits / len(PAIRS):.2f}")
    assert hits / len(PAIRS) >= 0.8


def test_filters_match_file_attributes(http: TestClient, kb: str) -> None:
    body = http.post("/rag/api/prompt", json={"query": "Who wrote Pride and Prejudice?", "filters": SDE,
                                              "top_k": 20}).json()  # fmt: skip
    docs = body["retrieved_docs"]
    assert docs and all(d["metadata"]["tool"] == "SDE" for d in docs)
    assert docs[0]["source"] == "doc2.txt"  # the answer is an SDE doc (even index)
    other = http.post("/rag/api/prompt", json={"query": "Who wrote Pride and Prejudice?",
                                               "filters": {"tool": "PVT"}}).json()  # fmt: skip
    assert all(d["metadata"]["tool"] == "PVT" for d in other["retrieved_docs"])


def test_streams_docs_then_content_then_usage(http: TestClient, kb: str) -> None:
    body = {"query": ["How tall is the Eiffel Tower?"], "stream": True, "top_k": 2, "max_tokens": 8}
    with http.stream("POST", "/rag/api/prompt", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    events = [json.loads(line) for line in lines[:-1]]
    assert events[0]["retrieved_docs"][0]["source"] == "doc0.txt"
    content = [e["content"] for e in events[1:-1]]
    assert content and all(isinstance(c, str) for c in content)
    assert events[-1]["usage"]["completion_tokens"] == 8


def test_no_store_means_no_documents_but_an_answer(http: TestClient) -> None:
    body = http.post("/rag/api/prompt", json={"query": "anything?"}).json()
    assert body["retrieved_docs"] == [] and body["content"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"query": "q", "top_k": 0}, 400, "top_k"),
        ({"query": "q", "top_k": 21}, 400, "top_k"),
        ({"query": []}, 400, "query"),
        ({"top_k": 3}, 400, "query"),
        ({"query": "q", "filters": {"tool": {"nested": 1}}}, 400, "filters.tool"),
        ({"query": "q", "inference_model": "text-embedding-3-small"}, 404, "inference_model"),
        ({"query": "q", "vector_store_ids": ["vs_missing"]}, 404, "vector_store_id"),
    ],
)
def test_bad_input_gets_openais_error_shape(http: TestClient, body: dict, status: int, param: str) -> None:  # type: ignore[type-arg]
    r = http.post("/rag/api/prompt", json=body)
    error = r.json()["error"]
    assert r.status_code == status and set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param


def test_the_answer_is_billed_as_a_completion_of_the_inference_model(http: TestClient) -> None:
    plain = http.post("/rag/api/prompt", json={"query": "a?", "inference_model": MODEL, "max_tokens": 5})
    body = {"query": "b?", "inference_model": MODEL, "max_tokens": 7, "stream": True}
    with http.stream("POST", "/rag/api/prompt", json=body) as r:
        last = [json.loads(x[6:]) for x in r.iter_lines() if x.startswith("data: {")][-1]
    params = {"start_time": int(time.time()) // 86400 * 86400, "group_by": "model"}
    usage = http.get("/v1/organization/usage/completions", params=params).json()
    [billed] = [r for bucket in usage["data"] for r in bucket["results"]]
    assert (billed["model"], billed["num_model_requests"]) == (MODEL, 2)
    assert billed["output_tokens"] == plain.json()["usage"]["completion_tokens"] + 7 == 12
    assert billed["input_tokens"] == plain.json()["usage"]["prompt_tokens"] + last["usage"]["prompt_tokens"]
