"""/v1/models: the catalog through the SDK; ids with slashes; capabilities."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from starlette.testclient import TestClient


def test_list_contains_every_provider(client: OpenAI, validated: list) -> None:
    models = client.models.list().data
    owners = {m.owned_by for m in models}
    assert {"openai", "anthropic", "meta", "mistralai", "deepseek", "nvidia"} <= owners
    ids = [m.id for m in models]
    assert len(ids) == len(set(ids)) >= 50
    assert {"gpt-4o", "openai/gpt-oss-120b", "deepseek-ai/DeepSeek-R1", "o3"} <= set(ids)
    assert validated and validated[-1][:2] == ("/v1/models", 200)


def test_retrieve_an_id_with_slashes(client: OpenAI) -> None:
    model = client.models.retrieve("meta-llama/Llama-3.1-8B-Instruct")
    assert model.id == "meta-llama/Llama-3.1-8B-Instruct" and model.object == "model"
    assert model.owned_by == "meta"


def test_vllm_clients_find_root_and_max_model_len(http: TestClient) -> None:
    first = http.get("/v1/models").json()["data"][0]
    assert first["root"] == first["id"] and first["max_model_len"] > 0


def test_retrieve_unknown_is_404_and_does_not_create(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("nobody/nothing")
    assert info.value.code == "model_not_found" and info.value.param == "model"
    assert "nobody/nothing" not in {m.id for m in client.models.list().data}


def test_capabilities(http: TestClient) -> None:
    body = http.get("/v1/models/deepseek-ai/DeepSeek-R1/capabilities").json()
    assert body["id"] == "deepseek-ai/DeepSeek-R1" and body["object"] == "model.capabilities"
    assert body["capabilities"]["reasoning"] is True and body["reasoning"] == "deepseek"
    assert body["context_window"] >= body["max_output_tokens"] > 0
    assert body["pricing"]["input"] >= 0
    assert http.get("/v1/models/gpt-4o/capabilities").json()["capabilities"]["vision"] is True
    assert http.get("/v1/models/nobody/capabilities").status_code == 404


async def test_async_sdk_lists_and_retrieves(aclient: AsyncOpenAI) -> None:
    page = await aclient.models.list()
    assert any(m.id == "gpt-4o" for m in page.data)
    assert (await aclient.models.retrieve("deepseek-ai/DeepSeek-R1")).owned_by == "deepseek"


def test_the_served_model_leads_the_list(client: OpenAI) -> None:
    """As on a single-model vLLM server: tools run without a model name take the first entry."""
    assert client.models.list().data[0].id == "meta-llama/Llama-3.1-8B-Instruct"


def test_a_served_name_outside_the_catalog_is_listed_first() -> None:
    from fakeai import Settings, create_app

    app = create_app(Settings(served_model_name="my-org/my-model"))
    with TestClient(app) as http:
        data = http.get("/v1/models").json()["data"]
    assert data[0]["id"] == "my-org/my-model" and len({m["id"] for m in data}) == len(data)
