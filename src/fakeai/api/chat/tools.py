"""``tools`` / ``tool_choice`` (and legacy ``functions`` / ``function_call``): validated as OpenAI does,
then, per choice, which tools the reply calls.

``auto`` calls the tools whose name and description share words with the last user message (all of them
unless ``parallel_tool_calls`` is false, else the best one) and answers in text when none does, or when
the last message is already a tool result: an agent loop ends after one round of calls. ``required``
always calls (the best match, or a seeded pick); a named function always calls that function.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from fakeai.api.chat.prompt import content_text
from fakeai.api.chat.protocol import ChatCompletionRequest, FunctionMessage, ToolMessage, UserMessage
from fakeai.api.chat.structured import schema_error
from fakeai.content.json_schema import SchemaError
from fakeai.content.strict_schema import check_strict
from fakeai.content.tools import ToolSpec, arguments, ranked
from fakeai.errors import InvalidRequestError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    tools: list[ToolSpec]
    mode: str  # "none", "auto", "required" or "named"
    named: str | None = None
    parallel: bool = True
    legacy: bool = False  # functions/function_call: one call, answered as message.function_call

    @property
    def param(self) -> str:
        return "functions" if self.legacy else "tools"

    def calls(self, request: ChatCompletionRequest, rng: random.Random) -> list[tuple[str, str]]:
        """(name, arguments JSON) of each call this choice makes; empty means answer in text."""
        if self.mode == "none":
            return []
        chosen = self._chosen(request, rng)
        if not self.parallel or self.legacy:
            chosen = chosen[:1]
        result = []
        asked = last_user_text(request)
        for tool in chosen:
            try:
                result.append((tool.name, arguments(tool, rng, asked)))
            except SchemaError as exc:
                index = next(i for i, t in enumerate(self.tools) if t.name == tool.name)
                raise schema_error(
                    "function",
                    tool.name,
                    exc,
                    param=self._parameters(index),
                    code="invalid_function_parameters",
                ) from None
        return result

    def _chosen(self, request: ChatCompletionRequest, rng: random.Random) -> list[ToolSpec]:
        if self.mode == "named":
            return [t for t in self.tools if t.name == self.named][:1]
        last = request.messages[-1]
        if self.mode == "auto" and isinstance(last, ToolMessage | FunctionMessage):
            return []
        matches = ranked(self.tools, last_user_text(request))
        if not matches and self.mode == "required":
            matches = [rng.choice(self.tools)]
        return matches

    def _parameters(self, index: int) -> str:
        return f"functions[{index}].parameters" if self.legacy else f"tools[{index}].function.parameters"


def last_user_text(request: ChatCompletionRequest) -> str:
    for message in reversed(request.messages):
        if isinstance(message, UserMessage):
            return content_text(message.content)
    return ""


def tool_policy(request: ChatCompletionRequest) -> ToolPolicy | None:
    """The request's tools and how they may be called, or None without tools. 400s name the field."""
    _only_with("tool_choice", request.tool_choice, request.tools, "tools")
    _only_with("parallel_tool_calls", request.parallel_tool_calls, request.tools, "tools")
    _only_with("function_call", request.function_call, request.functions, "functions")
    if request.tools is not None:
        specs = _specs([(t.type, t.function) for t in request.tools], "tools")
        mode, named, specs = _tool_choice(request.tool_choice, specs)
        return ToolPolicy(specs, mode, named, request.parallel_tool_calls is not False)
    if request.functions is not None:
        specs = _specs([("function", f) for f in request.functions], "functions")
        mode, named = _function_call(request.function_call, specs)
        return ToolPolicy(specs, mode, named, parallel=False, legacy=True)
    return None


def _only_with(name: str, value: object, definitions: object, needed: str) -> None:
    if value is not None and definitions is None:
        raise InvalidRequestError(
            f"Invalid value for '{name}': '{name}' is only allowed when '{needed}' are specified.",
            param=name,
            code="invalid_value",
        )


def _specs(definitions: list[tuple[str, Any]], param: str) -> list[ToolSpec]:
    if not definitions:
        raise InvalidRequestError(
            f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.",
            param=param,
            code="empty_array",
        )
    specs = []
    for index, (kind, function) in enumerate(definitions):
        where = f"{param}[{index}]" + (".function" if param == "tools" else "")
        if kind != "function":
            raise InvalidRequestError(
                f"Invalid value: '{kind}'. Supported values are: 'function'.",
                param=f"{param}[{index}].type",
                code="invalid_value",
            )
        if not _NAME.match(function.name):
            raise InvalidRequestError(
                f"Invalid '{where}.name': string does not match pattern. Expected a string that matches the "
                f"pattern '{_NAME.pattern}'.",
                param=f"{where}.name",
                code="invalid_value",
            )
        if function.strict and function.parameters is not None:
            try:
                check_strict(function.parameters)
            except SchemaError as exc:
                raise schema_error(
                    "function",
                    function.name,
                    exc,
                    param=f"{where}.parameters",
                    code="invalid_function_parameters",
                ) from None
        specs.append(ToolSpec(function.name, function.description or "", function.parameters))
    return specs


def _tool_choice(choice: object, specs: list[ToolSpec]) -> tuple[str, str | None, list[ToolSpec]]:
    if choice is None:
        return "auto", None, specs
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise InvalidRequestError(
                f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                param="tool_choice",
                code="invalid_value",
            )
        return choice, None, specs
    assert isinstance(choice, dict)
    if choice.get("type") == "allowed_tools":  # a subset of the tools, in auto or required mode
        allowed = choice.get("allowed_tools") or {}
        names = [
            _function_name(t, "tool_choice.allowed_tools.tools", specs) for t in allowed.get("tools", [])
        ]
        mode = allowed.get("mode", "auto")
        if mode not in ("auto", "required") or not names:
            raise InvalidRequestError(
                "Invalid 'tool_choice.allowed_tools': expected a mode of 'auto' or 'required' and at least "
                "one tool.",
                param="tool_choice.allowed_tools",
                code="invalid_value",
            )
        return mode, None, [s for s in specs if s.name in names]
    return "named", _function_name(choice, "tool_choice", specs), specs


def _function_name(choice: dict, param: str, specs: list[ToolSpec]) -> str:
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if choice.get("type") != "function" or not isinstance(name, str):
        raise InvalidRequestError(
            f"Invalid '{param}': expected an object of the form "
            '{"type": "function", "function": {"name": "..."}}.',
            param=param,
            code="invalid_value",
        )
    _known(name, specs, param, "tools")
    return name


def _function_call(choice: object, specs: list[ToolSpec]) -> tuple[str, str | None]:
    if choice is None or choice in ("none", "auto"):
        return str(choice or "auto"), None
    name = choice.get("name") if isinstance(choice, dict) else None
    if not isinstance(name, str):
        raise InvalidRequestError(
            "Invalid 'function_call': expected 'none', 'auto' or an object with a 'name'.",
            param="function_call",
            code="invalid_value",
        )
    _known(name, specs, "function_call", "functions")
    return "named", name


def _known(name: str, specs: list[ToolSpec], param: str, where: str) -> None:
    if all(spec.name != name for spec in specs):
        raise InvalidRequestError(
            f"Invalid value for '{param}': no function named '{name}' was specified in the '{where}' "
            "parameter.",
            param=param,
            code="invalid_value",
        )
