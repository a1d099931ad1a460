"""Rewriting OpenAI's spec into plain JSON Schema 2020-12, and a validator class that checks it fast.

The spec says OpenAPI 3.1 but still carries 3.0 keywords (``nullable``, boolean ``exclusiveMinimum``,
``$recursiveRef``, ``discriminator`` without a mapping); ``fix`` rewrites them in place. Unions whose
branches carry a ``type`` tag get an ``x-dispatch`` keyword so only the matching branches are tried.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

# The rewritten spec is registered under this URI; ``.invalid`` guarantees nothing is ever fetched.
SPEC_URI = "https://openai-openapi.invalid/openapi.json"
EXCERPT_CHARS = 240

_LOCAL = "/components/schemas/"
# Values that are JSON data, not schemas: skipping them keeps data intact and the rewrite fast.
_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum", "x-oaiMeta"})
# Values that map arbitrary names to schemas: a property called "default" is still a schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
# Annotations stay on the outer schema when ``nullable`` wraps it in ``anyOf``.
_ANNOTATIONS = frozenset({"description", "title", "default", "example", "examples", "deprecated"})
# Keywords that make a schema more than "a value of this type", so it cannot merge into a type list.
_COMPOSITE = frozenset({"$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "const"})


# -- rewriting the spec into plain JSON Schema 2020-12 ---------------------------------------------------
def fix(node: Any, component: str | None, unions: list[dict[str, Any]]) -> None:
    """Rewrite a schema subtree in place, children first; collect its ``anyOf``/``oneOf`` nodes."""
    if isinstance(node, list):
        for item in node:
            fix(item, component, unions)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                fix(sub, component, unions)
        elif key not in _DATA_KEYS:
            fix(value, component, unions)
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


def add_dispatch(node: dict[str, Any], schemas: dict[str, Any]) -> None:
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
            yield ValidationError(f"{excerpt(instance)} is not of type 'object'")
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
        yield ValidationError(f"{excerpt(instance)} is valid under more than one oneOf branch")
    elif passed == 0 and len(candidates) == 1:
        yield from errors  # the one branch its tag picked: its own errors are the precise ones
    elif passed == 0:
        yield ValidationError(f"{excerpt(instance)} is not valid under any given schema", context=errors)


def validator_class(schemas: dict[str, Any]) -> type[Draft202012Validator]:
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


def excerpt(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."
