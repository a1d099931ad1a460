"""Validate raw HTTP response bodies against OpenAI's official OpenAPI spec.

The spec lives outside the project (it must not be copied in): ``$FAKEAI_OPENAPI_SPEC`` if set, else
``<project root>/../shared/reference/openai-openapi.json``.  ``load_spec()`` returns ``None`` when the
file is absent; callers then ``pytest.skip`` with ``SPEC_MISSING`` as the reason.

The spec claims OpenAPI 3.1 (JSON Schema 2020-12) but still carries 3.0-era keywords that a 2020-12
validator would misread (see ``shared/reference/README.md``), so it is rewritten once per process by
``_rewrite`` before any validator is built.  Formats (``unixtime``, ``date``, ...) are never checked:
no ``format_checker`` is passed, so they stay annotations.
"""

from __future__ import annotations

import functools
import json
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

ENV_VAR = "FAKEAI_OPENAPI_SPEC"
SPEC_MISSING = (
    f"OpenAI OpenAPI spec not found: set ${ENV_VAR} or place it at <project root>/../shared/reference/openai-openapi.json"
)
# The rewritten spec is registered under this URI; ``.invalid`` guarantees nothing is ever fetched.
SPEC_URI = "https://openai-openapi.invalid/openapi.json"
# FakeAI routes outside the spec that a spec template would otherwise swallow (the spanning last
# ``{model}`` of ``/models/{model}`` matches ``/models/x/capabilities``).  Matching one means "undocumented".
UNDOCUMENTED_PATHS: tuple[str, ...] = ("/models/{model}/capabilities",)

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keys whose values are JSON data, not schemas: skipping them keeps data intact and the rewrite fast.
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", "x-oaiMeta"})
# Keys whose values map arbitrary names to schemas: a property called "default" is still a schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
# Keywords that only annotate: they stay on the outer schema when ``nullable`` wraps it in ``anyOf``.
_ANNOTATIONS = frozenset({"description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly"})
_EXCERPT = 240


class SpecError(AssertionError):
    """A body does not match the spec, or the spec documents nothing to check it against."""


def spec_path() -> Path | None:
    """Where the spec is, or ``None`` if the file does not exist."""
    env = os.environ.get(ENV_VAR)
    # tests/contract/spec.py -> parents[2] is the project root (the directory holding pyproject.toml).
    path = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "openai-openapi.json"
    return path if path.is_file() else None


@functools.cache
def load_spec() -> Spec | None:
    """The rewritten spec, loaded once per process; ``None`` when the file is absent."""
    path = spec_path()
    if path is None:
        return None
    with path.open("rb") as f:
        return Spec(_rewrite(json.load(f)))


