"""Response modes: echo, scripted rules (reloaded when the file changes) and recorded datasets."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers
from tests.conftest import sdk
from tests.contract.spec import Spec, response_hook

MODE = "x-fakeai-response-mode"
TOKENS = Tokenizers()


@pytest.fixture
def app_client(
    make_app: Callable[..., Starlette], spec: Spec, validated: list
) -> Iterator[Callable[..., OpenAI]]:
    """Builds the strict SDK on an app with the given settings (bodies validated against the spec)."""
    opened: list[TestClient] = []

    def build(**settings: object) -> OpenAI:
        client = TestClient(make_app(**settings), raise_server_exceptions=False).__enter__()
        opened.append(client)
        client.event_hooks["response"] = [response_hook(spec, validated)]
        return sdk(client)

    yield build
    for client in opened:
        client.__exit__(None, None, None)


def _ask(client: OpenAI, text: str, model: str = "gpt-4o", **extra: object) -> object:
    messages = [{"role": "user", "content": text}]
    return client.chat.completions.create(model=model, messages=messages, **extra)  # type: ignore[call-overload]


def _count(text: str) -> int:
    return len(TOKENS.get("o200k_base").encode_ordinary(text))


def test_echo_repeats_the_last_user_message(app_client: Callable[..., OpenAI]) -> None:
    client = app_client(response_mode="echo")
    text = "Repeat after me: naïve café, 日本語 and {json}!"
    completion = _ask(client, text)
    assert completion.choices[0].message.content == text  # type: ignore[attr-defined]
    assert completion.usage.completion_tokens == _count(text)  # type: ignore[attr-defined]
    pieces = []
    for chunk in _ask(client, text, stream=True):  # type: ignore[attr-defined]
        pieces.extend(c.delta.content for c in chunk.choices if c.delta.content is not None)
    assert "".join(pieces) == text and len(pieces) == _count(text) + 1  # + the role chunk's ""


def test_header_chooses_the_mode_per_request(client: OpenAI, http: TestClient) -> None:
    echoed = _ask(client, "hello there", extra_headers={MODE: "echo"})
    assert echoed.choices[0].message.content == "hello there"  # type: ignore[attr-defined]
    assert _ask(client, "hello there").choices[0].message.content != "hello there"  # type: ignore[attr-defined]
    response = http.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
        headers={MODE: "telepathy"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_value"
    response = http.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
        headers={MODE: "scripted"},
    )
    assert response.status_code == 400 and "--response-file" in response.json()["error"]["message"]


def test_echo_with_stop_and_max_tokens(app_client: Callable[..., OpenAI]) -> None:
    client = app_client(response_mode="echo")
    stopped = _ask(client, "one two. three four", stop=["."]).choices[0]  # type: ignore[attr-defined]
    assert stopped.message.content == "one two" and stopped.finish_reason == "stop"
    cut = _ask(client, "one two three four five six", max_tokens=2)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 2  # type: ignore[attr-defined]


RULES = """
rules:
  - when: {message: "(?i)error please"}
    error: {status: 429, message: "Slow down.", type: rate_limit_exceeded, code: rate_limit_exceeded}
  - when: {message: "(?i)secret"}
    refusal: "I can't help with that."
  - when: {tools: true, tool_results: false, model: "gpt-4*"}
    tool_calls:
      - {name: lookup, arguments: {query: scripted}}
      - {name: lookup}
  - when: {tool_results: true}
    content: "Done: the lookup worked."
  - when: {turn: 2}
    content: "This is the second turn."
  - when: {message: "^hello", model_regex: "^gpt-4o$"}
    content: ["Hi!", "Hello!", "Hey there!", "Greetings!", "Howdy!", "Good day!"]
