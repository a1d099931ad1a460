"""HTTP for files and uploads (Starlette routes: not hot paths). Multipart via python-multipart."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.api.files.service import Files, check_purpose, public
from fakeai.api.files.uploads import Uploads
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.query import list_query
from fakeai.server.responses import json_response
from fakeai.state import AppState
from fakeai.store import ProjectStore

#: Parts a files or upload-part form may hold (one file, a few fields): more is a 400, bounded work.
MAX_FILES, MAX_FIELDS = 2, 16


class ExpiresAfter(msgspec.Struct, forbid_unknown_fields=True):
    anchor: str
    seconds: int


class CreateUpload(msgspec.Struct, forbid_unknown_fields=True):
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    expires_after: ExpiresAfter | None = None


class CompleteUpload(msgspec.Struct, forbid_unknown_fields=True):
    part_ids: list[str]
    md5: str | None = None


def missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def expires_after_field(form: FormData) -> dict[str, Any] | None:
    """The SDK sends ``expires_after[anchor]`` and ``expires_after[seconds]`` as two form fields."""
    anchor, seconds = form.get("expires_after[anchor]"), form.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    try:
        number: Any = int(str(seconds))
    except ValueError:
        number = seconds
    return {"anchor": anchor, "seconds": number}


async def file_part(form: FormData, name: str) -> tuple[bytes, str, str | None]:
    """``(bytes, filename, content type)`` of the multipart file field ``name``; 400 if absent."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile):
        raise missing(name)
    data = await upload.read()  # a part spooled to disk is read on a thread by Starlette
    return data, upload.filename or "file", upload.content_type


def projected(state: AppState, request: Request) -> ProjectStore:
    return state.store.project(identity_of(request.scope).project)


def routes(state: AppState) -> list[Route]:
    files = Files(state.settings.max_file_bytes)
    uploads = Uploads(files)

    async def create_file(request: Request) -> Response:
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
            purpose = form.get("purpose")
            check_purpose(purpose if isinstance(purpose, str) else None)
            data, filename, mime = await file_part(form, "file")
            obj = await files.create(
                projected(state, request),
                filename=filename,
                data=data,
                purpose=str(purpose),
                mime=mime,
                expires_after=expires_after_field(form),
            )
        return json_response(public(obj))

    async def list_files(request: Request) -> Response:
        query = list_query(request.query_params, default_limit=10000, max_limit=10000)
        page = await files.list(
            projected(state, request),
            after=query.after,
            limit=query.limit,
            order=query.order,
            purpose=request.query_params.get("purpose") or None,
        )
        return json_response(page.to_openai())

    async def retrieve_file(request: Request) -> Response:
        return json_response(public(await files.get(projected(state, request), request.path_params["id"])))

    async def delete_file(request: Request) -> Response:
        return json_response(await files.delete(projected(state, request), request.path_params["id"]))

    async def file_content(request: Request) -> Response:
        data, mime = await files.content(projected(state, request), request.path_params["id"])
        return Response(data, media_type=mime)

    async def create_upload(request: Request) -> Response:
        body = decode_json(await request.body(), CreateUpload)
        obj = await uploads.create(
            projected(state, request),
            filename=body.filename,
            purpose=body.purpose,
            size=body.bytes,
            mime_type=body.mime_type,
            expires_after=msgspec.to_builtins(body.expires_after) if body.expires_after else None,
        )
        return json_response(obj)

    async def add_part(request: Request) -> Response:
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
            data, _, _ = await file_part(form, "data")
            part = await uploads.add_part(projected(state, request), request.path_params["id"], data)
        return json_response(part)

    async def complete_upload(request: Request) -> Response:
        body = decode_json(await request.body(), CompleteUpload)
        done = await uploads.complete(
            projected(state, request), request.path_params["id"], body.part_ids, body.md5
        )
        return json_response(done)

    async def cancel_upload(request: Request) -> Response:
        return json_response(await uploads.cancel(projected(state, request), request.path_params["id"]))

    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{id}/content", file_content, methods=["GET"]),
        Route("/v1/uploads", create_upload, methods=["POST"]),
        Route("/v1/uploads/{id}/parts", add_part, methods=["POST"]),
        Route("/v1/uploads/{id}/complete", complete_upload, methods=["POST"]),
        Route("/v1/uploads/{id}/cancel", cancel_upload, methods=["POST"]),
    ]