def _rewrite(doc: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the spec in place into plain JSON Schema 2020-12 (only the parts that hold schemas)."""
    for name, schema in doc["components"]["schemas"].items():
        _fix(schema, name)
    for item in doc["paths"].values():
        _fix(item, None)
    return doc


def _fix(node: Any, component: str | None) -> None:
    """Post-order, in-place rewrite of one schema subtree; ``component`` is its enclosing component."""
    if isinstance(node, list):
        for item in node:
            _fix(item, component)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                _fix(sub, component)
        elif key not in _DATA_KEYS:
            _fix(value, component)
    # Each rewrite checks the value's type, since the same key can name a property or a parameter field.
    if node.get("$recursiveRef") == "#" and component is not None:
        # 2019-09 recursion, unknown to 2020-12 (which would then accept anything): point at the component.
        del node["$recursiveRef"]
        node["$ref"] = f"#/components/schemas/{component}"
    node.pop("$recursiveAnchor", None)
    for bound in ("Minimum", "Maximum"):
        # OpenAPI 3.0 boolean form: ``minimum: 0, exclusiveMinimum: true`` means "> 0".
        if isinstance(node.get("exclusive" + bound), bool):
            if node.pop("exclusive" + bound) and bound.lower() in node:
                node["exclusive" + bound] = node.pop(bound.lower())
    if isinstance(node.get("required"), list):
        node["required"] = list(dict.fromkeys(node["required"]))
    if isinstance(node.get("discriminator"), dict) and "mapping" not in node["discriminator"]:
        del node["discriminator"]  # only an annotation without a mapping; drop to keep the schema plain
    if isinstance(node.get("nullable"), bool) and node.pop("nullable"):
        # ``{X, nullable: true}`` -> ``{annotations, anyOf: [X, {type: null}]}``.  Works alike for
        # ``type``+``enum`` (enum lacks null), ``$ref`` siblings and ``allOf``/``anyOf``/``oneOf``.
        inner = {k: v for k, v in node.items() if k not in _ANNOTATIONS and not k.startswith("x-")}
        if inner:  # no assertions at all already accepts null
            for key in inner:
                del node[key]
            node["anyOf"] = [inner, {"type": "null"}]


def _excerpt(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_opaque(schema: dict[str, Any]) -> bool:
    """A bare string schema (binary audio, file content, SDP): the bytes have no JSON structure to check."""
    return schema.get("type") == "string" and "$ref" not in schema


def _sse_payloads(body: bytes) -> Iterator[str]:
    """Data payloads of an SSE body: ``data:`` lines of one frame joined by newlines (per the SSE spec)."""
    data: list[str] = []
    # Not str.splitlines(): it also splits on U+2028 etc., which may appear raw inside JSON strings.
    for line in re.split(r"\r\n|\r|\n", body.decode("utf-8")):
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        field, _, value = line.partition(":")
        if field == "data":  # comments (":...") and event:/id:/retry: lines carry no payload
            data.append(value[1:] if value.startswith(" ") else value)
    if data:  # a final frame without the trailing blank line
        yield "\n".join(data)


def _compile_template(template: str) -> re.Pattern[str]:
    """Regex for a path template; the last ``{param}`` may span slashes (model ids like ``org/name``)."""
    parts = re.split(r"(\{[^}]+\})", template)
    last = max((i for i, p in enumerate(parts) if p.startswith("{")), default=-1)
    pattern = "".join(
        ("(?P<last>.+)" if i == last else "[^/]+") if p.startswith("{") else re.escape(p) for i, p in enumerate(parts)
    )
    return re.compile(pattern + r"\Z")


class Spec:
    """The rewritten spec plus cached validators (one per schema name) and a path router."""

    def __init__(self, document: dict[str, Any], undocumented: tuple[str, ...] = UNDOCUMENTED_PATHS) -> None:
        self.document = document
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(document))
        self._validators: dict[str, Draft202012Validator] = {}
        # (regex, number of literal segments, template or None for undocumented).  Variants keyed
        # "/responses?beta=true" are skipped: a served URL path never carries the query.
        self._routes = [
            (_compile_template(t), sum(1 for s in t.split("/") if s and "{" not in s), t if t in document["paths"] else None)
            for t in [*document["paths"], *undocumented]
            if "?" not in t
        ]
        self._route_cache: dict[str, str | None] = {}

    # -- schemas -----------------------------------------------------------------------------------
    def validator(self, schema_name: str) -> Draft202012Validator:
        """Cached validator for a component name, or for a ``#/...`` JSON pointer into the spec."""
        validator = self._validators.get(schema_name)
        if validator is None:
            pointer = schema_name if schema_name.startswith("#/") else f"#/components/schemas/{schema_name}"
            if not schema_name.startswith("#/") and schema_name not in self.document["components"]["schemas"]:
                raise SpecError(f"the spec has no component schema named {schema_name!r}")
            validator = Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=self._registry)
            self._validators[schema_name] = validator
        return validator

    def validate(self, schema_name: str, instance: object) -> None:
        """Raise ``SpecError`` unless ``instance`` is valid against ``schema_name``."""
        self._check(schema_name, instance, "")

    def _check(self, schema_name: str, instance: object, where: str) -> None:
        validator = self.validator(schema_name)
        if next(validator.iter_errors(instance), None) is None:  # fast path: stops at nothing
            return
        error: ValidationError = best_match(validator.iter_errors(instance))  # the most specific error
        raise SpecError(
            f"{schema_name}{where}: at {error.json_path}: {error.message}\n"
            f"  failing part: {_excerpt(error.instance)}\n  document: {_excerpt(instance)}"
        )

    # -- routing -----------------------------------------------------------------------------------
    def path_template(self, path: str) -> str | None:
        """The spec's template serving ``path`` (with or without ``/v1``), or ``None`` if undocumented."""
        if path.startswith("/v1/") or path == "/v1":
            path = path[3:]
        if path not in self._route_cache:
            best: tuple[tuple[int, bool], str | None] | None = None
            for regex, literals, template in self._routes:
                match = regex.match(path)
                if match:
                    # More literal segments first, then no slash swallowed by the spanning parameter.
                    spans = "last" in regex.groupindex and "/" in match["last"]
                    rank = (literals, not spans)
                    if best is None or rank > best[0]:
                        best = (rank, template)
            self._route_cache[path] = best[1] if best else None
        return self._route_cache[path]

    def _documented(self, method: str, path: str, status: int) -> tuple[str, str, dict[str, Any]]:
        """(template, status key, content map) of a documented 2xx response; SpecError otherwise."""
        template = self.path_template(path)
        where = f"{method.upper()} {path} -> {status}"
        if template is None:
            raise SpecError(f"{where}: path not documented in the spec")
        operation = self.document["paths"][template].get(method.lower())
        if method.lower() not in _HTTP_METHODS or operation is None:
            raise SpecError(f"{where}: the spec has no {method.upper()} operation on {template}")
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "200"
        if not 200 <= status < 300 or key not in responses:
            raise SpecError(f"{where}: the spec documents no {status} response for {method.upper()} {template}")
        response = responses[key]
        if "$ref" in response:  # e.g. "#/components/responses/TooManyRequests"
            response = self.document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return template, key, response.get("content", {})

    def _target(self, method: str, path: str, status: int, content_type: str) -> str | None:
        """Schema name (or ``#/`` pointer) for a response; ``None`` for opaque bytes; else SpecError."""
        if status >= 400 and self.path_template(path) is not None:
            return "ErrorResponse"
        template, key, content = self._documented(method, path, status)
        media = _media_type(content_type)
        if media not in content:
            if media not in ("application/json", "text/event-stream") and any(
                _is_opaque(m.get("schema", {})) for m in content.values()
            ):
                return None  # e.g. audio/mpeg served where the spec says application/octet-stream
            raise SpecError(
                f"{method.upper()} {path} -> {status}: the spec documents no {media or 'typeless'} body"
                f" for {method.upper()} {template} (only {sorted(content) or 'no body'})"
            )
        schema = content[media]["schema"]
        if _is_opaque(schema):
            return None
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[1]
        # An inline schema (e.g. a oneOf of transcription shapes): address it by JSON pointer.
        escape = lambda s: s.replace("~", "~0").replace("/", "~1")  # noqa: E731
        return f"#/paths/{escape(template)}/{method.lower()}/responses/{key}/content/{escape(media)}/schema"

    def response_schema(self, method: str, path: str, status: int, content_type: str) -> str | None:
        """Component name (or ``#/`` pointer for inline schemas) of a response body; ``None`` if none."""
        try:
            return self._target(method, path, status, content_type)
        except SpecError:
            return None

    def validate_response(self, method: str, path: str, status: int, content_type: str, body: bytes) -> int:
        """Validate a raw body; return how many JSON objects were checked (0 for opaque or empty bodies)."""
        if not body and status < 400 and not self._documented(method, path, status)[2]:
            return 0  # the spec documents no body and none was sent (e.g. DELETE /responses/{id})
        target = self._target(method, path, status, content_type)
        if target is None:
            return 0
        label = f" ({method.upper()} {path} -> {status})"
        if _media_type(content_type) != "text/event-stream" or status >= 400:
            self._check(target, _parse(body, label), label)
            return 1
        count = 0
        for index, payload in enumerate(_sse_payloads(body)):
            if payload == "[DONE]":
                continue
            where = f"{label} event #{index}"
            obj = _parse(payload.encode(), where)
            # Mid-stream failures are sent as {"error": {...}} frames instead of stream events.
            self._check("ErrorResponse" if isinstance(obj, dict) and "error" in obj else target, obj, where)
            count += 1
        return count


