"""An Anthropic request read as the chat request it means, so that one generation core serves both.

The translation keeps what the prompt says and costs: text, images and documents become chat content
parts (counted by chat/prompt.py), ``tool_use`` blocks become assistant tool calls, ``tool_result`` blocks
tool messages (so the tool planner ends an agent loop after the results come back), ``tools`` and
``tool_choice`` their chat forms, ``output_config.format`` a ``response_format``. Thinking blocks of
earlier turns are left out, as Anthropic strips them from the context. Each ``cache_control`` marker is
recorded as a ``Breakpoint``: where in the translated conversation a cached prefix ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakeai.api.chat import protocol as chat
from fakeai.api.messages import protocol as wire
from fakeai.errors import InvalidRequestError

#: Anthropic's cache tiers; a marker without ``ttl`` is the 5-minute one.
TTLS = ("5m", "1h")


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A cached prefix's end: the tools up to ``tools`` (then no message), or ``messages`` whole chat
    messages plus the first ``parts`` content parts of the next one."""

    tools: int = 0
    messages: int = 0
    parts: int = 0
    ttl: str = "5m"


@dataclass(slots=True)
class Translation:
    request: chat.ChatCompletionRequest
    breakpoints: list[Breakpoint] = field(default_factory=list)


def translate(request: wire.CountTokensRequest, *, max_tokens: int | None = None) -> Translation:
    """The chat request of ``request``; 400 for what Anthropic would refuse and chat would not see."""
    translation = Translation(chat.ChatCompletionRequest(model=request.model, messages=[]))
    messages: list[chat.Message] = []
    breakpoints = translation.breakpoints
    tools = _tools(request.tools, breakpoints)
    if request.system:
        parts: list[chat.ContentPart] = []
        for block in [wire.TextBlock(request.system)] if isinstance(request.system, str) else request.system:
            parts.append(chat.TextPart(block.text))
            _mark(block.cache_control, breakpoints, len(messages), len(parts), "system")
        messages.append(chat.SystemMessage(parts))
    if not request.messages:
        raise InvalidRequestError("messages: at least one message is required", param="messages")
    for index, message in enumerate(request.messages):
        if message.role == "user":
            _user(message, index, messages, breakpoints)
        else:
            _assistant(message, index, messages, breakpoints)
    if request.cache_control is not None and messages:  # automatic caching: the last cacheable block
        last = messages[-1]
        count = len(last.content) if isinstance(last.content, list) else 1
        breakpoints.append(
            Breakpoint(messages=len(messages) - 1, parts=count, ttl=_ttl(request.cache_control))
        )
    result = translation.request
    result.messages = messages
    result.tools = tools
    result.max_tokens = max_tokens
    if tools is not None:
        result.tool_choice, result.parallel_tool_calls = _tool_choice(request.tool_choice, tools)
    elif request.tool_choice is not None and request.tool_choice.get("type") != "none":
        raise InvalidRequestError(
            "tool_choice: may only be specified while providing tools", param="tool_choice"
        )
    result.response_format = _response_format(request.output_config)
    return translation


def _ttl(cache_control: dict[str, Any]) -> str:
    if cache_control.get("type") != "ephemeral":
        raise InvalidRequestError("cache_control.type: Input should be 'ephemeral'", param="cache_control")
    ttl = cache_control.get("ttl", "5m")
    if ttl not in TTLS:
        raise InvalidRequestError("cache_control.ttl: Input should be '5m' or '1h'", param="cache_control")
    return ttl


def _mark(
    cache_control: dict[str, Any] | None, breakpoints: list[Breakpoint], messages: int, parts: int, where: str
) -> None:
    if cache_control is None:
        return
    if len(breakpoints) >= 4:
        raise InvalidRequestError(
            f"{where}: A maximum of 4 blocks with cache_control may be provided. Found 5.",
            param="cache_control",
        )
    breakpoints.append(Breakpoint(messages=messages, parts=parts, ttl=_ttl(cache_control)))


def _tools(tools: list[wire.Tool] | None, breakpoints: list[Breakpoint]) -> list[chat.Tool] | None:
    if not tools:
        return None
    result = []
    for index, tool in enumerate(tools):
        if tool.cache_control is not None:
            breakpoints.append(Breakpoint(tools=index + 1, ttl=_ttl(tool.cache_control)))
        if tool.input_schema.get("type") != "object":
            raise InvalidRequestError(
                f"tools.{index}.custom.input_schema.type: Input should be 'object'", param="tools"
            )
        function = chat.FunctionDefinition(tool.name, tool.description, tool.input_schema, tool.strict)
        result.append(chat.Tool(function))
    return result


def _tool_choice(choice: dict[str, Any] | None, tools: list[chat.Tool]) -> tuple[Any, bool | None]:
    """Anthropic's ``tool_choice`` as chat's ``tool_choice`` and ``parallel_tool_calls``."""
    if choice is None:
        return None, None
    kind = choice.get("type")
    parallel = False if choice.get("disable_parallel_tool_use") else None
    if kind == "auto":
        return "auto", parallel
    if kind == "any":
        return "required", parallel
    if kind == "none":
        return "none", None
    if kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str) or all(t.function.name != name for t in tools):
            raise InvalidRequestError(
                f"tool_choice: Tool '{name}' not found in provided tools", param="tool_choice"
            )
        return {"type": "function", "function": {"name": name}}, parallel
    raise InvalidRequestError(
        "tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
        param="tool_choice",
    )


