"""POST /v1/embeddings through the official SDK (strict where the encoding allows), with every raw body
checked against the OpenAI spec by the ``http`` fixture's hook."""

from __future__ import annotations

import base64
import concurrent.futures
import time

import numpy as np
import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from fakeai.engine import VirtualClock
from tests.api.embeddings.corpus import PASSAGES, QUERIES
from tests.api.metrics.test_engine_metrics import samples, value
from tests.conftest import FAST, sdk

SMALL = "text-embedding-3-small"


def vectors(client: OpenAI, model: str, texts: list[str] | str, **kw: object) -> np.ndarray:
    r = client.embeddings.create(model=model, input=texts, encoding_format="float", **kw)  # type: ignore[arg-type]
    assert [d.index for d in r.data] == list(range(len(r.data)))
    return np.array([d.embedding for d in r.data])


@pytest.mark.parametrize(
    ("model", "dims"),
    [
        (SMALL, 1536),
        ("text-embedding-3-large", 3072),
        ("text-embedding-ada-002", 1536),
        ("nvidia/nv-embedqa-e5-v5", 1024),
        ("nvidia/NV-Embed-v2", 4096),
        ("BAAI/bge-small-en-v1.5", 384),
        ("intfloat/e5-large-v2", 1024),
    ],
)
def test_native_dimensions_and_unit_norm(client: OpenAI, validated: list, model: str, dims: int) -> None:
    v = vectors(client, model, ["The quick brown fox", "jumps over the lazy dog"])
    assert v.shape == (2, dims)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert validated and validated[-1][:2] == ("/v1/embeddings", 200)


def test_usage_counts_the_models_own_tokens(client: OpenAI, http: TestClient) -> None:
    texts = ["Hello, world!", "Embeddings are vectors."]
    r = client.embeddings.create(model=SMALL, input=texts, encoding_format="float")
    encoding = http.app.state.fakeai.tokenizers.get("cl100k_base")  # type: ignore[attr-defined]
    expected = sum(len(encoding.encode_ordinary(t)) for t in texts)
    assert r.usage.prompt_tokens == r.usage.total_tokens == expected
    assert r.model == SMALL and r.object == "list"


def test_vectors_are_deterministic_per_model_and_text(make_app) -> None:  # type: ignore[no-untyped-def]
    found = []
    for _ in range(2):
        with TestClient(make_app()) as http:
            client = sdk(http)
            found.append(vectors(client, SMALL, ["same text", "other text"]))
            other = vectors(client, "text-embedding-3-large", "same text")[:, :1536]
    assert np.array_equal(found[0], found[1])
    assert abs(float(found[0][0] @ other[0] / np.linalg.norm(other[0]))) < 0.2  # models differ


def test_similar_texts_score_higher_than_unrelated(client: OpenAI) -> None:
    a, b, c = vectors(client, SMALL, ["How do I reset my password?", "Steps to reset a forgotten password",
                                      "The stock market fell sharply on Tuesday"])  # fmt: skip
    assert a @ b > 0.3 > 0.1 > abs(a @ c)


def test_base64_decodes_to_the_float_vectors(make_app) -> None:  # type: ignore[no-untyped-def]
    # No spec hook here: the spec types ``embedding`` as an array only, but base64 is a string (as OpenAI
    # sends it, and as the SDK's default ``encoding_format`` asks for).
    with TestClient(make_app()) as http:
        _base64_checks(http)


def _base64_checks(http: TestClient) -> None:
    lenient = OpenAI(api_key="sk-test", base_url=f"{http.base_url}/v1", http_client=http, max_retries=0)
    decoded = lenient.embeddings.create(model=SMALL, input="base64 please")  # the SDK's default: base64
    raw = http.post(
        "/v1/embeddings", json={"model": SMALL, "input": "base64 please", "encoding_format": "base64"}
    )
    floats = np.frombuffer(base64.b64decode(raw.json()["data"][0]["embedding"]), dtype="<f4")
    expected = vectors(sdk(http), SMALL, "base64 please")[0]
    assert np.allclose(decoded.data[0].embedding, expected) and np.allclose(floats, expected)


def test_dimensions_shorten_then_renormalise(client: OpenAI) -> None:
    full = vectors(client, "text-embedding-3-large", "shorten me please")[0]
    short = vectors(client, "text-embedding-3-large", "shorten me please", dimensions=256)[0]
    assert short.shape == (256,) and np.isclose(np.linalg.norm(short), 1.0, atol=1e-5)
    assert np.allclose(short, full[:256] / np.linalg.norm(full[:256]), atol=1e-6)


def test_token_ids_embed_like_their_text(client: OpenAI, http: TestClient) -> None:
    encoding = http.app.state.fakeai.tokenizers.get("cl100k_base")  # type: ignore[attr-defined]
    texts = ["token ids in", "arrays of token arrays"]
    ids = [encoding.encode_ordinary(t) for t in texts]
    as_text = vectors(client, SMALL, texts)
    assert np.allclose(vectors(client, SMALL, ids), as_text)  # type: ignore[arg-type]
    assert np.allclose(vectors(client, SMALL, ids[0]), as_text[:1])  # type: ignore[arg-type]


def test_embedding_search_finds_the_answering_passage() -> None:
    """Embedding search on a fixed corpus of 26 question/passage pairs: random would be right 1 in 26."""
    with TestClient(create_app(Settings(**FAST))) as http:
        client = sdk(http)
        for model in (SMALL, "nvidia/nv-embedqa-e5-v5", "BAAI/bge-small-en-v1.5"):
            q, p = vectors(client, model, QUERIES), vectors(client, model, PASSAGES)
            hit_rate = float(np.mean((q @ p.T).argmax(axis=1) == np.arange(len(QUERIES))))
            print(f"{model}: top-1 hit rate {hit_rate:.2f} (random: {1 / len(QUERIES):.2f})")
            assert hit_rate >= 0.8, model


