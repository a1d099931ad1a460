"""Reranking: NIM /v1/ranking, /rerank (Cohere, Jina, vLLM) and vLLM's /score, over raw HTTP (no SDK
covers them) on a fresh app; scores come from the embeddings' signal plus BM25."""

from __future__ import annotations

import math

import pytest
from starlette.testclient import TestClient

from tests.api.embeddings.corpus import PASSAGES, QUERIES

NIM = "nvidia/nv-rerankqa-mistral-4b-v3"
BGE = "BAAI/bge-reranker-v2-m3"
EIFFEL = "How tall is the Eiffel Tower?"
DOCS = ["Bananas are rich in potassium.", "The Eiffel Tower is 330 metres tall.", "Paris has many museums."]


def ranking(http: TestClient, query: str, passages: list[str], **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"model": NIM, "query": {"text": query}, "passages": [{"text": p} for p in passages], **extra}
    r = http.post("/v1/ranking", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_nim_ranking_puts_the_answering_passage_first_on_the_corpus(http: TestClient) -> None:
    """/v1/ranking over a fixed corpus of 26 question/passage pairs; random would be right 1 in 26."""
    hits = 0
    for i, query in enumerate(QUERIES):
        rankings = ranking(http, query, PASSAGES)["rankings"]
        logits = [r["logit"] for r in rankings]
        assert logits == sorted(logits, reverse=True) and sorted(r["index"] for r in rankings) == list(
            range(26)
        )
        hits += rankings[0]["index"] == i
    hit_rate = hits / len(QUERIES)
    print(f"/v1/ranking top-1 hit rate {hit_rate:.2f} (random: {1 / len(QUERIES):.2f})")
    assert hit_rate >= 0.8


def test_nim_ranking_logits_are_deterministic_and_spread(http: TestClient) -> None:
    first, again = ranking(http, EIFFEL, DOCS), ranking(http, EIFFEL, DOCS)
    assert first == again and set(first) == {"rankings"}
    top, *rest = first["rankings"]
    assert top["index"] == 1 and top["logit"] > 0 > max(r["logit"] for r in rest)
    body = {"model": NIM, "query": {"text": EIFFEL}, "passages": [{"text": d} for d in DOCS]}
    assert http.post("/v1/retrieval/nvidia/reranking", json=body).json() == first


def test_nim_truncate_end_fits_a_long_passage_and_none_refuses_it(http: TestClient) -> None:
    long = "tower " * 800  # the model takes 512 tokens
    assert ranking(http, EIFFEL, [long, DOCS[0]], truncate="END")["rankings"][0]["index"] == 0
    body = {"model": NIM, "query": {"text": EIFFEL}, "passages": [{"text": long}], "truncate": "NONE"}
    r = http.post("/v1/ranking", json=body)
    assert r.status_code == 400 and r.json()["error"]["param"] == "passages"


@pytest.mark.parametrize("path", ["/rerank", "/v1/rerank", "/v2/rerank"])
def test_rerank_returns_top_n_by_relevance_score(http: TestClient, path: str) -> None:
    documents = [DOCS[0], {"text": DOCS[1]}, DOCS[2]]
    r = http.post(path, json={"model": BGE, "query": EIFFEL, "documents": documents, "top_n": 2})
    body = r.json()
    assert r.status_code == 200 and body["model"] == BGE and body["id"].startswith("rerank-")
    results = body["results"]
    assert results[0]["index"] == 1 and len(results) == 2
    assert all(0.0 < x["relevance_score"] < 1.0 for x in results)
    assert results[0]["relevance_score"] > 0.9 > results[1]["relevance_score"]
    assert results[0]["document"] == {"text": DOCS[1]}
    assert body["usage"]["total_tokens"] > 0


def test_rerank_without_documents_or_model(http: TestClient) -> None:
    r = http.post("/rerank", json={"query": EIFFEL, "documents": DOCS, "return_documents": False})
    body = r.json()
    assert body["model"] == BGE and "document" not in body["results"][0] and len(body["results"]) == 3


def test_score_one_against_many_and_pairwise(http: TestClient) -> None:
    r = http.post("/score", json={"model": BGE, "text_1": EIFFEL, "text_2": DOCS}).json()
    assert r["object"] == "list" and [d["index"] for d in r["data"]] == [0, 1, 2]
    scores = [d["score"] for d in r["data"]]
    assert scores[1] == max(scores) and all(0 < s < 1 for s in scores)
    pairwise = http.post("/v1/score", json={"model": BGE, "text_1": [EIFFEL, "What is in bananas?"],
                                            "text_2": [DOCS[1], DOCS[0]]}).json()  # fmt: skip
    assert all(d["score"] > 0.5 for d in pairwise["data"])
    # An embedding model's score is the cosine of its vectors, as vLLM's.
    same = http.post("/score", json={"model": "BAAI/bge-m3", "text_1": "a b c", "text_2": "a b c"}).json()
    assert math.isclose(same["data"][0]["score"], 1.0, abs_tol=1e-5)


@pytest.mark.parametrize(
    ("path", "body", "param", "code"),
    [
        ("/v1/ranking", {"model": NIM, "query": {"text": "q"}, "passages": []}, "passages", "empty_array"),
        ("/v1/ranking", {"model": NIM, "query": "q", "passages": [{"text": "p"}]}, "query", "invalid_type"),
        ("/v1/ranking", {"model": NIM, "query": {"text": "q"}, "passages": [{"text": "p"}] * 513}, "passages",
         "array_above_max_length"),
        ("/v1/ranking", {"model": "gpt-4o", "query": {"text": "q"}, "passages": [{"text": "p"}]}, "model",
         "model_not_supported"),
        ("/rerank", {"query": "q", "documents": [{"title": "no text"}]}, "documents[0]", "invalid_type"),
        ("/rerank", {"query": "q", "documents": ["d"], "top_n": 0}, "top_n", "integer_below_min_value"),
        ("/score", {"text_1": ["a", "b"], "text_2": ["a", "b", "c"]}, "text_2", "invalid_value"),
        ("/score", {"text_1": "a"}, "text_2", "missing_required_parameter"),
    ],
)  # fmt: skip
def test_bad_input_gets_openais_error_shape(
    http: TestClient, path: str, body: dict, param: str, code: str
) -> None:  # type: ignore[type-arg]
    r = http.post(path, json=body)
    error = r.json()["error"]
    assert r.status_code == 400 and set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"]) == (param, code)
