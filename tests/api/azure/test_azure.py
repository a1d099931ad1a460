"""Azure OpenAI's routes with ``openai.AzureOpenAI``, and the original's ``/v1/text/generation``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import openai
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai.api.azure.routes import OPERATIONS
from tests.contract.spec import Spec, response_hook

VERSION = "2024-10-21"
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def raw(
    make_app: Callable[..., Starlette], optional_spec: Spec | None, validated: list
) -> Iterator[TestClient]:
    app = make_app(
        seed=3, azure_deployments={"prod-chat": "gpt-4o", "prod-instruct": "gpt-3.5-turbo-instruct"}
    )
    with TestClient(app, raise_server_exceptions=False) as http:
        if optional_spec is not None:
            http.event_hooks["response"] = [response_hook(optional_spec, validated)]
        yield http


@pytest.fixture
def azure(raw: TestClient) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        api_key="azure-key", azure_endpoint=str(raw.base_url), api_version=VERSION, http_client=raw,
        max_retries=0, _strict_response_validation=True,
    )  # fmt: skip


def _safe(results: dict) -> bool:
    return all(not verdict["filtered"] for verdict in results.values())


def test_chat_through_a_deployment(azure: openai.AzureOpenAI, raw: TestClient) -> None:
    completion = azure.chat.completions.create(model="prod-chat", messages=HI, max_tokens=8)
    assert completion.model == "gpt-4o"  # the deployment's model
    assert completion.usage is not None and completion.usage.completion_tokens == 8
    (prompt,) = completion.model_extra["prompt_filter_results"]
    assert prompt["prompt_index"] == 0 and _safe(prompt["content_filter_results"])
    assert _safe(completion.choices[0].model_extra["content_filter_results"])
    # The same answer as /v1 gives for the model (same seed, same prompt).
    direct = raw.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": HI, "max_tokens": 8}
    ).json()
    assert completion.choices[0].message.content == direct["choices"][0]["message"]["content"]


def test_unlisted_deployment_is_the_model_of_its_name(azure: openai.AzureOpenAI) -> None:
    completion = azure.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=2)
    assert completion.model == "gpt-4o-mini"


def test_streamed_chat(azure: openai.AzureOpenAI) -> None:
    chunks = list(azure.chat.completions.create(model="prod-chat", messages=HI, max_tokens=6, stream=True))
    first, *rest = chunks
    assert first.choices == [] and first.model_extra["prompt_filter_results"]
    text = "".join(c.choices[0].delta.content or "" for c in rest if c.choices)
    assert text and rest[-1].choices[0].finish_reason == "length"
    assert all(_safe(c.choices[0].model_extra["content_filter_results"]) for c in rest)


def test_legacy_completions_and_the_v1_form(azure: openai.AzureOpenAI, raw: TestClient) -> None:
    completion = azure.completions.create(model="prod-instruct", prompt="Once upon a time", max_tokens=4)
    assert completion.model == "gpt-3.5-turbo-instruct" and completion.choices[0].text
    assert "content_filter_results" in completion.choices[0].model_extra
    v1 = openai.OpenAI(api_key="k", base_url=f"{raw.base_url}/openai/v1", http_client=raw, max_retries=0)
    chat = v1.chat.completions.create(model="prod-chat", messages=HI, max_tokens=3)
    assert chat.model == "gpt-4o" and chat.model_extra["prompt_filter_results"]
    response = v1.responses.create(model="prod-chat", input="Hi", max_output_tokens=16)
    assert response.model == "gpt-4o" and response.output_text


def test_api_version_is_required_and_checked(raw: TestClient) -> None:
    body = {"messages": HI, "max_tokens": 2}
    missing = raw.post("/openai/deployments/prod-chat/chat/completions", json=body)
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "Missing required query parameter: api-version"
    assert missing.json()["error"]["code"] == "BadRequest"
    for version in ("2021-01-01", "latest", "2024-13"):
        bad = raw.post(f"/openai/deployments/prod-chat/chat/completions?api-version={version}", json=body)
        assert bad.status_code == 400 and bad.json()["error"]["message"] == "API version not supported"
    ok = raw.post("/openai/deployments/prod-chat/chat/completions?api-version=2025-04-01-preview", json=body)
    assert ok.status_code == 200
    assert raw.post("/openai/v1/chat/completions?api-version=2024-10-21", json=body).status_code == 400


def test_api_key_header_and_errors_pass_through(raw: TestClient) -> None:
    url = f"/openai/deployments/prod-chat/chat/completions?api-version={VERSION}"
    answer = raw.post(url, json={"messages": HI}, headers={"api-key": "azure-key"})
    assert answer.status_code == 200
    invalid = raw.post(url, json={"messages": HI, "max_tokens": 0})
    assert invalid.status_code == 400 and invalid.json()["error"]["param"] == "max_tokens"
    unknown = raw.post(f"/openai/deployments/prod-chat/nothing?api-version={VERSION}", json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == "Resource not found"


def test_every_attached_family_has_its_azure_route(raw: TestClient) -> None:
    """An operation answers through Azure exactly when its family is attached: nothing else to wire."""
    paths = {getattr(route, "path", None) for route in raw.app.router.routes}  # type: ignore[attr-defined]
    for operation, target in OPERATIONS.items():
        status = raw.post(
            f"/openai/deployments/prod-chat/{operation}?api-version={VERSION}", json={}
        ).status_code
        assert (status != 404) == (target in paths), operation


def test_text_generation(raw: TestClient) -> None:
    body = {
        "input": "Once upon a time",
        "model": "gpt-3.5-turbo-instruct",
        "max_output_tokens": 7,
        "user": "u",
    }
    answer = raw.post("/v1/text/generation", json=body)
    assert answer.status_code == 200
    result = answer.json()
    assert set(result) == {"id", "created", "output", "usage", "model"}
    assert result["id"].startswith("gen-") and result["model"] == "gpt-3.5-turbo-instruct"
    assert result["usage"]["completion_tokens"] == 7 and result["output"]
    assert result["usage"]["total_tokens"] == result["usage"]["prompt_tokens"] + 7
    default = raw.post("/v1/text/generation", json={"input": "Hi", "model": "gpt-4o", "stop": ["."]}).json()
    assert default["usage"]["completion_tokens"] <= 100 and "." not in default["output"]
    missing = raw.post("/v1/text/generation", json={"model": "gpt-4o"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "input"


def test_media_families_through_azure(azure: openai.AzureOpenAI) -> None:
    """Speech and transcriptions (a multipart form, its model field rewritten) ride the same table."""
    spoken = azure.audio.speech.create(
        model="tts-1", voice="alloy", input="Hello from Azure.", response_format="wav"
    )
    heard = azure.audio.transcriptions.create(
        model="whisper-1", file=("hello.wav", spoken.read(), "audio/wav")
    )
    assert heard.text == "Hello from Azure."
