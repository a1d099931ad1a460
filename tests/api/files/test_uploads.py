"""/v1/uploads with the official SDK: parts assembled in the listed order into a File, md5, cancel."""

from __future__ import annotations

import hashlib

import openai
import pytest
from openai import OpenAI


def start(client: OpenAI, size: int, purpose: str = "user_data"):  # type: ignore[no-untyped-def]
    return client.uploads.create(
        bytes=size,
        filename="big.bin",
        mime_type="application/octet-stream",
        purpose=purpose,  # type: ignore[arg-type]
    )


def test_parts_complete_in_the_listed_order(client: OpenAI) -> None:
    chunks = [b"A" * 300, b"B" * 200, bytes(range(256))]
    upload = start(client, sum(map(len, chunks)))
    assert upload.status == "pending" and upload.object == "upload" and upload.expires_at > upload.created_at
    parts = [client.uploads.parts.create(upload.id, data=chunk) for chunk in chunks]
    assert all(p.upload_id == upload.id and p.object == "upload.part" for p in parts)
    order = [parts[2].id, parts[0].id, parts[1].id]  # not the order they were sent in
    expected = chunks[2] + chunks[0] + chunks[1]
    done = client.uploads.complete(upload.id, part_ids=order, md5=hashlib.md5(expected).hexdigest())
    assert done.status == "completed" and done.file is not None
    assert done.file.bytes == len(expected) and done.file.filename == "big.bin"
    assert client.files.content(done.file.id).read() == expected
    with pytest.raises(openai.BadRequestError):  # a completed upload takes no more parts
        client.uploads.parts.create(upload.id, data=b"more")


def test_md5_mismatch_and_size_mismatch(client: OpenAI) -> None:
    upload = start(client, 4)
    part = client.uploads.parts.create(upload.id, data=b"abcd")
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id], md5="0" * 32)
    assert info.value.body["param"] == "md5"  # type: ignore[index]
    short = start(client, 10)
    small = client.uploads.parts.create(short.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(short.id, part_ids=[small.id])
    assert info.value.body["code"] == "bytes_mismatch"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(short.id, part_ids=["part_nope"])
    assert info.value.body["param"] == "part_ids[0]"  # type: ignore[index]


def test_cancel(client: OpenAI) -> None:
    upload = start(client, 3)
    client.uploads.parts.create(upload.id, data=b"abc")
    cancelled = client.uploads.cancel(upload.id)
    assert cancelled.status == "cancelled" and cancelled.file is None
    with pytest.raises(openai.BadRequestError):
        client.uploads.cancel(upload.id)
    with pytest.raises(openai.NotFoundError):
        client.uploads.cancel("upload_nope")


def test_bad_create(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        start(client, 3, purpose="nonsense")
    assert info.value.body["param"] == "purpose"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as info:
        start(client, -1)
    assert info.value.body["param"] == "bytes"  # type: ignore[index]


def test_a_batch_upload_is_checked_as_jsonl(client: OpenAI) -> None:
    upload = start(client, 9, purpose="batch")
    part = client.uploads.parts.create(upload.id, data=b"not json\n")
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert "line 1" in info.value.body["message"]  # type: ignore[index]
