"""Input items: read (with 400s naming ``input[i]...``), normalized to the item objects OpenAI stores and
lists, and rendered as chat messages, so chat's prompt accounting counts them (api/chat/prompt.py).

Normalized items are what ``input_items`` and conversations return and what later turns replay: the
same history always renders to the same messages, hence the same prompt tokens, which is what lets a
``previous_response_id`` chain hit the engine's prefix cache turn after turn.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from fakeai.api.chat.protocol import (
    AssistantMessage,
    ContentPart,
    DeveloperMessage,
    FilePart,
    FileRef,
    FunctionCall,
    ImagePart,
    ImageURL,
    Message,
    RefusalPart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from fakeai.errors import InvalidRequestError

Item = dict[str, Any]

_ROLES = ("user", "system", "developer", "assistant")
#: Item types that carry no text for the model here (their results were simulated in their own turn).
_PASSIVE = ("reasoning", "web_search_call", "file_search_call")
_TYPES = ("message", "function_call", "function_call_output", "item_reference", *_PASSIVE)


def new_id(prefix: str) -> str:
    """An OpenAI-looking item id: ``msg_``, ``fc_``, ``rs_`` ... and 48 hex digits."""
    return prefix + secrets.token_hex(24)


def references(raw: str | list[dict[str, Any]] | None) -> list[str]:
    """The ids of the ``item_reference`` items of an input (looked up in the store before ``normalize``)."""
    if not isinstance(raw, list):
        return []
    return [str(item.get("id")) for item in raw if item.get("type") == "item_reference"]


def normalize(raw: str | list[dict[str, Any]] | None, found: Mapping[str, Item] | None = None) -> list[Item]:
    """The request's ``input`` as item objects (with ids and statuses); ``found`` maps referenced ids to
    their stored items. 400s name the offending path."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [_message("user", [{"type": "input_text", "text": raw}])]
    items = []
    for index, item in enumerate(raw):
        where = f"input[{index}]"
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in _TYPES:
            raise InvalidRequestError(
                f"Invalid value: '{kind}'. Supported values are: "
                + ", ".join(f"'{t}'" for t in _TYPES)
                + ".",
                param=f"{where}.type",
                code="invalid_value",
            )
        if kind == "message":
            items.append(_input_message(item, where))
        elif kind == "function_call":
            call_id, name = _text(item, "call_id", where), _text(item, "name", where)
            arguments = _text(item, "arguments", where)
            items.append(
                _with_id(
                    item,
                    "fc_",
                    type="function_call",
                    call_id=call_id,
                    name=name,
                    arguments=arguments,
                    status="completed",
                )
            )
        elif kind == "function_call_output":
            call_id = _text(item, "call_id", where)
            output = item.get("output")
            if not isinstance(output, str | list):
                raise _missing(f"{where}.output")
            items.append(
                _with_id(
                    item,
                    "fco_",
                    type="function_call_output",
                    call_id=call_id,
                    output=output,
                    status="completed",
                )
            )
        elif kind == "item_reference":
            ref = item.get("id")
            if found is None or ref not in found:
                raise InvalidRequestError(
                    f"Item with id '{ref}' not found.", param=f"{where}.id", code="invalid_value"
                )
            items.append(found[ref])
        else:  # reasoning and built-in tool calls of an earlier turn: kept, not re-read by the model
            items.append(_with_id(item, {"reasoning": "rs_"}.get(kind, "ws_"), **item))
    return items


def _message(role: str, content: list[dict[str, Any]], id: str | None = None) -> Item:
    return {
        "id": id or new_id("msg_"),
        "type": "message",
        "status": "completed",
        "role": role,
        "content": content,
    }


def _with_id(item: Mapping[str, Any], prefix: str, **fields: Any) -> Item:
    given = item.get("id")
    return {"id": given if isinstance(given, str) and given else new_id(prefix), **fields}