def _parse(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SpecError(f"body is not JSON{where}: {exc}: {body[:_EXCERPT]!r}") from None


# -- httpx2 event hooks (the openai SDK and Starlette's TestClient both sit on httpx2) ------------------
def _check_response(spec: Spec, response: httpx2.Response, seen: list[Any] | None) -> None:
    request = response.request
    if spec.path_template(request.url.path) is None:
        return  # /health, /metrics and FakeAI extensions: nothing in the spec to hold them to
    count = spec.validate_response(
        request.method, request.url.path, response.status_code, response.headers.get("content-type", ""), response.content
    )
    if seen is not None:
        seen.append((request.url.path, response.status_code, count))


def response_hook(spec: Spec, seen: list[Any] | None = None) -> Callable[[httpx2.Response], None]:
    """``httpx2.Client(event_hooks={"response": [response_hook(spec)]})``: validate every documented response.

    Reading the body here is safe: httpx2 caches it, so the SDK (even a streaming call) reads it again.
    Appends ``(path, status, count)`` to ``seen`` for each validated (not skipped) response.
    """

    def hook(response: httpx2.Response) -> None:
        response.read()
        _check_response(spec, response, seen)

    return hook


def async_response_hook(spec: Spec, seen: list[Any] | None = None) -> Callable[[httpx2.Response], Awaitable[None]]:
    """The ``httpx2.AsyncClient`` twin of ``response_hook``."""

    async def hook(response: httpx2.Response) -> None:
        await response.aread()
        _check_response(spec, response, seen)

    return hook