def _response_format(output_config: dict[str, Any] | None) -> dict[str, Any] | None:
    form = (output_config or {}).get("format")
    if form is None:
        return None
    if not isinstance(form, dict) or form.get("type") != "json_schema" or "schema" not in form:
        raise InvalidRequestError(
            "output_config.format: expected {'type': 'json_schema', 'schema': {...}}",
            param="output_config.format",
        )
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": form["schema"]}}


def _blocks(content: str | list[wire.Block]) -> list[wire.Block]:
    return [wire.TextBlock(content)] if isinstance(content, str) else content


def _user(
    message: wire.Message, index: int, messages: list[chat.Message], breakpoints: list[Breakpoint]
) -> None:
    """Tool results first (each a tool message, as chat has them), then the rest as one user message."""
    parts: list[chat.ContentPart] = []
    for number, block in enumerate(_blocks(message.content)):
        if isinstance(block, wire.ToolResultBlock):
            messages.append(chat.ToolMessage(_result_content(block), block.tool_use_id))
            _mark(block.cache_control, breakpoints, len(messages), 0, f"messages.{index}")
            continue
        if isinstance(block, wire.ToolUseBlock | wire.ThinkingBlock | wire.RedactedThinkingBlock):
            raise InvalidRequestError(
                f"messages.{index}.content.{number}.type: '{block.__struct_config__.tag}' blocks may only "
                "be in assistant messages",
                param=f"messages.{index}.content.{number}.type",
            )
        parts.extend(_parts(block))
        _mark(
            getattr(block, "cache_control", None), breakpoints, len(messages), len(parts), f"messages.{index}"
        )
    if parts or not messages or not isinstance(messages[-1], chat.ToolMessage):
        messages.append(chat.UserMessage(parts))


def _assistant(
    message: wire.Message, index: int, messages: list[chat.Message], breakpoints: list[Breakpoint]
) -> None:
    parts: list[chat.ContentPart] = []
    calls: list[chat.ToolCall] = []
    for number, block in enumerate(_blocks(message.content)):
        if isinstance(block, wire.ThinkingBlock | wire.RedactedThinkingBlock):
            continue  # stripped from the context of later turns
        if isinstance(block, wire.ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False, separators=(",", ":"))
            calls.append(chat.ToolCall(block.id, chat.FunctionCall(block.name, arguments)))
        elif isinstance(block, wire.TextBlock):
            parts.append(chat.TextPart(block.text))
        else:
            raise InvalidRequestError(
                f"messages.{index}.content.{number}.type: '{block.__struct_config__.tag}' blocks may only be "
                "in user messages",
                param=f"messages.{index}.content.{number}.type",
            )
        _mark(
            getattr(block, "cache_control", None), breakpoints, len(messages), len(parts), f"messages.{index}"
        )
    messages.append(chat.AssistantMessage(parts or None, tool_calls=calls or None))


def _result_content(block: wire.ToolResultBlock) -> chat.Content:
    if block.content is None or isinstance(block.content, str):
        return block.content or ""
    return [part for inner in block.content for part in _parts(inner)]


def _parts(block: wire.Block) -> list[chat.ContentPart]:
    """A text, image or document block as the chat parts that cost the same."""
    if isinstance(block, wire.TextBlock):
        return [chat.TextPart(block.text)]
    if isinstance(block, wire.ImageBlock):
        return [chat.ImagePart(chat.ImageURL(_image_url(block.source)))]
    assert isinstance(block, wire.DocumentBlock)
    parts: list[chat.ContentPart] = [chat.TextPart(t) for t in (block.title, block.context) if t]
    source = block.source
    if isinstance(source, wire.PlainTextSource):
        parts.append(chat.TextPart(source.data))
    elif isinstance(source, wire.ContentSource):
        inner = [wire.TextBlock(source.content)] if isinstance(source.content, str) else source.content
        parts.extend(part for item in inner for part in _parts(item))
    elif isinstance(source, wire.Base64Source):
        parts.append(chat.FilePart(chat.FileRef(file_data=f"data:{source.media_type};base64,{source.data}")))
    else:  # a URL or a stored file: not read, counted as one page (as chat counts a file_id)
        reference = source.url if isinstance(source, wire.URLSource) else source.file_id
        parts.append(chat.FilePart(chat.FileRef(file_id=reference)))
    return parts


def _image_url(source: wire.Base64Source | wire.URLSource | wire.FileSource) -> str:
    if isinstance(source, wire.Base64Source):
        return f"data:{source.media_type};base64,{source.data}"
    if isinstance(source, wire.URLSource):
        return source.url
    # A stored file is not read: it costs what a remote image does (content/images.py REMOTE_SIZE).
    return f"https://files.invalid/{source.file_id}"
