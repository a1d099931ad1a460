"""A Responses request read as the chat request that generates it: chat's prompt accounting, tool
planner, structured outputs, reasoning budget and engine run then serve both APIs (one generation core).
Chat's 400s are renamed to the Responses fields they came from."""

from __future__ import annotations

from typing import Any

from fakeai.api.chat.protocol import ChatCompletionRequest, DeveloperMessage, Message
from fakeai.api.responses.protocol import CreateResponseRequest
from fakeai.api.responses.tools import ResponseTools
from fakeai.errors import FakeAIError, InvalidRequestError

INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
LOGPROBS = "message.output_text.logprobs"

#: chat's names -> the Responses field (longest first: prefixes of params and quoted in messages).
_RENAMES = (
    ("response_format.json_schema", "text.format"),
    ("response_format", "text.format"),
    ("max_completion_tokens", "max_output_tokens"),
    ("reasoning_effort", "reasoning.effort"),
    ("top_logprobs", "top_logprobs"),
    ("logprobs", "include"),
    ("messages", "input"),
)


def check_include(include: list[str] | None) -> set[str]:
    for index, value in enumerate(include or ()):
        if value not in INCLUDABLE:
            raise InvalidRequestError(
                f"Invalid value: '{value}'. Supported values are: "
                + ", ".join(f"'{v}'" for v in INCLUDABLE)
                + ".",
                param=f"include[{index}]",
                code="invalid_value",
            )
    return set(include or ())


def text_format(request: CreateResponseRequest) -> dict[str, Any] | None:
    """``text.format`` as chat's ``response_format`` (flat here, nested under ``json_schema`` there)."""
    fmt = request.text.format if request.text is not None else None
    if fmt is None or fmt.get("type") == "text":
        return None
    if fmt.get("type") != "json_schema":
        return fmt
    spec = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
    return {"type": "json_schema", "json_schema": spec}


def chat_request(
    request: CreateResponseRequest, context: list[Message], tools: ResponseTools, include: set[str]
) -> ChatCompletionRequest:
    messages: list[Message] = []
    if request.instructions:
        messages.append(DeveloperMessage(request.instructions))
    messages += context
    if not messages:
        raise InvalidRequestError(
            "Missing required parameter: 'input'.", param="input", code="missing_required_parameter"
        )
    functions = tools.functions or None
    logprobs = LOGPROBS in include
    return ChatCompletionRequest(
        model=request.model,
        messages=messages,
        max_completion_tokens=request.max_output_tokens,
        tools=functions,
        tool_choice=tools.choice if functions else None,
        parallel_tool_calls=request.parallel_tool_calls if functions else None,
        response_format=text_format(request),
        reasoning_effort=request.reasoning.effort if request.reasoning else None,
        temperature=request.temperature,
        top_p=request.top_p,
        seed=request.seed,
        stream=request.stream,
        logprobs=True if logprobs else None,
        top_logprobs=(request.top_logprobs or 0) if logprobs else None,
        user=request.user,
    )


def renamed(exc: FakeAIError, positions: list[int]) -> FakeAIError:
    """A chat error as the Responses API words it: ``messages`` is ``input``, ``tools[i].function.x``
    is ``tools[j].x`` (``positions`` maps chat's function index to the request's tool index), ..."""
    param, message = exc.param, exc.message
    if param and param.startswith("tools["):
        index, _, rest = param[len("tools[") :].partition("]")
        if index.isdigit() and int(index) < len(positions):
            param = f"tools[{positions[int(index)]}]" + rest.replace(".function", "", 1)
    for old, new in _RENAMES:
        if param and (param == old or param.startswith(old + ".") or param.startswith(old + "[")):
            param = new + param[len(old) :]
            break
    for old, new in _RENAMES:
        message = message.replace(f"'{old}'", f"'{new}'").replace(f" {old} ", f" {new} ")
    exc.param, exc.message = param, message
    exc.args = (message,)
    return exc
