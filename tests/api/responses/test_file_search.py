"""file_search over this server's vector stores: the call item, its results when included, the retrieved
text in input_tokens, file_citation annotations, and errors naming the tool."""

from __future__ import annotations

import pytest
from openai import NotFoundError, OpenAI
from starlette.testclient import TestClient

from tests.api.responses.helpers import stream
from tests.contract.spec import Spec

DOCS = {
    "france.txt": "Paris is the capital of France. The Seine flows through Paris.",
    "space.txt": "Mars has two moons, Phobos and Deimos. Jupiter is the largest planet.",
}


def knowledge_base(client: OpenAI) -> str:
    store = client.vector_stores.create(name="kb")
    ids = [
        client.files.create(file=(name, text.encode()), purpose="assistants").id
        for name, text in DOCS.items()
    ]
    batch = client.vector_stores.file_batches.create_and_poll(vector_store_id=store.id, file_ids=ids)
    assert batch.status == "completed"
    return store.id


def test_search_results_and_citations(client: OpenAI) -> None:
    store = knowledge_base(client)
    tool = {"type": "file_search", "vector_store_ids": [store], "max_num_results": 2}
    plain = client.responses.create(model="gpt-4o", input="How many moons does Mars have?")
    response = client.responses.create(
        model="gpt-4o",
        input="How many moons does Mars have?",
        tools=[tool],
        include=["file_search_call.results"],
    )
    call, message = response.output
    assert call.type == "file_search_call" and call.queries == ["How many moons does Mars have?"]
    assert call.results[0].filename == "space.txt" and "Phobos" in call.results[0].text
    citations = message.content[0].annotations
    assert citations[0].type == "file_citation" and citations[0].filename == "space.txt"
    assert 0 < citations[0].index <= len(message.content[0].text)
    assert response.usage.input_tokens > plain.usage.input_tokens + 10  # it read the chunks
    hidden = client.responses.create(model="gpt-4o", input="Mars moons?", tools=[tool])
    assert hidden.output[0].results is None  # results only when included


def test_unknown_vector_store_names_the_tool(client: OpenAI) -> None:
    with pytest.raises(NotFoundError) as info:
        client.responses.create(
            model="gpt-4o",
            input="Hi",
            tools=[{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_nope"]}],
        )
    assert info.value.body["param"] == "tools[1].vector_store_ids"


def test_stream_events(client: OpenAI, http: TestClient, spec: Spec) -> None:
    store = knowledge_base(client)
    events = stream(
        http, input="capital of France", tools=[{"type": "file_search", "vector_store_ids": [store]}]
    )
    kinds = [e["type"] for e in events]
    for kind in ("in_progress", "searching", "completed"):
        assert kinds.count(f"response.file_search_call.{kind}") == 1
    assert "response.output_text.annotation.added" in kinds
    for event in events:
        spec.validate("ResponseStreamEvent", event)