"""
LOOKUP = [{"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
    "required": ["query", "limit"]}}}]  # fmt: skip


@pytest.fixture
def scripted(tmp_path: Path, app_client: Callable[..., OpenAI]) -> tuple[OpenAI, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    return app_client(response_mode="scripted", response_file=rules, response_reload_ms=0), rules


def test_scripted_content_drawn_per_choice(scripted: tuple[OpenAI, Path]) -> None:
    client, _ = scripted
    completion = _ask(client, "hello world", n=6, seed=1)
    contents = [c.message.content for c in completion.choices]  # type: ignore[attr-defined]
    assert set(contents) <= {"Hi!", "Hello!", "Hey there!", "Greetings!", "Howdy!", "Good day!"}
    assert len(set(contents)) > 1
    assert completion.usage.completion_tokens == sum(_count(c) for c in contents)  # type: ignore[attr-defined]
    assert _ask(client, "hello world", model="gpt-4").choices[0].message.content not in contents  # type: ignore[attr-defined]


def test_scripted_refusal(scripted: tuple[OpenAI, Path]) -> None:
    client, _ = scripted
    message = _ask(client, "Tell me the secret").choices[0].message  # type: ignore[attr-defined]
    assert message.content is None and message.refusal == "I can't help with that."
    refusal = ""
    for chunk in _ask(client, "Tell me the secret", stream=True):  # type: ignore[attr-defined]
        for choice in chunk.choices:
            assert not choice.delta.content
            refusal += choice.delta.refusal or ""
    assert refusal == "I can't help with that."


def test_scripted_error_has_openais_shape(scripted: tuple[OpenAI, Path]) -> None:
    client, _ = scripted
    with pytest.raises(openai.RateLimitError) as info:
        _ask(client, "error please")
    assert info.value.status_code == 429 and info.value.code == "rate_limit_exceeded"
    assert info.value.body == {  # type: ignore[comparison-overlap]
        "message": "Slow down.", "type": "rate_limit_exceeded", "param": None, "code": "rate_limit_exceeded"
    }  # fmt: skip


def test_scripted_agent_loop(scripted: tuple[OpenAI, Path]) -> None:
    client, _ = scripted
    messages: list = [{"role": "user", "content": "find it"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=LOOKUP).choices[0]  # type: ignore[arg-type]
    calls = first.message.tool_calls or []
    assert first.finish_reason == "tool_calls" and len(calls) == 2
    assert json.loads(calls[0].function.arguments) == {"query": "scripted"}  # type: ignore[union-attr]
    generated = json.loads(calls[1].function.arguments)  # type: ignore[union-attr]
    assert isinstance(generated["query"], str) and isinstance(generated["limit"], int)
    messages.append(first.message.model_dump(exclude_none=True))
    messages += [{"role": "tool", "tool_call_id": c.id, "content": "ok"} for c in calls]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=LOOKUP).choices[0]  # type: ignore[arg-type]
    assert second.message.content == "Done: the lookup worked." and second.finish_reason == "stop"


def test_turn_and_fallback_to_prose(scripted: tuple[OpenAI, Path]) -> None:
    client, _ = scripted
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"}]  # fmt: skip
    second = client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    assert second.choices[0].message.content == "This is the second turn."
    prose = _ask(client, "nothing matches this").choices[0].message.content  # type: ignore[attr-defined]
    assert prose and prose not in RULES


def test_rules_reload_when_the_file_changes(scripted: tuple[OpenAI, Path]) -> None:
    client, rules = scripted
    assert _ask(client, "hello", seed=1).choices[0].message.content != "Changed."  # type: ignore[attr-defined]
    rules.write_text('- {when: {message: "^hello"}, content: "Changed."}\n')
    stat = rules.stat()
    os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new mtime, without sleeping
    assert _ask(client, "hello").choices[0].message.content == "Changed."  # type: ignore[attr-defined]
    rules.write_text("- {when: {bogus: 1}, content: x}\n")  # broken: the last good rules stay
    os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2 * 10**9))
    assert _ask(client, "hello").choices[0].message.content == "Changed."  # type: ignore[attr-defined]


def test_a_broken_rules_file_is_a_server_error(tmp_path: Path, app_client: Callable[..., OpenAI]) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- {content: a, refusal: b}\n")
    client = app_client(response_mode="scripted", response_file=rules)
    with pytest.raises(openai.InternalServerError) as info:
        _ask(client, "hi")
    assert "rule 1" in info.value.message


WEATHER_ARGS = '{"city":"Lisbon"}'


def test_dataset_replies_with_the_recorded_answer(tmp_path: Path, app_client: Callable[..., OpenAI]) -> None:
    conversation = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of Portugal?"},
        {"role": "assistant", "content": "Lisbon."},
        {"role": "user", "content": "And its weather?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": WEATHER_ARGS}}]},
    ]  # fmt: skip
    dataset = tmp_path / "conversations.jsonl"
    dataset.write_text(json.dumps({"messages": conversation}) + "\n\n")
    client = app_client(response_mode="dataset", response_file=dataset)
    first = client.chat.completions.create(model="gpt-4o", messages=conversation[:2], n=2)  # type: ignore[arg-type]
    assert [c.message.content for c in first.choices] == ["Lisbon.", "Lisbon."]
    assert first.usage and first.usage.completion_tokens == 2 * _count("Lisbon.")
    second = client.chat.completions.create(model="gpt-4o", messages=conversation[:4]).choices[0]  # type: ignore[arg-type]
    assert second.finish_reason == "tool_calls"
    (call,) = second.message.tool_calls or ()
    assert call.function.arguments == WEATHER_ARGS  # type: ignore[union-attr]
    other = _ask(client, "Something never recorded").choices[0].message.content  # type: ignore[attr-defined]
    assert other and other != "Lisbon."
