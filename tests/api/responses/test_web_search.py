"""The simulated web_search tool: a call item, url_citation annotations on fake domains, seeded."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlparse

from openai import OpenAI
from starlette.testclient import TestClient

from tests.api.responses.helpers import WEATHER, stream
from tests.contract.spec import Spec

SEARCH = [{"type": "web_search"}]


def test_search_call_and_citations(client: OpenAI) -> None:
    response = client.responses.create(
        model="gpt-4o",
        input="Latest news about Lisbon trams",
        tools=SEARCH,
        include=["web_search_call.action.sources"],
        extra_body={"seed": 3},
    )
    call, message = response.output
    assert call.type == "web_search_call" and call.status == "completed"
    assert call.action.type == "search" and call.action.query == "Latest news about Lisbon trams"
    assert all(urlparse(s.url).hostname.endswith(".example") for s in call.action.sources)
    text = message.content[0]
    assert text.annotations and all(a.type == "url_citation" for a in text.annotations)
    for annotation in text.annotations:
        assert urlparse(annotation.url).hostname.endswith(".example")
        cited = text.text[annotation.start_index : annotation.end_index]
        assert cited and cited[-1] in ".!?"
    again = client.responses.create(
        model="gpt-4o", input="Latest news about Lisbon trams", tools=SEARCH, extra_body={"seed": 3}
    )
    assert [a.url for a in again.output[1].content[0].annotations] == [a.url for a in text.annotations]


def test_tool_choice_none_skips_the_search(client: OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="News?", tools=SEARCH, tool_choice="none")
    assert [item.type for item in response.output] == ["message"]


def test_a_function_call_wins_over_the_search(client: OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Weather in Lisbon?", tools=[*SEARCH, WEATHER])
    assert [item.type for item in response.output] == ["function_call"]


def test_stream_events(http: TestClient, spec: Spec) -> None:
    events = stream(http, input="News about the harbour", tools=SEARCH)
    kinds = Counter(e["type"] for e in events)
    for kind in (
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    ):
        assert kinds[kind] == 1
    assert kinds["response.output_text.annotation.added"] >= 1
    for event in events:
        spec.validate("ResponseStreamEvent", event)
