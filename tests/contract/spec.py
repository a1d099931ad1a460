"""Validate raw HTTP response bodies against OpenAI's official OpenAPI spec.

The pinned spec is vendored, compressed, beside this module (``data/openai-openapi.json.xz``, see
``data/README.md``); ``$FAKEAI_OPENAPI_SPEC`` overrides it with another file (``.json``, ``.json.xz`` or
``.json.gz``).  A missing file is an error, never a skip: every test that validates bodies depends on it.

The spec claims OpenAPI 3.1 (JSON Schema 2020-12) but still carries 3.0-era keywords that a 2020-12
validator misreads, so ``rewrite.fix`` rewrites it once per process:
``nullable``, boolean ``exclusiveMinimum``, ``$recursiveRef``, duplicate ``required``; formats
(``unixtime``...) stay annotations because no format checker is passed.  Two more rewrites only buy
speed and accept exactly the same bodies: ``_cheap_null`` and ``x-dispatch`` (tagged unions).
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import lzma
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .rewrite import EXCERPT_CHARS, SPEC_URI, add_dispatch, excerpt, fix, validator_class

ENV_VAR = "FAKEAI_OPENAPI_SPEC"
#: The vendored copy: openai/openai-openapi at commit f85dbe2 (MIT), xz-compressed (194 KB for 3.4 MB).
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "openai-openapi.json.xz"
# FakeAI routes outside the spec that a spec template would swallow (the spanning last ``{model}`` of
# ``/models/{model}`` matches ``/models/x/capabilities``).  Matching one of these means "undocumented".
UNDOCUMENTED_PATHS: tuple[str, ...] = ("/models/{model}/capabilities",)
# Paths whose text/plain bodies (response_format text, srt, vtt) the spec describes only in prose.
TEXT_BODIES: tuple[str, ...] = ("/audio/transcriptions", "/audio/translations")

_LOCAL = "/components/schemas/"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class SpecError(AssertionError):
    """A body does not match the spec, or the spec documents nothing to check it against."""


class SpecMissing(RuntimeError):
    """The spec file is not there: a broken checkout or a wrong ``$FAKEAI_OPENAPI_SPEC``."""


def spec_path() -> Path:
    """Where the spec is: ``$FAKEAI_OPENAPI_SPEC`` if set, else the vendored copy; raises if absent."""
    path = Path(env) if (env := os.environ.get(ENV_VAR)) else DEFAULT_PATH
    if not path.is_file():
        raise SpecMissing(f"OpenAI OpenAPI spec not found at {path} (${ENV_VAR} overrides the vendored copy)")
    return path


def read_document() -> dict[str, Any]:
    """The spec exactly as published (a fresh copy each call: Schemathesis and ``load_spec`` change it)."""
    path = spec_path()
    opener = {".xz": lzma.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "rb") as f:
        return json.load(f)


@functools.cache
def load_spec() -> Spec:
    """The rewritten spec, loaded once per process."""
    doc = read_document()
    _document_completion_stream(doc)
    _loosen_transcription_union(doc)
    unions: list[dict[str, Any]] = []
    for name, schema in doc["components"]["schemas"].items():
        fix(schema, name, unions)
    for item in doc["paths"].values():  # inline response schemas (audio transcriptions, deletes)
        fix(item, None, unions)
    for union in unions:  # after fix(), so tags are read from the final branch schemas
        add_dispatch(union, doc["components"]["schemas"])
    return Spec(doc)


def _document_completion_stream(doc: dict[str, Any]) -> None:
    """Give ``POST /completions`` the SSE schema the spec only describes in prose.

    OpenAI (and vLLM) stream legacy completions as ``CreateCompletionResponse`` objects, with
    ``finish_reason: null`` on every chunk but a choice's last and ``usage: null`` before the usage chunk
    (with ``include_usage``). The spec documents no ``text/event-stream`` body there and its schema allows
    neither null, so this adds ``CompletionStreamChunk``: the same schema with just those two nulls allowed.
    """
    schemas = doc["components"]["schemas"]
    chunk = copy.deepcopy(schemas["CreateCompletionResponse"])
    choice = chunk["properties"]["choices"]["items"]["properties"]
    choice["finish_reason"] = {"anyOf": [choice["finish_reason"], {"type": "null"}]}
    chunk["properties"]["usage"] = {"anyOf": [chunk["properties"]["usage"], {"type": "null"}]}
    schemas["CompletionStreamChunk"] = chunk
    content = doc["paths"]["/completions"]["post"]["responses"]["200"]["content"]
    content.setdefault("text/event-stream", {"schema": {"$ref": f"#{_LOCAL}CompletionStreamChunk"}})


def _loosen_transcription_union(doc: dict[str, Any]) -> None:
    """The transcription and translation JSON bodies are a ``oneOf`` whose plain branch (``text`` required,
    other fields allowed) also matches every verbose body, so no verbose_json body, OpenAI's own included,
    could pass it: read it as ``anyOf``, which still requires a body to match one documented shape."""
    for path in TEXT_BODIES:
        schema = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        if "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")


# -- small helpers -----------------------------------------------------------------------------------------
def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_opaque(schema: dict[str, Any]) -> bool:
    """A bare string schema (binary audio, file content, SDP): bytes without JSON structure to check."""
    return schema.get("type") == "string" and "$ref" not in schema


def _parse(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SpecError(f"body is not JSON{where}: {exc}: {body[:EXCERPT_CHARS]!r}") from None


def _sse_payloads(body: bytes) -> Iterator[str]:
    """Data payloads of an SSE body: the ``data:`` lines of a frame joined by newlines (SSE rules)."""
    data: list[str] = []
    # Not str.splitlines(): it also splits on U+2028 etc., which JSON strings may carry raw.
    for line in [*re.split(r"\r\n|\r|\n", body.decode("utf-8")), ""]:  # "" ends an unterminated frame
        if not line:
            if data:
                yield "\n".join(data)
            data = []
            continue
        field, _, value = line.partition(":")
        if field == "data":  # comments (":...") and event:/id:/retry: lines carry no payload
            data.append(value[1:] if value.startswith(" ") else value)


def _route(template: str, documented: bool) -> tuple[re.Pattern[str], int, str | None]:
    """(regex, literal segment count, template or None) for a path template.

    The template's last ``{param}`` may span slashes: model ids look like ``org/name``.
    """
    parts = re.split(r"(\{[^}]+\})", template)
    last = max((i for i, p in enumerate(parts) if p.startswith("{")), default=-1)
    regex = "".join(
        ("(?P<last>.+)" if i == last else "[^/]+") if p.startswith("{") else re.escape(p)
        for i, p in enumerate(parts)
    )
    literals = sum("{" not in s for s in template.split("/")[1:])
    return re.compile(regex + r"\Z"), literals, template if documented else None


# -- the public object -----------------------------------------------------------------------------------
class Spec:
    """The rewritten spec document, cached validators (one per schema name) and a path router."""

    def __init__(self, document: dict[str, Any], undocumented: tuple[str, ...] = UNDOCUMENTED_PATHS):
        self.document = document
        resource = DRAFT202012.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._validator_class = validator_class(document["components"]["schemas"])
        self._validators: dict[str, Draft202012Validator] = {}
        # "/responses?beta=true" variants are left out: a served URL path never holds a query.
        self._routes = [_route(t, True) for t in document["paths"] if "?" not in t]
        self._routes += [_route(t, False) for t in undocumented]
        self._route_cache: dict[str, str | None] = {}

    def validator(self, schema_name: str) -> Draft202012Validator:
        """Cached validator for a component schema name or a ``#/...`` JSON pointer into the spec."""
        if (validator := self._validators.get(schema_name)) is None:
            pointer = schema_name if schema_name.startswith("#/") else f"#{_LOCAL}{schema_name}"
            if pointer != schema_name and schema_name not in self.document["components"]["schemas"]:
                raise SpecError(f"the spec has no component schema named {schema_name!r}")
            validator = self._validator_class({"$ref": SPEC_URI + pointer}, registry=self._registry)
            self._validators[schema_name] = validator
        return validator

    def validate(self, schema_name: str, instance: object, where: str = "") -> None:
        """Raise ``SpecError`` unless ``instance`` is valid; ``where`` adds context to the message."""
        validator = self.validator(schema_name)
        if next(validator.iter_errors(instance), None) is None:  # fast path: no error objects built
            return
        error: ValidationError = best_match(validator.iter_errors(instance))  # the most specific one
        # best_match stops at an anyOf/oneOf whose branches tie: say what the typed branches missed.
        why = "; ".join(f"{e.json_path}: {e.message}" for e in error.context if e.validator != "type")
        raise SpecError(
            f"{schema_name}{where}: at {error.json_path}: {error.message}\n"
            + (f"  because: {why[: EXCERPT_CHARS * 2]}\n" if why else "")
            + f"  failing part: {excerpt(error.instance)}\n  document: {excerpt(instance)}"
        )

    def path_template(self, path: str) -> str | None:
        """The spec's template serving ``path`` (with or without ``/v1``), or ``None`` if undocumented."""
        path = path[3:] if path.startswith("/v1/") else path
        if path not in self._route_cache:
            best: tuple[tuple[int, bool], str | None] = ((-1, False), None)
            for regex, literals, template in self._routes:
                if match := regex.match(path):
                    # Literal segments beat parameters; then prefer no slash inside the last parameter.
                    rank = (literals, "last" not in regex.groupindex or "/" not in match["last"])
                    best = max(best, (rank, template), key=lambda b: b[0])
            self._route_cache[path] = best[1]
        return self._route_cache[path]

    def _documented(self, method: str, path: str, status: int) -> tuple[str, str, dict[str, Any]]:
        """(template, status key, content map) of a documented 2xx response; ``SpecError`` otherwise."""
        where = f"{method.upper()} {path} -> {status}"
        if (template := self.path_template(path)) is None:
            raise SpecError(f"{where}: path not documented in the spec")
        operation = self.document["paths"][template].get(method.lower())
        if method.lower() not in _METHODS or operation is None:
            raise SpecError(f"{where}: the spec has no {method.upper()} operation on {template}")
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "200"
        if not 200 <= status < 300 or key not in responses:
            raise SpecError(f"{where}: the spec documents no {status} response for {template}")
        response = responses[key]
        if "$ref" in response:  # "#/components/responses/TooManyRequests"
            response = self.document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return template, key, response.get("content", {})

    def _target(self, method: str, path: str, status: int, content_type: str) -> str | None:
        """Schema name (or ``#/`` pointer) of a response; ``None`` for opaque bytes; else SpecError."""
        if status >= 400 and self.path_template(path) is not None:
            return "ErrorResponse"
        template, key, content = self._documented(method, path, status)
        media = _media_type(content_type)
        if media == "text/plain" and template in TEXT_BODIES:
            return None
        if media not in content:
            if media not in ("application/json", "text/event-stream") and any(
                _is_opaque(m.get("schema", {})) for m in content.values()
            ):
                return None  # e.g. audio/mpeg served where the spec says application/octet-stream
            raise SpecError(
                f"{method.upper()} {path} -> {status}: the spec documents no {media or 'untyped'} body"
                f" for {template} (only {sorted(content) or 'no body'})"
            )
        schema = content[media]["schema"]
        if _is_opaque(schema):
            return None
        if (ref := schema.get("$ref", "")).startswith(f"#{_LOCAL}"):
            return ref.rsplit("/", 1)[1]
        # An inline schema (e.g. a oneOf of transcription shapes): address it by JSON pointer.
        parts = ["paths", template, method.lower(), "responses", key, "content", media, "schema"]
        return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)

    def response_schema(self, method: str, path: str, status: int, content_type: str) -> str | None:
        """Component name (a ``#/`` pointer for inline schemas) of a response body, else ``None``."""
        try:
            return self._target(method, path, status, content_type)
        except SpecError:
            return None

    def validate_response(self, method: str, path: str, status: int, content_type: str, body: bytes) -> int:
        """Validate a raw body; return how many JSON objects were checked (0: opaque or empty body)."""
        if not body and status < 400 and not self._documented(method, path, status)[2]:
            return 0  # the spec documents no body and none came (DELETE /containers/{container_id})
        if (target := self._target(method, path, status, content_type)) is None:
            return 0
        label = f" ({method.upper()} {path} -> {status})"
        if _media_type(content_type) != "text/event-stream" or status >= 400:
            self.validate(target, _parse(body, label), label)
            return 1
        count = 0
        for index, payload in enumerate(_sse_payloads(body)):
            if payload == "[DONE]":
                continue
            where = f"{label} event #{index}"
            obj = _parse(payload.encode(), where)
            # A failure mid-stream arrives as an {"error": {...}} frame instead of a stream event.
            self.validate("ErrorResponse" if isinstance(obj, dict) and "error" in obj else target, obj, where)
            count += 1
        return count


