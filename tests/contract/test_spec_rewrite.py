"""The spec rewrite: 3.0 keywords are gone, every quirk is fixed, and the speed rewrites (tagged-union
dispatch, direct $ref lookup) accept exactly what a plain validator does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from .bodies import TEXT_DELTA, response_body
from .spec import Spec, SpecError, load_spec


# -- loading -----------------------------------------------------------------------------------------
def test_load_is_cached(spec: Spec) -> None:
    assert load_spec() is spec


def test_no_openapi30_keywords_survive(spec: Spec) -> None:
    leftovers: list[str] = []

    def walk(node: Any, at: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("nullable"), bool) or isinstance(node.get("exclusiveMinimum"), bool):
                leftovers.append(at)
            if "$recursiveRef" in node or (
                "discriminator" in node and "mapping" not in node["discriminator"]
            ):
                leftovers.append(at)
            if isinstance(node.get("required"), list) and len(set(node["required"])) != len(node["required"]):
                leftovers.append(at)
            for key, value in node.items():
                walk(value, f"{at}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{at}/{i}")

    walk(spec.document["components"]["schemas"], "#/components/schemas")
    assert leftovers == []


def test_every_ref_resolves(spec: Spec) -> None:
    schemas = spec.document["components"]["schemas"]
    refs: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas)
    assert refs and all(
        r.startswith("#/components/schemas/") and r.rsplit("/", 1)[1] in schemas for r in refs
    )


# -- the other quirks ----------------------------------------------------------------------------------
def test_recursive_ref_points_at_enclosing_component(spec: Spec) -> None:
    leaf = {"type": "eq", "key": "a", "value": 1}
    spec.validate("CompoundFilter", {"type": "and", "filters": [leaf, {"type": "or", "filters": [leaf]}]})
    # The nested filter is checked: an unrewritten $recursiveRef would accept anything there.
    with pytest.raises(SpecError):
        spec.validate("CompoundFilter", {"type": "and", "filters": [{"type": "or", "filters": "nope"}]})


def test_boolean_exclusive_minimum_became_numeric(spec: Spec) -> None:
    spec.validate("FineTuneDPOHyperparameters", {"beta": 0.1})
    with pytest.raises(SpecError, match="less than or equal to the minimum of 0"):
        spec.validate("FineTuneDPOHyperparameters", {"beta": 0})


def test_unknown_formats_are_not_checked(spec: Spec) -> None:
    spec.validate(
        "Model", {"id": "m", "object": "model", "created": 1, "owned_by": "fakeai", "shutdown_date": "soon"}
    )


# -- Responses API: tagged unions (x-dispatch) --------------------------------------------------------
def test_response_object(spec: Spec) -> None:
    spec.validate("Response", response_body())
    body = response_body()
    body["output"][0]["content"][0]["annotations"] = None
    with pytest.raises(SpecError, match=r"\$\.output\[0\]\.content\[0\]\.annotations"):
        spec.validate("Response", body)
    body = response_body()
    del body["usage"]["input_tokens_details"]["cache_write_tokens"]
    with pytest.raises(SpecError, match="'cache_write_tokens' is a required property"):
        spec.validate("Response", body)


def test_stream_event_errors_name_the_field_of_the_tagged_branch(spec: Spec) -> None:
    spec.validate("ResponseStreamEvent", TEXT_DELTA)
    # A plain oneOf over ~50 event types would report "not valid under any of the given schemas".
    with pytest.raises(SpecError, match=r"at \$\.sequence_number: None is not of type 'integer'"):
        spec.validate("ResponseStreamEvent", {**TEXT_DELTA, "sequence_number": None})
    with pytest.raises(SpecError, match=r"'response\.output_text\.deltas' is not a known type"):
        spec.validate("ResponseStreamEvent", {**TEXT_DELTA, "type": "response.output_text.deltas"})
    with pytest.raises(SpecError, match="'type' is a required property"):
        spec.validate("ResponseStreamEvent", {k: v for k, v in TEXT_DELTA.items() if k != "type"})
    with pytest.raises(SpecError, match="is not of type 'object'"):
        spec.validate("ResponseStreamEvent", "response.output_text.delta")


def test_speed_rewrites_accept_exactly_what_the_plain_rewrite_does(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x-dispatch, the direct $ref lookup and _cheap_null must not change any verdict.

    The reference is the spec with only the quirk fixes, validated by plain jsonschema + referencing.
    The cases are the spec's embedded examples (some fail its own schemas, which is fine here) plus
    variants with a wrong, missing or non-object tag.
    """
    from . import rewrite as module
    from . import spec as spec_module

    raw = spec_module.read_document()
    cases: list[tuple[str, Any]] = []
    events: list[dict[str, Any]] = []
    for name, schema in raw["components"]["schemas"].items():
        example = schema.get("x-oaiMeta", {}).get("example")
        if not name.startswith(("Response", "Chat", "CreateChat")) or not isinstance(example, str):
            continue  # keep the test quick: the families FakeAI serves
        try:
            instance = json.loads(example)
        except ValueError:
            continue
        cases += [(name, instance), (name, "text"), (name, None)]
        if isinstance(instance, dict) and "type" in instance:
            wrong = {**instance, "type": "nope"}
            cases += [(name, wrong), (name, {k: v for k, v in instance.items() if k != "type"})]
            if name.endswith("Event"):  # the union every stream event goes through
                cases.append(("ResponseStreamEvent", instance))
                events.append(instance)
    # A wrong tag costs the plain union ~50 failing branches (~10 ms here): a few are enough.
    cases += [("ResponseStreamEvent", {**event, "type": "nope"}) for event in events[:5]]
    monkeypatch.setattr(module, "_cheap_null", lambda node: None)
    for name, schema in raw["components"]["schemas"].items():
        module.fix(schema, name, [])  # quirk fixes only: no x-dispatch, nullable stays anyOf
    plain = Spec(raw)
    plain._validator_class = Draft202012Validator  # type: ignore[misc]  # plain $ref, no x-dispatch

    def verdict(checker: Spec, name: str, instance: Any) -> bool:
        return checker.validator(name).is_valid(instance)

    assert len(cases) > 50
    differ = [(n, i) for n, i in cases if verdict(spec, n, i) != verdict(plain, n, i)]
    assert differ == []
    valid = sum(verdict(spec, n, i) for n, i in cases)
    assert 0 < valid < len(cases)
