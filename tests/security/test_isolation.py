"""Two keys, two projects: the second sees none of the first's stored objects, by list, get, id or delete
(404, as OpenAI answers), on the stored families (files, vector stores)."""

from __future__ import annotations

import openai
import pytest

from fakeai.testing import FakeAI

A, B = "sk-project-a-000001", "sk-project-b-000002"


@pytest.mark.fakeai(api_key=[A, B])
def test_a_second_key_sees_none_of_the_first_keys_objects(fakeai: FakeAI) -> None:
    first, second = fakeai.client(api_key=A), fakeai.client(api_key=B)
    uploaded = first.files.create(file=("notes.txt", b"hello from project a"), purpose="assistants")
    store = first.vector_stores.create(name="a's store")
    assert [f.id for f in first.files.list()] == [uploaded.id]

    assert list(second.files.list()) == [] and list(second.vector_stores.list()) == []
    for attempt in (
        lambda: second.files.retrieve(uploaded.id),
        lambda: second.files.content(uploaded.id),
        lambda: second.files.delete(uploaded.id),
        lambda: second.vector_stores.retrieve(store.id),
        lambda: second.vector_stores.delete(store.id),
    ):
        with pytest.raises(openai.NotFoundError):
            attempt()
    # ... and the first key still has everything.
    assert first.files.retrieve(uploaded.id).id == uploaded.id
    assert first.vector_stores.retrieve(store.id).id == store.id
