"""Multipart form requests (image edits and variations, transcriptions): fields read as OpenAI reads them.

The body size is already capped by the transport (``max_request_bytes``); here the number of parts is
capped too, and every field is converted with an OpenAI-shaped 400 that names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from fakeai.errors import InvalidRequestError

MAX_FILES = 17  # gpt-image-1 edits: 16 images and a mask
MAX_FIELDS = 64


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: its bytes, and the name and type the client gave it."""

    data: bytes
    filename: str
    content_type: str


class Form:
    """A parsed multipart form with typed getters; every getter raises a 400 naming the field."""

    def __init__(self, form: FormData, files: dict[str, list[Upload]]) -> None:
        self._form = form
        self._files = files

    @classmethod
    async def read(cls, request: Request) -> Form:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise InvalidRequestError(
                "Invalid Content-Type header: expected multipart/form-data.", param=None
            )
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
        except Exception as exc:  # python-multipart's and Starlette's parse errors
            raise InvalidRequestError(f"Could not parse multipart form: {exc}") from None
        files: dict[str, list[Upload]] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                upload = Upload(data, value.filename or "", value.content_type or "")
                files.setdefault(key, []).append(upload)
        return cls(form, files)

    def files(self, *names: str) -> list[Upload]:
        """Every file sent under any of ``names`` (``image`` and ``image[]`` are the same field)."""
        return [upload for name in names for upload in self._files.get(name, [])]

    def file(self, name: str, *, required: bool = True) -> Upload | None:
        found = self.files(name)
        if not found:
            if required:
                raise InvalidRequestError(f"Missing required parameter: '{name}'.", param=name)
            return None
        return found[0]

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._form.get(name)
        if value is None or isinstance(value, UploadFile):
            if required:
                raise InvalidRequestError(f"Missing required parameter: '{name}'.", param=name)
            return default
        return value

    def texts(self, name: str) -> list[str]:
        """A repeated field: ``name`` and ``name[]`` (the SDK sends arrays as ``name[]``)."""
        return [v for key in (name, f"{name}[]") for v in self._form.getlist(key) if isinstance(v, str)]

    def integer(self, name: str, default: int | None) -> int | None:
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise _invalid_type(name, raw, "an integer") from None

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        try:
            return float(raw)
        except ValueError:
            raise _invalid_type(name, raw, "a number") from None

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise _invalid_type(name, raw, "a boolean")


def _invalid_type(name: str, raw: str, expected: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid type for '{name}': expected {expected}, but got a string ('{raw[:40]}') instead.",
        param=name,
        code="invalid_type",
    )
