"""Hypothesis strategies for JSON Schemas: OpenAI's strict subset, and a wider non-strict mix.

hypothesis-jsonschema generates instances *of* a schema, not schemas, so the schemas are drawn here. Every
drawn schema is satisfiable by construction (bounds are ordered, enums non-empty), so a generator failure
is a bug in the generator, not in the schema.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMES = st.sampled_from(
    ["name", "city", "email", "age", "tags", "items", "unit", "query", "id", "count", "price", "status",
     "description", "location", "start_date", "userName", "is_active", "score", "notes", "x"]
)  # fmt: skip
FORMATS = ["email", "date-time", "date", "time", "uuid", "uri", "ipv4", "ipv6", "hostname", "duration"]
PATTERNS = [
    r"^[A-Z]{3}$",
    r"^\d{5}(-\d{4})?$",
    r"^[a-z]+_[0-9]+$",
    r"^(red|green|blue)$",
    r"^\+?[0-9 ]{7,12}$",
]


@st.composite
def _string(draw: st.DrawFn, strict: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(["plain", "format", "pattern", "enum", "length"]))
    if kind == "format":
        return {"type": "string", "format": draw(st.sampled_from(FORMATS))}
    if kind == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(PATTERNS))}
    if kind == "enum":
        words = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4)
        return {"type": "string", "enum": draw(words)}
    if kind == "length":
        low = draw(st.integers(0, 20))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 30))}
    return {"type": "string"}


@st.composite
def _number(draw: st.DrawFn, strict: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    low = draw(st.none() | st.integers(-1000, 1000))
    if low is not None:
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        key = "exclusiveMaximum" if draw(st.booleans()) else "maximum"
        schema[key] = (low or 0) + draw(st.integers(2, 500))
    if draw(st.booleans()):
        schema["multipleOf"] = draw(st.sampled_from([1, 2, 5, 10, 0.5, 0.25] if not strict else [1, 5]))
        schema.pop("exclusiveMaximum", None)
        schema["maximum"] = (low or 0) + 20
    return schema


def _leaf(strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    base = st.one_of(
        _string(strict),
        _number(strict),
        st.just({"type": "boolean"}),
        st.builds(lambda v: {"const": v}, st.integers(-5, 5) | st.text(max_size=5)),
    )
    return st.one_of(base, base.map(lambda s: {**s, "type": [s["type"], "null"]} if "type" in s else s))


def _object(children: st.SearchStrategy, strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        properties = draw(st.dictionaries(NAMES, children, min_size=0 if not strict else 1, max_size=5))
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if strict:
            schema.update(required=list(properties), additionalProperties=False)
            return schema
        schema["required"] = [k for k in properties if draw(st.booleans())]
        extra = draw(st.sampled_from([None, False, True, {"type": "integer"}]))
        if extra is not None:
            schema["additionalProperties"] = extra
        if extra is not False and draw(st.booleans()):
            schema["minProperties"] = len(properties) + draw(st.integers(0, 2))
        return schema

    return build()


def _array(children: st.SearchStrategy, strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": draw(children)}
        low = draw(st.integers(0, 3))
        if draw(st.booleans()):
            schema["minItems"] = low
        if draw(st.booleans()):
            schema["maxItems"] = low + draw(st.integers(0, 4))
        if not strict and draw(st.booleans()):
            schema["items"] = {"type": "integer", "minimum": 0, "maximum": 1000}
            schema["uniqueItems"] = True
        return schema

    return build()


def _combinator(children: st.SearchStrategy, strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    union = st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b})
    if strict:
        return union
    branches = [{"type": "string", "maxLength": 10}, {"type": "integer"}, {"type": "null"}]
    disjoint = st.just({"oneOf": branches})
    both = st.tuples(children).map(
        lambda c: {"allOf": [c[0], {"description": "merged"}]}
    )  # allOf with an annotation-only member must keep the other's constraints
    return st.one_of(union, disjoint, both)


def schemas(strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A root object schema; some roots define a recursive ``$defs`` entry referenced inside."""
    tree = st.recursive(
        _leaf(strict),
        lambda children: st.one_of(
            _object(children, strict), _array(children, strict), _combinator(children, strict)
        ),
        max_leaves=12,
    )
    node = {
        "type": "object",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        },
        "required": ["label", "children"],
        "additionalProperties": False,
    }

    @st.composite
    def root(draw: st.DrawFn) -> dict[str, Any]:
        schema = draw(_object(tree, strict))
        if draw(st.booleans()):
            schema["$defs"] = {"node": node}
            schema["properties"]["tree"] = {"$ref": "#/$defs/node"}
            if strict:
                schema["required"].append("tree")
        return schema

    return root()
