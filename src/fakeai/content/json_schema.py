"""Instances of a JSON Schema: what a model in structured-output or tool-calling mode would produce.

``instance(schema, rng)`` returns a value that validates against ``schema`` (drafts 4 to 2020-12, the
keywords listed in docs/generation.md), deterministic per ``rng``, with plausible values: strings shaped by
the field's name and ``format`` (content/values.py), strings for ``pattern`` from a small regex generator
(content/pattern.py). Schemas it cannot satisfy raise ``SchemaError`` naming where.

Recursion terminates: past ``_SOFT_DEPTH`` levels of nesting only what is required is generated (no
optional properties, the fewest items, the branch of a union that does not recurse if there is one); a
schema that still nests past ``_HARD_DEPTH`` has no finite instance and is refused.

Generation is bounded, since a schema is user input (docs/generation.md, "Limits"): a keyword asking for
more than ``MAX_STRING_LENGTH`` characters or ``MAX_ITEMS`` items is refused before anything is built, an
instance's strings share a budget of ``MAX_TEXT`` characters, and ``_MAX_WORK`` bounds the schema nodes
resolved. Each refusal is a ``SchemaError`` naming the keyword, so the request gets a 400 in milliseconds.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

from fakeai.content import schema_keywords as keywords
from fakeai.content import values
from fakeai.content.pattern import PatternError, matching
from fakeai.content.schema_keywords import Path, SchemaError

_SOFT_DEPTH = 4
_HARD_DEPTH = 24
_MAX_REF_CHAIN = 32
_MAX_WORK = 10_000
#: The longest string one ``minLength`` (or ``pattern``) may ask for, in characters.
MAX_STRING_LENGTH = 100_000
#: The most characters all strings of one instance may hold together (~25k tokens of JSON).
MAX_TEXT = 100_000
#: The most items (``minItems``, ``minContains``) or properties (``minProperties``) one keyword may ask for.
MAX_ITEMS = 10_000
_OPTIONAL_PROBABILITY = 0.7
_NULL_PROBABILITY = 0.15


def instance(
    schema: Any, rng: random.Random, *, hint: str = "", mentions: values.Mentions | None = None
) -> Any:
    """A JSON value that validates against ``schema``. ``hint`` names it (a function or format name) and
    seeds plausible strings; ``mentions`` lets free-text fields take what the user names (tool arguments)."""
    try:
        return _Generator(schema, rng, mentions).value(schema, (), hint, 0)
    except RecursionError:  # a schema nested deeper than Python's stack (limits in strict_schema.py)
        raise SchemaError("the schema is nested too deeply to generate an instance for") from None


class _Generator:
    def __init__(self, root: Any, rng: random.Random, mentions: values.Mentions | None = None) -> None:
        self.root = root
        self.rng = rng
        self.mentions = mentions
        self.work = 0  # schema nodes resolved: bounds the effort on pathological schemas
        self.text = MAX_TEXT  # characters the instance's strings may still use

    def _spend(self, text: str, path: Path) -> str:
        self.text -= len(text)
        if self.text < 0:
            raise SchemaError(f"the instance would exceed {MAX_TEXT} characters of strings", path)
        return text

    # -- resolution: $ref and allOf become one flat schema ------------------------------------------------

    def _ref(self, ref: str, path: Path) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"only local references are supported, not {ref!r}", path)
        node = self.root
        for token in filter(None, ref[1:].split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, Mapping) and token in node:
                node = node[token]
            else:
                raise SchemaError(f"unresolvable reference {ref!r}", path)
        return node

    def _flat(self, schema: Any, path: Path, chain: int = 0) -> Any:
        """``schema`` with ``$ref`` followed and ``allOf`` merged in; booleans stay booleans."""
        self.work += 1
        if self.work > _MAX_WORK:
            raise SchemaError("the schema is too complex to generate an instance for", path)
        for _ in range(chain, _MAX_REF_CHAIN):
            chain += 1
            if not isinstance(schema, Mapping):
                return schema
            if "$ref" in schema:
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                target = self._ref(schema["$ref"], path)
                schema = keywords.merge(target, rest, path) if rest else target
                continue
            if "allOf" in schema:
                merged: Any = {k: v for k, v in schema.items() if k != "allOf"}
                for index, member in enumerate(schema["allOf"]):
                    merged = keywords.merge(merged, self._flat(member, (*path, "allOf", index), chain), path)
                schema = merged
                continue
            return schema
        raise SchemaError("a chain of references never reaches a schema", path)

    # -- values ---------------------------------------------------------------------------------------------

    def value(self, schema: Any, path: Path, hint: str, depth: int) -> Any:
        if depth > _HARD_DEPTH:
            raise SchemaError("the schema recurses with no finite instance", path)
        schema = self._flat(schema, path)
        if schema is True or schema == {}:
            return values.text(self.rng, hint, None, 0, None)
        if schema is False:
            raise SchemaError("the schema 'false' has no instance", path)
        if not isinstance(schema, Mapping):
            raise SchemaError(f"a schema must be an object or a boolean, not {type(schema).__name__}", path)
        union = schema.get("anyOf") or schema.get("oneOf")
        if union:
            return self._union(schema, union, path, hint, depth)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if "enum" in schema:
            return self._enum(schema, path)
        types = keywords.types(schema)
        if depth >= _SOFT_DEPTH and "null" in types:
            types = ["null"]
        elif len(types) > 1 and "null" in types and self.rng.random() >= _NULL_PROBABILITY:
            types = [t for t in types if t != "null"]
        order = self.rng.sample(types, len(types))
        error: SchemaError | None = None
        for kind in order:
            try:
                return self._typed(kind, schema, path, hint, depth)
            except SchemaError as exc:
                error = exc
        assert error is not None
        raise error

    def _union(self, schema: Mapping, branches: list, path: Path, hint: str, depth: int) -> Any:
        base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        key = "anyOf" if "anyOf" in schema else "oneOf"
        order = self.rng.sample(range(len(branches)), len(branches))
        if depth >= _SOFT_DEPTH:  # head for the way out of a recursion
            order.sort(key=lambda i: keywords.recursive(branches[i]))
        error: SchemaError | None = None
        for index in order:
            branch_path = (*path, key, index)
            try:
                branch = self._flat(branches[index], branch_path)
                merged = keywords.merge(base, branch, branch_path) if base else branch
                return self.value(merged, branch_path, hint, depth)
            except SchemaError as exc:
                error = exc
        raise error or SchemaError(f"'{key}' is empty", path)

    def _enum(self, schema: Mapping, path: Path) -> Any:
        options = list(schema["enum"])
        if "type" in schema:
            allowed = keywords.types(schema)
            options = [o for o in options if keywords.json_type(o) in allowed or (
                isinstance(o, int) and not isinstance(o, bool) and "number" in allowed)]  # fmt: skip
        if not options:
            raise SchemaError("no 'enum' value has the allowed type", path)
        return copy.deepcopy(self.rng.choice(options))

    def _typed(self, kind: str, schema: Mapping, path: Path, hint: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, path, depth)
        if kind == "array":
            return self._array(schema, path, hint, depth)
        if kind == "string":
            return self._string(schema, path, hint)
        if kind in ("integer", "number"):
            try:
                return values.number(self.rng, integer=kind == "integer", **keywords.bounds(schema))
            except (ValueError, TypeError, OverflowError) as exc:  # bounds that are not finite numbers
                raise SchemaError(str(exc), path) from exc
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        raise SchemaError(f"unknown type {kind!r}", (*path, "type"))

    def _string(self, schema: Mapping, path: Path, hint: str) -> str:
        low, high = keywords.count(schema, "minLength", 0, MAX_STRING_LENGTH, path), schema.get("maxLength")
        if high is not None and low > high:
            raise SchemaError(f"minLength {low} exceeds maxLength {high}", path)
        room = min(self.text, MAX_STRING_LENGTH)
        if low > room:
            raise SchemaError(f"the instance would exceed {MAX_TEXT} characters of strings", path)
        pattern = schema.get("pattern")
        if pattern is None:
            text = values.text(self.rng, hint, schema.get("format"), low, high, self.mentions)
            return self._spend(text, path)
        if not isinstance(pattern, str):
            raise SchemaError("'pattern' must be a string", (*path, "pattern"))
        try:
            return self._spend(
                matching(pattern, self.rng, low, room if high is None else min(high, room)), path
            )
        except PatternError as exc:
            raise SchemaError(str(exc), (*path, "pattern")) from exc

    def _object(self, schema: Mapping, path: Path, depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = list(dict.fromkeys(schema.get("required") or ()))
        extra = schema.get("additionalProperties", True)
        low, high = keywords.count(schema, "minProperties", 0, MAX_ITEMS, path), schema.get("maxProperties")
        if high is not None and len(required) > high:
            raise SchemaError(f"{len(required)} required properties exceed maxProperties {high}", path)
        optional = [k for k in properties if k not in required]
        if depth >= _SOFT_DEPTH:
            chosen = []
        else:
            chosen = [k for k in optional if self.rng.random() < _OPTIONAL_PROBABILITY]
        for key in optional:  # top up to minProperties with declared properties first
            if len(required) + len(chosen) >= low:
                break
            if key not in chosen:
                chosen.append(key)
        if high is not None:
            chosen = chosen[: high - len(required)]
        keys = required + [k for k in properties if k in chosen]
        result: dict[str, Any] = {}
        for key in keys:
            sub = self._property_schema(schema, key, path)
            result[key] = self.value(sub, (*path, "properties", key), key, depth + 1)
        counter = 0
        while len(result) < low:  # declared properties ran out: invent keys additionalProperties allows
            if extra is False:
                raise SchemaError(f"minProperties {low} needs more properties than are declared", path)
            counter += 1
            key = f"field_{counter}"
            if key in result or keywords.pattern_schema(schema, key) is not None:
                continue
            sub = extra if isinstance(extra, Mapping) else {"type": "string"}
            result[key] = self.value(sub, (*path, "additionalProperties"), key, depth + 1)
        return result

    def _property_schema(self, schema: Mapping, key: str, path: Path) -> Any:
        declared = (schema.get("properties") or {}).get(key)
        matched = keywords.pattern_schema(schema, key)
        if declared is not None:
            return {"allOf": [declared, matched]} if matched is not None else declared
        if matched is not None:
            return matched
        extra = schema.get("additionalProperties", True)
        if extra is False:
            raise SchemaError(f"required property {key!r} is not allowed by additionalProperties", path)
        return extra if isinstance(extra, Mapping) else {"type": "string"}

    def _array(self, schema: Mapping, path: Path, hint: str, depth: int) -> list[Any]:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems") or []
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        low, high = keywords.count(schema, "minItems", 0, MAX_ITEMS, path), schema.get("maxItems")
        if items is False:
            high = len(prefix) if high is None else min(high, len(prefix))
        if high is not None and low > high:
            raise SchemaError(f"minItems {low} exceeds the most items allowed ({high})", path)
        contains = schema.get("contains")
        need = keywords.count(schema, "minContains", 1, MAX_ITEMS, path) if contains is not None else 0
        low = max(low, need)
        if depth >= _SOFT_DEPTH:
            count = low
        else:
            spread = max(1, 3 - depth)  # nested arrays get shorter, so recursive trees stay small
            top = low + spread if high is None else min(high, max(low, 1) + spread - 1)
            count = self.rng.randint(min(max(low, 1), top), top)
        if count > _MAX_WORK - self.work:  # each item is a node at least: refuse before building any
            raise SchemaError("the schema is too complex to generate an instance for", path)
        singular = hint[:-1] if hint.endswith("s") and len(hint) > 3 else hint
        result: list[Any] = []
        seen: set[str] = set()
        unique = bool(schema.get("uniqueItems"))
        attempts = 0
        while len(result) < count:
            index = len(result)
            if index < len(prefix):
                sub, sub_path = prefix[index], (*path, "prefixItems", index)
            else:
                sub, sub_path = items, (*path, "items")
            if index < need:
                sub, sub_path = {"allOf": [sub, contains]}, (*path, "contains")
            item = self.value(sub, sub_path, singular, depth + 1)
            if unique and keywords.canonical(item) in seen:
                attempts += 1
                if attempts > 8 * (count + 1):
                    if len(result) >= low:
                        break
                    raise SchemaError(f"cannot find {low} distinct items for uniqueItems", path)
                continue
            seen.add(keywords.canonical(item))
            result.append(item)
        return result
