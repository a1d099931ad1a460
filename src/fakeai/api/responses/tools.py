"""Responses ``tools`` and ``tool_choice``, read into chat's (api/chat/tools.py decides the calls, so an
agent loop ends exactly as it does on chat) plus the simulated built-in tools.

Function tools are flat here (``{"type": "function", "name", "parameters", "strict"}``) and nested on
chat; built-in tools the server simulates are listed in ``BUILT_IN``; any other type is a 400 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeai.api.chat.protocol import FunctionDefinition, Tool
from fakeai.errors import InvalidRequestError

WEB_SEARCH = ("web_search", "web_search_2025_08_26", "web_search_preview", "web_search_preview_2025_03_11")
FILE_SEARCH = ("file_search",)
#: Built-in tool types simulated by this server (docs/responses.md says what each returns).
BUILT_IN = (*WEB_SEARCH, *FILE_SEARCH)


@dataclass(slots=True)
class ResponseTools:
    """The request's tools as chat reads them, and which built-ins are on."""

    functions: list[Tool] = field(default_factory=list)
    #: chat's ``tools[i]`` -> this request's ``tools[j]`` (for the ``param`` of chat's 400s).
    positions: list[int] = field(default_factory=list)
    web_search: dict[str, Any] | None = None
    file_search: tuple[int, dict[str, Any]] | None = None  # (its position in tools, the tool)
    #: chat's ``tool_choice`` (None: auto), and whether a built-in is forced.
    choice: str | dict[str, Any] | None = None
    forced: str | None = None
    #: ``tool_choice: "none"``: no tool at all, built-in or not.
    refused: bool = False

    def searches(self, answers_in_text: bool) -> bool:
        """Whether this response runs a (simulated) web search: forced, or offered, not refused, and the
        planner called no function."""
        if self.web_search is None or self.refused:
            return False
        return self.forced == "web_search" or answers_in_text

    @property
    def searches_files(self) -> bool:
        """Whether the files are searched (before generating, so the model reads what was found): forced,
        or offered and not refused while no function is offered."""
        if self.file_search is None or self.refused:
            return False
        return self.forced == "file_search" or not self.functions


def read_tools(tools: list[dict[str, Any]] | None, choice: str | dict[str, Any] | None) -> ResponseTools:
    result = ResponseTools()
    for index, tool in enumerate(tools or ()):
        kind = tool.get("type")
        if kind == "function":
            name = tool.get("name")
            if not isinstance(name, str):
                raise InvalidRequestError(
                    f"Missing required parameter: 'tools[{index}].name'.",
                    param=f"tools[{index}].name",
                    code="missing_required_parameter",
                )
            definition = FunctionDefinition(
                name, tool.get("description"), tool.get("parameters"), tool.get("strict")
            )
            result.functions.append(Tool(definition))
            result.positions.append(index)
        elif kind in WEB_SEARCH:
            result.web_search = tool
        elif kind in FILE_SEARCH:
            result.file_search = (index, tool)
        else:
            simulated = ", ".join(f"'{t}'" for t in ("function", *BUILT_IN))
            raise InvalidRequestError(
                f"The tool type '{kind}' is not supported by this server: FakeAI simulates {simulated}.",
                param=f"tools[{index}].type",
                code="unsupported_value",
            )
    result.choice, result.forced = _choice(choice, result)
    result.refused = choice == "none"
    return result


def _choice(choice: str | dict[str, Any] | None, tools: ResponseTools) -> tuple[Any, str | None]:
    if choice is None or isinstance(choice, str):
        if (
            choice is not None
            and not tools.functions
            and tools.web_search is None
            and tools.file_search is None
        ):
            raise InvalidRequestError(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param="tool_choice",
                code="invalid_value",
            )
        if choice == "required" and not tools.functions:
            return None, "web_search" if tools.web_search is not None else "file_search"
        return (choice if tools.functions else None), None
    kind = choice.get("type")
    if kind == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}, None
    if kind == "allowed_tools":
        named = [
            {"type": "function", "function": {"name": t.get("name")}}
            for t in choice.get("tools", [])
            if t.get("type") == "function"
        ]
        return {
            "type": "allowed_tools",
            "allowed_tools": {"mode": choice.get("mode", "auto"), "tools": named},
        }, None
    if kind in FILE_SEARCH:
        if tools.file_search is None:
            raise InvalidRequestError(
                f"Tool choice '{kind}' not found in 'tools' parameter.",
                param="tool_choice",
                code="invalid_value",
            )
        return "none", "file_search"
    if kind in WEB_SEARCH:
        if tools.web_search is None:
            raise InvalidRequestError(
                f"Tool choice '{kind}' not found in 'tools' parameter.",
                param="tool_choice",
                code="invalid_value",
            )
        return "none", "web_search"  # the search, then the answer: no function call this turn
    raise InvalidRequestError(
        f"Invalid value for 'tool_choice': the tool type '{kind}' is not supported by this server.",
        param="tool_choice.type",
        code="unsupported_value",
    )
