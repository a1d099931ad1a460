"""Bad chat input gets OpenAI's error body with the right status, param and code; the server keeps serving."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI
from starlette.testclient import TestClient

OK = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def _with(**changes: object) -> dict[str, object]:
    return {**OK, **changes}


def _without(key: str) -> dict[str, object]:
    return {k: v for k, v in OK.items() if k != key}


CASES = [
    # (body, status, param, code)
    (_without("messages"), 400, "messages", "missing_required_parameter"),
    (_without("model"), 400, "model", "missing_required_parameter"),
    (_with(messages=[]), 400, "messages", "empty_array"),
    (_with(messages=[{"role": "wizard", "content": "x"}]), 400, "messages[0].role", "invalid_value"),
    (_with(messages=[{"role": "user"}]), 400, "messages[0].content", "missing_required_parameter"),
    (_with(messages=[{"role": "user", "content": 5}]), 400, "messages[0].content", "invalid_type"),
    (
        _with(messages=[{"role": "user", "content": [{"type": "hologram"}]}]),
        400,
        "messages[0].content[0].type",
        "invalid_value",
    ),
    (
        _with(messages=[{"role": "tool", "content": "x"}]),
        400,
        "messages[0].tool_call_id",
        "missing_required_parameter",
    ),
    (_with(max_tokens=0), 400, "max_tokens", "integer_below_min_value"),
    (_with(max_completion_tokens=-5), 400, "max_completion_tokens", "integer_below_min_value"),
    (_with(max_tokens="ten"), 400, "max_tokens", "invalid_type"),
    (_with(n=0), 400, "n", "integer_below_min_value"),
    (_with(n=129), 400, "n", "integer_above_max_value"),
    (_with(temperature=2.5), 400, "temperature", "decimal_above_max_value"),
    (_with(temperature=-0.1), 400, "temperature", "decimal_below_min_value"),
    (_with(top_p=1.5), 400, "top_p", "decimal_above_max_value"),
    (_with(presence_penalty=3), 400, "presence_penalty", "decimal_above_max_value"),
    (_with(top_logprobs=21), 400, "top_logprobs", "integer_above_max_value"),
    (_with(stop=["a", "b", "c", "d", "e"]), 400, "stop", "array_above_max_length"),
    (_with(stream="yes"), 400, "stream", "invalid_type"),
    (_with(stream_options={"include_usage": True}), 400, "stream_options", "invalid_value"),
    (_with(max_tokens=10**6), 400, "max_tokens", "invalid_value"),
    (_with(min_tokens=100, max_tokens=10), 400, "min_tokens", "invalid_value"),
    (_with(model="text-embedding-3-small"), 404, "model", "model_not_supported"),
    (_with(model="o3", logprobs=True), 400, "logprobs", "unsupported_parameter"),
    (_with(top_logprobs=2), 400, "top_logprobs", "invalid_value"),
    (_with(logprobs=False, top_logprobs=0), 400, "top_logprobs", "invalid_value"),
    (_with(tool_choice="auto"), 400, "tool_choice", "invalid_value"),
]


@pytest.mark.parametrize(("body", "status", "param", "code"), CASES)
def test_bad_input_is_an_openai_error(
    http: TestClient, body: dict, status: int, param: str, code: str
) -> None:
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"]) == (param, code), error["message"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert http.post("/v1/chat/completions", json={**OK, "max_tokens": 1}).status_code == 200


def test_malformed_json_is_a_400_without_param(http: TestClient) -> None:
    for raw in (b"{", b"", b"[1, 2]", b"null", b'{"model": "gpt-4o", "messages": [}'):
        response = http.post(
            "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, raw
        assert response.json()["error"]["type"] == "invalid_request_error"


def test_messages_that_exceed_the_context_window(client: OpenAI) -> None:
    long_text = "word " * 9000  # gpt-4 has an 8,192-token window
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": long_text}])
    assert info.value.code == "context_length_exceeded" and info.value.param == "messages"
    assert "8192" in info.value.message


def test_prompt_plus_max_tokens_over_the_window_is_refused(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "word " * 7000}], max_tokens=4000
        )
    assert info.value.code == "context_length_exceeded"


def test_the_sdk_surfaces_param_and_code(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}], n=0)
    assert info.value.status_code == 400 and info.value.param == "n"
    assert info.value.code == "integer_below_min_value"
