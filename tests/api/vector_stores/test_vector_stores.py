"""/v1/vector_stores with the official SDK: stores, files chunked by tokens, file batches and BM25 search."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from fakeai.api.vector_stores.chunking import AUTO, chunk
from fakeai.api.vector_stores.filters import matches
from fakeai.api.vector_stores.search import search
from fakeai.engine.tokenizer import Tokenizers
from fakeai.errors import NotFoundError

DOCS = {
    "france.txt": "Paris is the capital of France. The Eiffel Tower stands on the Champ de Mars.",
    "fruit.txt": "Bananas are yellow and rich in potassium. Apples can be red or green.",
    "space.txt": "The Moon orbits the Earth every 27 days. Mars has two small moons, Phobos and Deimos.",
    "rivers.txt": "The Nile is among the longest rivers. The Amazon carries the most water of any river.",
    "cooking.txt": "Bread needs flour, water, salt and yeast. Knead the dough and let it rise.",
}


def upload(client: OpenAI, name: str, text: str) -> str:
    return client.files.create(file=(name, text.encode()), purpose="assistants").id


def knowledge_base(client: OpenAI, **attrs_by_name: dict) -> tuple[str, dict[str, str]]:
    vs = client.vector_stores.create(name="kb", metadata={"team": "search"})
    ids = {name: upload(client, name, text) for name, text in DOCS.items()}
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=vs.id,
        files=[{"file_id": ids[name], "attributes": attrs_by_name.get(name, {})} for name in DOCS],  # type: ignore[misc]
    )
    assert batch.status == "completed" and batch.file_counts.completed == len(DOCS)
    return vs.id, ids


def test_search_finds_the_answering_chunk_first(client: OpenAI) -> None:
    vs_id, ids = knowledge_base(client)
    for question, answer in (
        ("What is the capital of France?", "france.txt"),
        ("How many moons does Mars have?", "space.txt"),
        ("which river carries the most water", "rivers.txt"),
        ("ingredients for bread dough", "cooking.txt"),
    ):
        results = client.vector_stores.search(vs_id, query=question, rewrite_query=True)
        assert results.data[0].filename == answer, question
        assert results.data[0].file_id == ids[answer]
        assert 0 < results.data[0].score <= 1
        scores = [r.score for r in results.data]
        assert scores == sorted(scores, reverse=True)
    page = client.vector_stores.search(vs_id, query="What is the capital of France?", rewrite_query=True)
    assert page.search_query == ["capital france"]  # type: ignore[attr-defined]


def test_max_results_threshold_and_filters(client: OpenAI) -> None:
    vs_id, _ = knowledge_base(
        client,
        **{"france.txt": {"topic": "geo", "year": 2020}, "rivers.txt": {"topic": "geo", "year": 2024},
           "space.txt": {"topic": "science", "year": 2024}},
    )  # fmt: skip
    query = "the longest rivers of Mars and the capital of France"
    assert len(client.vector_stores.search(vs_id, query=query, max_num_results=1).data) == 1
    everything = client.vector_stores.search(vs_id, query=query).data
    cut = (everything[0].score + everything[-1].score) / 2
    above = client.vector_stores.search(vs_id, query=query, ranking_options={"score_threshold": cut}).data
    assert above and len(above) < len(everything) and all(r.score >= cut for r in above)
    geo = client.vector_stores.search(
        vs_id, query=query, filters={"type": "eq", "key": "topic", "value": "geo"}
    )
    assert {r.filename for r in geo.data} == {"france.txt", "rivers.txt"}
    compound = {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "topic", "value": "geo"},
            {"type": "or", "filters": [{"type": "gte", "key": "year", "value": 2024},
                                       {"type": "in", "key": "topic", "value": ["none"]}]},
        ],
    }  # fmt: skip
    assert {r.filename for r in client.vector_stores.search(vs_id, query=query, filters=compound).data} == {
        "rivers.txt"
    }


def test_filter_semantics() -> None:
    assert matches({"type": "ne", "key": "k", "value": 1}, {})
    assert not matches({"type": "gt", "key": "k", "value": 1}, {"k": "text"})
    assert matches({"type": "nin", "key": "k", "value": ["a"]}, {"k": "b"})
    assert matches({"type": "lte", "key": "k", "value": 3}, {"k": 3})


def test_static_chunking_uses_real_token_windows() -> None:
    encoding = Tokenizers().get("cl100k_base")
    text = " ".join(f"word{i}" for i in range(2000))
    chosen = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
    chunks = chunk(encoding, text, chosen)
    total = len(encoding.encode_ordinary(text))
    assert all(len(encoding.encode_ordinary(c)) <= 100 for c in chunks[:-1])
    assert len(chunks) == -(-(total - 20) // 80)  # windows of 100 moving by 80
    first, second = encoding.encode_ordinary(chunks[0]), encoding.encode_ordinary(chunks[1])
    assert first[-20:] == second[:20]  # the overlap
    assert chunk(encoding, text, AUTO)[0] == encoding.decode(encoding.encode_ordinary(text)[:800])


def test_files_counts_and_usage_agree_with_what_is_stored(client: OpenAI) -> None:
    vs = client.vector_stores.create(name="counts")
    text = " ".join(f"token{i}" for i in range(600))
    file_id = upload(client, "long.txt", text)
    strategy = {"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 50}}
    attached = client.vector_stores.files.create_and_poll(
        vector_store_id=vs.id,
        file_id=file_id,
        chunking_strategy=strategy,
        attributes={"kind": "long"},  # type: ignore[arg-type]
    )
    assert attached.status == "completed" and attached.attributes == {"kind": "long"}
    assert attached.chunking_strategy and attached.chunking_strategy.type == "static"
    binary = client.files.create(file=("b.bin", b"\xff\xfe\x00"), purpose="assistants")
    failed = client.vector_stores.files.create_and_poll(vector_store_id=vs.id, file_id=binary.id)
    assert failed.status == "failed" and failed.last_error and failed.last_error.code == "unsupported_file"
    store = client.vector_stores.retrieve(vs.id)
    assert store.file_counts.model_dump() == {
        "in_progress": 0,
        "completed": 1,
        "failed": 1,
        "cancelled": 0,
        "total": 2,
    }
    assert store.usage_bytes == attached.usage_bytes > 0
    assert [f.id for f in client.vector_stores.files.list(vs.id, filter="completed")] == [file_id]
    content = client.vector_stores.files.content(file_id, vector_store_id=vs.id)
    assert "".join(part.text or "" for part in content) == text
    updated = client.vector_stores.files.update(file_id, vector_store_id=vs.id, attributes={"kind": "short"})
    assert updated.attributes == {"kind": "short"}
    client.vector_stores.files.delete(file_id, vector_store_id=vs.id)
    store = client.vector_stores.retrieve(vs.id)
    assert store.usage_bytes == 0 and store.file_counts.total == 1
    assert client.files.retrieve(file_id).id == file_id  # detaching keeps the File


def test_store_crud_and_paging(client: OpenAI) -> None:
    ids = [client.vector_stores.create(name=f"s{i}").id for i in range(3)]
    assert [s.id for s in client.vector_stores.list(limit=2)] == ids[::-1]
    assert [s.id for s in client.vector_stores.list(order="asc", after=ids[0])] == ids[1:]
    updated = client.vector_stores.update(
        ids[0], name="renamed", metadata={"a": "b"}, expires_after={"anchor": "last_active_at", "days": 7}
    )
    assert updated.name == "renamed" and updated.metadata == {"a": "b"}
    assert updated.expires_at == updated.last_active_at + 7 * 86400  # type: ignore[operator]
    deleted = client.vector_stores.delete(ids[0])
    assert deleted.deleted and deleted.object == "vector_store.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(ids[0])
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search(ids[0], query="x")


def test_file_batch_cancel_and_listing(client: OpenAI) -> None:
    vs = client.vector_stores.create(name="b")
    ids = [upload(client, f"{i}.txt", f"document {i}") for i in range(3)]
    batch = client.vector_stores.file_batches.create(vector_store_id=vs.id, file_ids=ids)
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=vs.id)
    assert cancelled.status in ("cancelled", "completed")
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=vs.id)
    assert sorted(f.id for f in listed) == sorted(ids)
    assert client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=vs.id).file_counts.total == 3


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("", {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 50,
                                                                   "chunk_overlap_tokens": 0}}},
         "chunking_strategy.static.max_chunk_size_tokens"),
        ("", {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 200,
                                                                   "chunk_overlap_tokens": 150}}},
         "chunking_strategy.static.chunk_overlap_tokens"),
        ("", {"expires_after": {"anchor": "created_at", "days": 1}}, "expires_after.anchor"),
        ("", {"name": 5}, "name"),
        ("/search", {}, "query"),
        ("/search", {"query": "x", "max_num_results": 51}, "max_num_results"),
        ("/search", {"query": "x", "ranking_options": {"score_threshold": 2}},
         "ranking_options.score_threshold"),
        ("/search", {"query": "x", "filters": {"type": "near", "key": "a", "value": 1}}, "filters.type"),
        ("/search", {"query": "x", "filters": {"type": "and", "filters": [{"type": "eq", "value": 1}]}},
         "filters.filters[0].key"),
        ("/files", {}, "file_id"),
        ("/files", {"file_id": "file-nope"}, "file_id"),
        ("/file_batches", {"file_ids": []}, "file_ids"),
    ],
)  # fmt: skip
def test_bad_input_gets_openai_errors(http, path: str, body: dict, param: str) -> None:  # type: ignore[no-untyped-def]
    vs_id = http.post("/v1/vector_stores", json={"name": "x"}).json()["id"]
    url = "/v1/vector_stores" + (f"/{vs_id}{path}" if path else "")
    response = http.post(url, json=body)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


def test_other_families_call_search(make_app) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from tests.conftest import sdk

    app = make_app()
    with TestClient(app) as http:
        client = sdk(http)
        vs_id, _ = knowledge_base(client)
        state = app.state.fakeai
        page = http.portal.call(
            lambda: search(state, "proj_default", vs_id, "Phobos Deimos", max_num_results=2)
        )  # type: ignore[union-attr]
        assert page["data"][0]["filename"] == "space.txt" and len(page["data"]) <= 2
        with pytest.raises(NotFoundError):  # another project has no such store
            http.portal.call(lambda: search(state, "proj_other", vs_id, "Phobos"))  # type: ignore[union-attr]
