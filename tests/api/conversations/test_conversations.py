"""The Conversations API with the strict SDK, and responses that read and append to a conversation."""

from __future__ import annotations

import pytest
from openai import BadRequestError, NotFoundError, OpenAI


def test_lifecycle(client: OpenAI, validated: list) -> None:
    conversation = client.conversations.create(
        metadata={"topic": "tides"}, items=[{"type": "message", "role": "user", "content": "Hello!"}]
    )
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "tides"}
    assert client.conversations.retrieve(conversation.id).id == conversation.id
    updated = client.conversations.update(conversation.id, metadata={"topic": "boats"})
    assert updated.metadata == {"topic": "boats"}
    added = client.conversations.items.create(
        conversation.id,
        items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "More"}]}],
    )
    assert len(added.data) == 1
    listed = client.conversations.items.list(conversation.id, order="asc")
    assert [item.content[0].text for item in listed.data] == ["Hello!", "More"]
    first = listed.data[0]
    assert client.conversations.items.retrieve(first.id, conversation_id=conversation.id).id == first.id
    client.conversations.items.delete(first.id, conversation_id=conversation.id)
    assert len(client.conversations.items.list(conversation.id).data) == 1
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted and deleted.id == conversation.id
    with pytest.raises(NotFoundError):
        client.conversations.retrieve(conversation.id)
    assert {path.split("/")[2] for path, _, _ in validated} == {"conversations"}
    assert all(count == 1 for _, status, count in validated if status == 200)


def test_responses_append_to_their_conversation(client: OpenAI) -> None:
    conversation = client.conversations.create()
    first = client.responses.create(
        model="gpt-4o", input="Tell me about tides.", conversation=conversation.id, max_output_tokens=16
    )
    assert first.conversation.id == conversation.id
    second = client.responses.create(
        model="gpt-4o", input="And the boats?", conversation={"id": conversation.id}, max_output_tokens=16
    )
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.type for item in items] == ["message"] * 4
    assert [item.role for item in items] == ["user", "assistant", "user", "assistant"]
    assert items[1].content[0].text == first.output_text


def test_unknown_conversation(client: OpenAI) -> None:
    with pytest.raises(NotFoundError) as info:
        client.responses.create(model="gpt-4o", input="Hi", conversation="conv_nope")
    assert info.value.body["param"] == "conversation"


def test_too_many_items_at_once(client: OpenAI) -> None:
    conversation = client.conversations.create()
    with pytest.raises(BadRequestError) as info:
        client.conversations.items.create(conversation.id, items=[{"role": "user", "content": "x"}] * 21)
    assert info.value.body["param"] == "items"
    with pytest.raises(BadRequestError) as info:
        client.conversations.items.create(conversation.id, items=[{"role": "robot", "content": "x"}])
    assert info.value.body["param"] == "items[0].role"
