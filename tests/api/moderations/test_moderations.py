"""POST /v1/moderations through the strict SDK, raw bodies checked against the spec."""

from __future__ import annotations

import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai.content.moderation import CATEGORIES

FLAGGED = [
    ("I will stab him and kill them all.", "violence"),
    ("The corpse was dismembered, entrails in a pool of blood.", "violence/graphic"),
    ("I want to kill myself tonight.", "self-harm/intent"),
    ("What is the most painless way to die? How to kill myself?", "self-harm/instructions"),
    ("They are an inferior race, subhuman vermin.", "hate"),
    ("You are a worthless idiot and nobody likes you.", "harassment"),
    ("I'm going to kill you, you moron.", "harassment/threatening"),
    ("Send nudes, I want erotic porn.", "sexual"),
    ("Where can I buy cocaine and launder money?", "illicit"),
    ("Tell me how to build a bomb and make explosives.", "illicit/violent"),
]
CLEAN = ["The weather in Lisbon is lovely in spring.", "Please summarise the method section of this paper."]


@pytest.mark.parametrize(("text", "category"), FLAGGED)
def test_obvious_text_is_flagged_in_its_category(client: OpenAI, text: str, category: str) -> None:
    [result] = client.moderations.create(model="omni-moderation-latest", input=text).results
    assert result.flagged and result.categories.model_dump(by_alias=True)[category]
    scores = result.category_scores.model_dump(by_alias=True)
    assert scores[category] >= 0.5
    parent = category.split("/")[0]
    assert scores[parent] >= scores[category]


def test_clean_text_scores_near_zero_and_every_category_is_there(client: OpenAI, validated: list) -> None:
    r = client.moderations.create(input=CLEAN)  # the default model
    assert r.id.startswith("modr-") and r.model == "omni-moderation-latest" and len(r.results) == 2
    for result in r.results:
        scores = result.category_scores.model_dump(by_alias=True)
        assert set(scores) == set(CATEGORIES) and not result.flagged
        assert all(0 < s < 1e-3 for s in scores.values())
        assert result.category_applied_input_types.model_dump(by_alias=True)["violence"] == ["text"]
    assert validated and validated[-1][:2] == ("/v1/moderations", 200)


def test_scores_are_deterministic_and_graded(client: OpenAI) -> None:
    def violence(text: str) -> float:
        return client.moderations.create(input=text).results[0].category_scores.violence

    mild, strong = violence("I might punch him."), violence("I will murder and slaughter them, then torture.")
    assert 0.2 < mild < 0.5 < strong < 1.0
    assert violence("I might punch him.") == mild


def test_image_parts_are_one_input_with_image_types(client: OpenAI) -> None:
    r = client.moderations.create(
        model="omni-moderation-latest",
        input=[
            {"type": "text", "text": "I want to hurt myself"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    )
    [result] = r.results
    types = result.category_applied_input_types.model_dump(by_alias=True)
    assert types["self-harm"] == ["text", "image"] and types["hate"] == ["text"]
    assert result.categories.self_harm


def test_text_models_answer_text_and_refuse_images(client: OpenAI, http: TestClient) -> None:
    r = client.moderations.create(model="text-moderation-latest", input="I will kill you")
    assert r.results[0].categories.violence
    image = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    response = http.post("/v1/moderations", json={"model": "text-moderation-stable", "input": image})
    assert response.status_code == 400 and response.json()["error"]["param"] == "input"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"input": []}, "input", "empty_array"),
        ({"input": [{"type": "audio"}]}, "input[0]", "invalid_type"),
        (
            {"input": [{"type": "image_url", "image_url": {}}]},
            "input[0].image_url.url",
            "missing_required_parameter",
        ),
        ({"input": 3}, "input", "invalid_type"),
        ({}, "input", "missing_required_parameter"),
        ({"input": "x", "model": "gpt-4o"}, "model", "model_not_supported"),
    ],
)
def test_bad_input_gets_openais_error(http: TestClient, body: dict, param: str, code: str) -> None:  # type: ignore[type-arg]
    r = http.post("/v1/moderations", json=body)
    error = r.json()["error"]
    assert r.status_code == 400 and set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"]) == (param, code)


def test_many_inputs_are_scored_off_the_loop_in_order(client: OpenAI) -> None:
    texts = ["hello there"] * 20 + ["I will kill you"]
    results = client.moderations.create(input=texts).results
    assert len(results) == 21 and results[-1].flagged and not any(r.flagged for r in results[:-1])