def _error(http: TestClient, body: dict) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = http.post("/v1/embeddings", json=body)
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return r.status_code, error


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": SMALL, "input": ""}, "input", "invalid_value"),
        ({"model": SMALL, "input": ["ok", ""]}, "input", "invalid_value"),
        ({"model": SMALL, "input": []}, "input", "empty_array"),
        ({"model": SMALL, "input": ["x"] * 2049}, "input", "array_above_max_length"),
        ({"model": SMALL, "input": [1, "a"]}, "input", "invalid_type"),
        ({"model": SMALL, "input": [[1, 2], []]}, "input", "invalid_type"),
        ({"model": SMALL, "input": [10**9]}, "input", "invalid_value"),
        ({"model": SMALL, "input": "word " * 9000}, "input", "context_length_exceeded"),
        ({"model": SMALL, "input": ["word " * 8000] * 40}, "input", "max_tokens_per_request"),
        ({"model": SMALL, "input": "x", "dimensions": 0}, "dimensions", "integer_below_min_value"),
        ({"model": SMALL, "input": "x", "dimensions": 1537}, "dimensions", "integer_above_max_value"),
        ({"model": "text-embedding-ada-002", "input": "x", "dimensions": 512}, "dimensions", "invalid_value"),
        ({"model": SMALL, "input": "x", "encoding_format": "hex"}, "encoding_format", "invalid_value"),
        ({"model": "gpt-4o", "input": "x"}, "model", "model_not_supported"),
        ({"input": "x"}, "model", "missing_required_parameter"),
    ],
)
def test_bad_input_gets_openais_error(http: TestClient, body: dict, param: str, code: str) -> None:  # type: ignore[type-arg]
    status, error = _error(http, body)
    assert (status, error["type"], error["param"], error["code"]) == (
        400,
        "invalid_request_error",
        param,
        code,
    )


def test_truncation_options_keep_the_window(http: TestClient) -> None:
    long = "word " * 700  # the e5 model takes 512 tokens
    model = "nvidia/nv-embedqa-e5-v5"
    assert http.post("/v1/embeddings", json={"model": model, "input": long}).status_code == 400
    for extra in ({"truncate": "END"}, {"truncate": "START"}, {"truncate_prompt_tokens": -1}):
        r = http.post("/v1/embeddings", json={"model": model, "input": long, "input_type": "query", **extra})
        assert r.status_code == 200 and r.json()["usage"]["prompt_tokens"] == 512, extra


def test_embedding_work_is_prefill_on_the_engine_and_in_the_metrics() -> None:
    clock = VirtualClock()  # stepped by the test, on the app's loop (through the portal)
    app = create_app(Settings(ttft_ms=250, itl_ms=10), clock=clock)
    body = {"model": SMALL, "input": ["a b", "c d"]}
    with TestClient(app) as http, concurrent.futures.ThreadPoolExecutor(1) as pool:
        scheduler = app.state.fakeai.engine.workers[0].scheduler
        pending = pool.submit(http.post, "/v1/embeddings", json=body)
        deadline = time.monotonic() + 5
        while len(scheduler.running) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        # Both inputs are on the engine, prefilling; the answer waits for them.
        assert len(scheduler.running) == 2 and not pending.done()
        http.portal.call(clock.advance, 0.25)  # type: ignore[union-attr]
        response = pending.result(timeout=5)
        assert response.status_code == 200
        found = samples(http)
        labels = {"model_name": SMALL, "engine": "0"}
        assert value(found, "vllm:prompt_tokens_total", **labels) == response.json()["usage"]["prompt_tokens"]
        assert value(found, "vllm:generation_tokens_total", **labels) == 0
        assert value(found, "vllm:request_success_total", finished_reason="stop", **labels) == 2
        assert value(found, "vllm:e2e_request_latency_seconds_sum", **labels) == pytest.approx(0.5)
        dynamo = samples(http, "/dynamo/metrics")
        assert value(dynamo, "dynamo_frontend_requests_total", endpoint="embeddings", status="success") == 1


def test_large_requests_are_worked_off_the_loop_with_the_same_vectors(client: OpenAI) -> None:
    texts = [f"document {i} " + "lorem ipsum dolor sit amet " * 160 for i in range(40)]  # ~175,000 chars
    many = vectors(client, SMALL, texts)
    assert many.shape == (40, 1536)
    assert np.allclose(many[:1], vectors(client, SMALL, texts[:1]), atol=1e-6)


def test_embeddings_and_moderations_are_billed_in_the_usage_api(
    client: OpenAI, http: TestClient, validated: list
) -> None:
    r = client.embeddings.create(model=SMALL, input=["billed once", "billed twice"], encoding_format="float")
    m = client.moderations.create(input="count my tokens")
    start = {"start_time": int(time.time()) // 86400 * 86400, "bucket_width": "1d", "group_by": "model"}
    usage = http.get("/v1/organization/usage/embeddings", params=start).json()
    [result] = [x for bucket in usage["data"] for x in bucket["results"]]
    assert (result["model"], result["input_tokens"], result["num_model_requests"]) == (
        SMALL,
        r.usage.prompt_tokens,
        1,
    )
    moderation = http.get("/v1/organization/usage/moderations", params=start).json()
    [result] = [x for bucket in moderation["data"] for x in bucket["results"]]
    assert result["model"] == m.model and result["input_tokens"] > 0
    assert ("/v1/organization/usage/embeddings", 200) in {v[:2] for v in validated}
