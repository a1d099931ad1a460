"""Validate raw HTTP response bodies against OpenAI's official OpenAPI spec.

The spec lives outside the project (it must not be copied in): ``$FAKEAI_OPENAPI_SPEC`` if set, else
``<project root>/../shared/reference/openai-openapi.json``.  ``load_spec()`` returns ``None`` when the
file is absent; callers then ``pytest.skip(SPEC_MISSING)``.

The spec claims OpenAPI 3.1 (JSON Schema 2020-12) but still carries 3.0-era keywords that a 2020-12
validator misreads (``shared/reference/README.md``), so ``_fix`` rewrites it once per process:
``nullable``, boolean ``exclusiveMinimum``, ``$recursiveRef``, duplicate ``required``; formats
(``unixtime``...) stay annotations because no format checker is passed.  Two more rewrites only buy
speed and accept exactly the same bodies: ``_cheap_null`` and ``x-dispatch`` (tagged unions).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

ENV_VAR = "FAKEAI_OPENAPI_SPEC"
# tests/contract/spec.py -> parents[2] is the project root (the directory holding pyproject.toml).
DEFAULT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "openai-openapi.json"
SPEC_MISSING = f"OpenAI OpenAPI spec not found: set ${ENV_VAR} or provide {DEFAULT_PATH}"
# The rewritten spec is registered under this URI; ``.invalid`` guarantees nothing is ever fetched.
SPEC_URI = "https://openai-openapi.invalid/openapi.json"
# FakeAI routes outside the spec that a spec template would swallow (the spanning last ``{model}`` of
# ``/models/{model}`` matches ``/models/x/capabilities``).  Matching one of these means "undocumented".
UNDOCUMENTED_PATHS: tuple[str, ...] = ("/models/{model}/capabilities",)

_LOCAL = "/components/schemas/"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Values that are JSON data, not schemas: skipping them keeps data intact and the rewrite fast.
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", "x-oaiMeta"})
# Values that map arbitrary names to schemas: a property called "default" is still a schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
# Annotations stay on the outer schema when ``nullable`` wraps it in ``anyOf``.
_ANNOTATIONS = frozenset({"description", "title", "default", "example", "examples", "deprecated"})
# Keywords that make a schema more than "a value of this type", so it cannot merge into a type list.
_COMPOSITE = frozenset({"$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "const"})
_EXCERPT = 240


class SpecError(AssertionError):
    """A body does not match the spec, or the spec documents nothing to check it against."""


def spec_path() -> Path | None:
    """Where the spec is, or ``None`` if the file does not exist."""
    path = Path(env) if (env := os.environ.get(ENV_VAR)) else DEFAULT_PATH
    return path if path.is_file() else None


@functools.cache
def load_spec() -> Spec | None:
    """The rewritten spec, loaded once per process; ``None`` when the file is absent."""
    if (path := spec_path()) is None:
        return None
    with path.open("rb") as f:
        doc = json.load(f)
    _document_completion_stream(doc)
    unions: list[dict[str, Any]] = []
    for name, schema in doc["components"]["schemas"].items():
        _fix(schema, name, unions)
    for item in doc["paths"].values():  # inline response schemas (audio transcriptions, deletes)
        _fix(item, None, unions)
    for union in unions:  # after _fix, so tags are read from the final branch schemas
        _add_dispatch(union, doc["components"]["schemas"])
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


# -- rewriting the spec into plain JSON Schema 2020-12 ---------------------------------------------------
def _fix(node: Any, component: str | None, unions: list[dict[str, Any]]) -> None:
    """Rewrite a schema subtree in place, children first; collect its ``anyOf``/``oneOf`` nodes."""
    if isinstance(node, list):
        for item in node:
            _fix(item, component, unions)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                _fix(sub, component, unions)
        elif key not in _DATA_KEYS:
            _fix(value, component, unions)
    # Each rewrite checks the value's type: outside schemas the same keys name fields or parameters.
    if node.get("$recursiveRef") == "#" and component:
        # 2019-09 recursion, unknown to 2020-12 (which would accept anything there): use the component.
        del node["$recursiveRef"]
        node["$ref"] = f"#{_LOCAL}{component}"
    node.pop("$recursiveAnchor", None)
    # OpenAPI 3.0 boolean form: ``minimum: 0, exclusiveMinimum: true`` means "> 0".
    if isinstance(node.get("exclusiveMinimum"), bool) and node.pop("exclusiveMinimum") and "minimum" in node:
        node["exclusiveMinimum"] = node.pop("minimum")
    if isinstance(node.get("required"), list):
        node["required"] = list(dict.fromkeys(node["required"]))
    union = node  # where the node's own union (if any) lives after the rewrite
    if isinstance(node.get("nullable"), bool) and node.pop("nullable"):
        # ``{X, nullable: true}`` -> ``{annotations, anyOf: [X, {type: null}]}``: alike for type+enum
        # (the enum lacks null), ``$ref`` with siblings, and allOf/anyOf/oneOf.
        inner = {k: v for k, v in node.items() if k not in _ANNOTATIONS and not k.startswith("x-")}
        if inner:  # a schema without assertions already accepts null
            for key in inner:
                del node[key]
            node["anyOf"] = [inner, {"type": "null"}]
            union = inner
    _cheap_null(node)
    # Unions get x-dispatch later; discriminators (none has a mapping) are dropped there too.
    for schema in (node,) if union is node else (node, union):
        if "anyOf" in schema or "oneOf" in schema or "discriminator" in schema:
            unions.append(schema)


def _cheap_null(node: dict[str, Any]) -> None:
    """Speed up ``anyOf [X, {type: null}]`` (ours and the spec's): failing branches cost error objects.

    A plain typed X alone under the node merges into ``type: [T, "null"]`` (``None`` joins its enum):
    the same instances are valid.  Otherwise the null branch goes first, so a null passes at once.
    """
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return
    nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null"]
    if len(nulls) != 1 or not nulls[0].keys() <= _ANNOTATIONS | {"type"}:
        return
    others = [b for b in branches if b is not nulls[0]]
    other = others[0]
    if (
        len(others) == 1
        and isinstance(other.get("type"), str)
        and not other.keys() & _COMPOSITE
        and all(k in _ANNOTATIONS or k.startswith("x-") for k in node if k != "anyOf")
    ):
        del node["anyOf"]
        node.update({k: v for k, v in other.items() if k not in node})
        node["type"] = [other["type"], "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    else:
        node["anyOf"] = [nulls[0], *others]


# -- tagged unions: try only the branches an object's "type" allows --------------------------------------
def _tags(schema: dict[str, Any], prop: str, schemas: dict[str, Any], depth: int = 0) -> set[str] | None:
    """Tag values any valid instance of ``schema`` carries in ``prop``; None if it is not bound."""
    if depth > 8:
        return None
    if "$ref" in schema:  # siblings only narrow further, so the target's tags still bound it
        return _tags(schemas[schema["$ref"].rsplit("/", 1)[1]], prop, schemas, depth + 1)
    if "x-dispatch" in schema:  # a nested union already converted
        rule = schema["x-dispatch"]
        return set(rule["mapping"]) if rule["property"] == prop and not rule["loose"] else None
    if branches := schema.get("anyOf") or schema.get("oneOf"):  # valid means some branch is
        found = [_tags(b, prop, schemas, depth + 1) for b in branches]
        return None if None in found else set().union(*found)  # type: ignore[arg-type]
    if parts := [t for s in schema.get("allOf", ()) if (t := _tags(s, prop, schemas, depth + 1))]:
        return set.intersection(*parts)  # valid means every member is
    tag = schema.get("properties", {}).get(prop, {})
    if "$ref" in tag:
        tag = schemas[tag["$ref"].rsplit("/", 1)[1]]
    values = [tag["const"]] if "const" in tag else tag.get("enum", [None])
    required = schema.get("type") == "object" and prop in schema.get("required", ())
    return set(values) if required and all(isinstance(v, str) for v in values) else None


def _add_dispatch(node: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Replace a tagged ``oneOf``/``anyOf`` by ``x-dispatch``, which tries only the branches a tag allows.

    A plain validator tries every branch (the spec's discriminators have no mapping; most unions have
    none at all): ~50 of them for a Responses stream event, 5-7 ms a body.  The mapping comes from the
    branches (``type: object``, tag required, tag ``const``/``enum``); the tag is the discriminator's
    property, else "type".  Untagged branches stay ``loose`` and are always tried, so the keyword
    accepts exactly what the union did (tests/contract compares the two on the spec's examples).
    """
    discriminator = node.pop("discriminator", None)
    prop = discriminator["propertyName"] if isinstance(discriminator, dict) else "type"
    keyword = next((k for k in ("oneOf", "anyOf") if isinstance(node.get(k), list)), None)
    if keyword is None:
        return
    mapping: dict[str, list[Any]] = {}
    loose: list[Any] = []
    for branch in node[keyword]:
        tags = _tags(branch, prop, schemas)
        for tag in sorted(tags or ()):
            mapping.setdefault(tag, []).append(branch)
        if tags is None:
            loose.append(branch)
    if mapping:
        node["x-dispatch"] = {"keyword": keyword, "property": prop, "mapping": mapping, "loose": loose}
        del node[keyword]


def _dispatch(validator: Any, rule: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    """The ``x-dispatch`` keyword: ``oneOf``/``anyOf`` over the branches the instance's tag selects."""
    prop, mapping = rule["property"], rule["mapping"]
    is_object = validator.is_type(instance, "object")
    tag = instance.get(prop) if is_object else None
    candidates = [*mapping.get(tag, ()), *rule["loose"]] if isinstance(tag, str) else rule["loose"]
    if not candidates:
        known = ", ".join(sorted(mapping)[:8]) + (", ..." if len(mapping) > 8 else "")
        if not is_object:
            yield ValidationError(f"{_excerpt(instance)} is not of type 'object'")
        elif tag is None:
            yield ValidationError(f"{prop!r} is a required property (one of: {known})")
        else:
            yield ValidationError(f"{tag!r} is not a known {prop} (known: {known})")
        return
    errors: list[ValidationError] = []
    passed = 0
    for index, branch in enumerate(candidates):
        found = list(validator.descend(instance, branch, schema_path=index))
        passed += not found
        errors += found
        if passed and rule["keyword"] == "anyOf":
            return
    if passed > 1:
        yield ValidationError(f"{_excerpt(instance)} is valid under more than one oneOf branch")
    elif passed == 0 and len(candidates) == 1:
        yield from errors  # the one branch its tag picked: its own errors are the precise ones
    elif passed == 0:
        yield ValidationError(f"{_excerpt(instance)} is not valid under any given schema", context=errors)


def _validator_class(schemas: dict[str, Any]) -> type[Draft202012Validator]:
    """Draft 2020-12 plus ``x-dispatch``, and a ``$ref`` that looks components up directly.

    ``referencing`` re-resolves a ``$ref`` on every visit (URL join, JSON pointer walk: ~50 us here);
    the spec's refs are all ``#/components/schemas/X`` in one resource without ``$id``, so a dict
    lookup finds the same schema.  Any other ref still goes through the registry.
    """
    plain_ref = Draft202012Validator.VALIDATORS["$ref"]

    def ref(validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        uri, _, pointer = ref.partition("#")  # the root ref carries SPEC_URI, the spec's own do not
        local = uri in ("", SPEC_URI) and pointer.startswith(_LOCAL)
        if (target := schemas.get(pointer[len(_LOCAL) :]) if local else None) is None:
            yield from plain_ref(validator, ref, instance, schema)
        else:
            yield from validator.descend(instance, target)

    return validators.extend(Draft202012Validator, {"x-dispatch": _dispatch, "$ref": ref})


# -- small helpers -----------------------------------------------------------------------------------------
def _excerpt(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_opaque(schema: dict[str, Any]) -> bool:
    """A bare string schema (binary audio, file content, SDP): bytes without JSON structure to check."""
    return schema.get("type") == "string" and "$ref" not in schema


def _parse(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SpecError(f"body is not JSON{where}: {exc}: {body[:_EXCERPT]!r}") from None


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
        self._validator_class = _validator_class(document["components"]["schemas"])
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
            + (f"  because: {why[: _EXCERPT * 2]}\n" if why else "")
            + f"  failing part: {_excerpt(error.instance)}\n  document: {_excerpt(instance)}"
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
