"""vLLM's own endpoints that benchmark clients probe: /tokenize, /detokenize, /reset_prefix_cache."""

from __future__ import annotations

from openai import OpenAI
from starlette.testclient import TestClient

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there, world."}]


def test_tokenize_counts_what_usage_reports(http: TestClient, client: OpenAI) -> None:
    chat = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=1)  # type: ignore[arg-type]
    tokenized = http.post("/tokenize", json={"model": "gpt-4o", "messages": MESSAGES}).json()
    assert chat.usage and tokenized["count"] == chat.usage.prompt_tokens == len(tokenized["tokens"])
    assert all(token >= 0 for token in tokenized["tokens"]) and tokenized["max_model_len"] == 128000
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hello there", max_tokens=1)
    plain = http.post("/tokenize", json={"model": "gpt-3.5-turbo-instruct", "prompt": "Hello there"}).json()
    assert completion.usage and plain["count"] == completion.usage.prompt_tokens


def test_detokenize_inverts_tokenize(http: TestClient) -> None:
    tokens = http.post("/tokenize", json={"model": "gpt-4o", "prompt": "Round trip, exactly."}).json()[
        "tokens"
    ]
    assert http.post("/detokenize", json={"model": "gpt-4o", "tokens": tokens}).json() == {
        "prompt": "Round trip, exactly."
    }


def test_bad_input_is_a_400_with_param(http: TestClient) -> None:
    both = http.post("/tokenize", json={"model": "gpt-4o", "prompt": "a", "messages": MESSAGES})
    assert both.status_code == 400 and both.json()["error"]["param"] == "prompt"
    bad = http.post("/detokenize", json={"model": "gpt-4o", "tokens": [10**9]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tokens"


def test_reset_prefix_cache_forgets_cached_prompts(http: TestClient, client: OpenAI) -> None:
    long = [{"role": "user", "content": " ".join(["A long shared prompt about gardens."] * 60)}]
    client.chat.completions.create(model="gpt-4o", messages=long, max_tokens=1)  # type: ignore[arg-type]
    cached = client.chat.completions.create(model="gpt-4o", messages=long, max_tokens=1)  # type: ignore[arg-type]
    assert (
        cached.usage
        and cached.usage.prompt_tokens_details
        and cached.usage.prompt_tokens_details.cached_tokens
    )
    assert http.post("/reset_prefix_cache").status_code == 200
    fresh = client.chat.completions.create(model="gpt-4o", messages=long, max_tokens=1)  # type: ignore[arg-type]
    assert fresh.usage and fresh.usage.prompt_tokens_details
    assert fresh.usage.prompt_tokens_details.cached_tokens == 0
