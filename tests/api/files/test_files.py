"""/v1/files with the official SDK: bytes back unchanged, every purpose, paging, expiry, OpenAI's errors."""

from __future__ import annotations

import time

import openai
import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai.api.files.service import UPLOAD_PURPOSES

EVERY_BYTE = bytes(range(256)) * 41  # 10,496 bytes, every byte value, not valid UTF-8


def test_upload_and_read_back_byte_for_byte(client: OpenAI) -> None:
    created = client.files.create(file=("blob.bin", EVERY_BYTE), purpose="user_data")
    assert created.object == "file" and created.bytes == len(EVERY_BYTE) and created.filename == "blob.bin"
    assert created.id.startswith("file-") and created.status == "processed" and created.expires_at is None
    content = client.files.content(created.id)
    assert content.read() == EVERY_BYTE
    assert content.response.headers["content-type"] == "application/octet-stream"
    assert client.files.retrieve(created.id) == created


def test_content_type_follows_the_file(client: OpenAI) -> None:
    jsonl = client.files.create(file=("in.jsonl", b'{"a": 1}\n'), purpose="batch")
    assert client.files.content(jsonl.id).response.headers["content-type"] == "application/jsonl"
    png = client.files.create(file=("cat.png", b"\x89PNG\r\n", "image/png"), purpose="vision")
    assert client.files.content(png.id).response.headers["content-type"] == "image/png"


@pytest.mark.parametrize("purpose", [p for p in UPLOAD_PURPOSES if p != "evals"])
def test_every_purpose(client: OpenAI, purpose: str) -> None:
    data = b'{"messages": []}\n' if purpose in ("batch", "fine-tune") else b"hello"
    created = client.files.create(file=("f.jsonl", data), purpose=purpose)  # type: ignore[arg-type]
    assert created.purpose == purpose
    assert [f.id for f in client.files.list(purpose=purpose)] == [created.id]


def test_evals_purpose(http: TestClient) -> None:
    # The spec's File object has no "evals" purpose (only its create request does), so the raw client.
    http.event_hooks["response"] = []
    response = http.post("/v1/files", files={"file": ("e.jsonl", b"{}")}, data={"purpose": "evals"})
    assert response.status_code == 200 and response.json()["purpose"] == "evals"


def test_list_pages_orders_and_filters(client: OpenAI) -> None:
    ids = [client.files.create(file=(f"{i}.txt", b"x"), purpose="user_data").id for i in range(5)]
    batch = client.files.create(file=("b.jsonl", b"{}"), purpose="batch")
    assert [f.id for f in client.files.list(order="asc", purpose="user_data")] == ids
    first = client.files.list(order="asc", limit=2, purpose="user_data")
    assert [f.id for f in first.data] == ids[:2] and first.has_more
    every = [f.id for f in client.files.list(order="asc", limit=2)]  # the SDK follows `after`
    assert every == [*ids, batch.id]
    assert next(f.id for f in client.files.list()) == batch.id  # newest first by default


def test_delete(client: OpenAI) -> None:
    created = client.files.create(file=("a.txt", b"abc"), purpose="assistants")
    deleted = client.files.delete(created.id)
    assert deleted.deleted and deleted.id == created.id and deleted.object == "file"
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve(created.id)
    assert info.value.body["param"] == "id"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.files.content(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(created.id)


def test_expires_after(client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    created = client.files.create(
        file=("a.txt", b"abc"), purpose="user_data", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    assert created.expires_at == created.created_at + 3600
    batch = client.files.create(file=("b.jsonl", b"{}"), purpose="batch")
    assert batch.expires_at == batch.created_at + 30 * 24 * 3600  # OpenAI's default for batch files
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    assert [f.id for f in client.files.list()] == [batch.id]


@pytest.mark.parametrize(
    ("fields", "files", "param", "needle"),
    [
        ({"purpose": "nonsense"}, {"file": ("a.txt", b"x")}, "purpose", "nonsense"),
        ({}, {"file": ("a.txt", b"x")}, "purpose", "Missing"),
        ({"purpose": "batch"}, None, "file", "Missing required parameter: 'file'"),
        ({"purpose": "batch"}, {"file": ("a.jsonl", b'{"ok": 1}\n{"ok": 2}\nnot json\n')}, "file", "line 3"),
        ({"purpose": "fine-tune"}, {"file": ("a.jsonl", b'{"ok": 1}\n[1, 2]\n')}, "file", "line 2"),
        ({"purpose": "fine-tune"}, {"file": ("a.jsonl", b"")}, "file", "empty"),
        (
            {"purpose": "user_data", "expires_after[anchor]": "created_at", "expires_after[seconds]": "60"},
            {"file": ("a.txt", b"x")},
            "expires_after.seconds",
            "3600",
        ),
    ],
)
def test_bad_uploads_get_openai_errors(
    http: TestClient, fields: dict[str, str], files: dict | None, param: str, needle: str
) -> None:
    response = http.post("/v1/files", data=fields, files=files or {"other": ("x", b"")})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and needle in error["message"] and error["type"] == "invalid_request_error"


def test_file_over_the_size_limit(make_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(max_file_bytes=1000)) as http:
        response = http.post("/v1/files", data={"purpose": "user_data"}, files={"file": ("a", b"x" * 1001)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"


def test_store_full_is_an_openai_error(make_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(store_max_bytes=5000)) as http:
        ok = http.post("/v1/files", data={"purpose": "user_data"}, files={"file": ("a", b"x" * 3000)})
        assert ok.status_code == 200
        full = http.post("/v1/files", data={"purpose": "user_data"}, files={"file": ("b", b"x" * 3000)})
    assert full.status_code == 400
    assert full.json()["error"]["code"] == "storage_limit_exceeded"


def test_bad_list_params(http: TestClient) -> None:
    for query, param in (("limit=0", "limit"), ("limit=abc", "limit"), ("order=up", "order")):
        response = http.get(f"/v1/files?{query}")
        assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_projects_do_not_see_each_other(make_app) -> None:  # type: ignore[no-untyped-def]
    from fakeai.security.identity import SCOPE_KEY, Identity

    app = make_app()
    seen: dict[str, str] = {}

    def as_project(project: str):  # type: ignore[no-untyped-def]
        async def wrapper(scope, receive, send):  # type: ignore[no-untyped-def]
            scope.setdefault("state", {})[SCOPE_KEY] = Identity(project=project)
            await app(scope, receive, send)

        return wrapper

    with TestClient(app):
        for project in ("proj_a", "proj_b"):
            with TestClient(as_project(project)) as http:
                response = http.post("/v1/files", data={"purpose": "user_data"}, files={"file": ("a", b"1")})
                seen[project] = response.json()["id"]
        with TestClient(as_project("proj_a")) as http:
            assert [f["id"] for f in http.get("/v1/files").json()["data"]] == [seen["proj_a"]]
            assert http.get(f"/v1/files/{seen['proj_b']}").status_code == 404


async def test_the_async_sdk_round_trips_a_file(aclient) -> None:  # type: ignore[no-untyped-def]
    created = await aclient.files.create(file=("a.bin", EVERY_BYTE), purpose="user_data")
    assert (await aclient.files.content(created.id)).read() == EVERY_BYTE