# -- httpx2 event hooks (the openai SDK and Starlette's TestClient both sit on httpx2) ---------------
def _check(spec: Spec, response: httpx2.Response, seen: list[Any] | None) -> None:
    path = response.request.url.path
    if spec.path_template(path) is None:
        return  # /health, /metrics, FakeAI extensions: nothing in the spec to hold them to
    content_type = response.headers.get("content-type", "")
    count = spec.validate_response(
        response.request.method, path, response.status_code, content_type, response.content
    )
    if seen is not None:
        seen.append((path, response.status_code, count))


def response_hook(spec: Spec, seen: list[Any] | None = None) -> Callable[[httpx2.Response], None]:
    """For ``httpx2.Client(event_hooks={"response": [...]})``: validate every documented response.

    Reading the body here is safe: httpx2 keeps it, so the caller (even a streaming SDK call) reads it
    again.  It does wait for the whole stream, which test transports buffer anyway.  Appends
    ``(path, status, count)`` to ``seen`` for each validated response; skipped ones are not recorded.
    """

    def hook(response: httpx2.Response) -> None:
        response.read()
        _check(spec, response, seen)

    return hook


def async_response_hook(
    spec: Spec, seen: list[Any] | None = None
) -> Callable[[httpx2.Response], Awaitable[None]]:
    """The ``httpx2.AsyncClient`` twin of ``response_hook``."""

    async def hook(response: httpx2.Response) -> None:
        await response.aread()
        _check(spec, response, seen)

    return hook