def _input_message(item: Mapping[str, Any], where: str) -> Item:
    role = item.get("role")
    if role not in _ROLES:
        raise InvalidRequestError(
            f"Invalid value: '{role}'. Supported values are: 'user', 'system', 'developer', and 'assistant'.",
            param=f"{where}.role",
            code="invalid_value",
        )
    content = item.get("content")
    if isinstance(content, str):
        kind = "output_text" if role == "assistant" else "input_text"
        parts = [{"type": kind, "text": content}]
    elif isinstance(content, list):
        parts = [_part(part, role, f"{where}.content[{j}]") for j, part in enumerate(content)]
    else:
        raise _missing(f"{where}.content")
    if role == "assistant":
        parts = [{"annotations": [], "logprobs": [], **p} if p["type"] == "output_text" else p for p in parts]
    given = item.get("id")
    return _message(role, parts, given if isinstance(given, str) and given else None)


_PARTS = {
    "user": ("input_text", "input_image", "input_file"),
    "system": ("input_text",),
    "developer": ("input_text",),
    "assistant": ("output_text", "refusal", "input_text"),
}


def _part(part: Any, role: str, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    allowed = _PARTS[role]
    if kind not in allowed:
        raise InvalidRequestError(
            f"Invalid value: '{kind}'. Supported values for role '{role}' are: "
            + ", ".join(f"'{t}'" for t in allowed)
            + ".",
            param=f"{where}.type",
            code="invalid_value",
        )
    if kind in ("input_text", "output_text"):
        _text(part, "text", where)
    elif kind == "refusal":
        _text(part, "refusal", where)
    elif kind == "input_image":
        if not isinstance(part.get("image_url") or part.get("file_id"), str):
            raise _missing(f"{where}.image_url")
        return {"detail": "auto", **part}
    elif kind == "input_file" and not any(
        isinstance(part.get(k), str) for k in ("file_id", "file_data", "file_url")
    ):
        raise _missing(f"{where}.file_id")
    return dict(part)


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise _missing(f"{where}.{key}")
    return value


def _missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


# -- items as chat messages ---------------------------------------------------------------------------------
def messages(items: Iterable[Item]) -> list[Message]:
    """The chat messages the model reads for these items (consecutive calls form one assistant turn)."""
    result: list[Message] = []
    for item in items:
        kind = item["type"]
        if kind == "message":
            result.append(_chat_message(item))
        elif kind == "function_call":
            call = ToolCall(item["call_id"], FunctionCall(item["name"], item["arguments"]))
            last = result[-1] if result else None
            if isinstance(last, AssistantMessage) and last.tool_calls and last.content is None:
                last.tool_calls.append(call)
            else:
                result.append(AssistantMessage(tool_calls=[call]))
        elif kind == "function_call_output":
            result.append(ToolMessage(output_text(item["output"]), item["call_id"]))
    return result


def output_text(output: str | list[Any]) -> str:
    """A tool output's text (a list of parts: their texts, one per line)."""
    if isinstance(output, str):
        return output
    return "\n".join(p.get("text", "") for p in output if isinstance(p, dict))


def _chat_message(item: Item) -> Message:
    role, content = item["role"], item["content"]
    if role == "assistant":
        text = "".join(p.get("text") or p.get("refusal") or "" for p in content)
        return AssistantMessage(content=text)
    texts = "\n".join(p["text"] for p in content if p["type"] == "input_text")
    if role == "system":
        return SystemMessage(texts)
    if role == "developer":
        return DeveloperMessage(texts)
    parts: list[ContentPart] = []
    for part in content:
        kind = part["type"]
        if kind == "input_text":
            parts.append(TextPart(part["text"]))
        elif kind == "input_image":
            detail = part.get("detail")
            url = part.get("image_url") or f"file:{part.get('file_id')}"  # a file's image counts as remote
            parts.append(ImagePart(ImageURL(url, detail if detail in ("low", "high") else "auto")))
        elif kind == "input_file":
            ref = FileRef(
                part.get("file_id") or part.get("file_url"), part.get("file_data"), part.get("filename")
            )
            parts.append(FilePart(ref))
        elif kind == "refusal":
            parts.append(RefusalPart(part["refusal"]))
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return UserMessage(parts[0].text)
    return UserMessage(parts)
