"""``--response-mode`` and the ``x-fakeai-response-mode`` header: what the text of a reply says.

``prose`` (seeded prose), ``echo`` (the last user message), ``scripted`` (the first matching rule of
``response_file``, content/rules.py) or ``dataset`` (the recorded reply to the same conversation in
``response_file``, content/dataset.py). Scripted and dataset requests that match nothing fall back to the
usual behaviour (tools, structured output, prose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from fakeai.api.chat.protocol import ChatCompletionRequest, FunctionMessage, ToolMessage, UserMessage
from fakeai.api.chat.tools import last_user_text
from fakeai.content.dataset import RecordedReply, load_dataset, prompt_key
from fakeai.content.reloading import ReloadingFile
from fakeai.content.rules import Facts, Rule, first_match, load_rules
from fakeai.errors import FakeAIError, InvalidRequestError, ServerError, http_error
from fakeai.settings import Settings

MODE_HEADER = "x-fakeai-response-mode"
MODES = ("prose", "echo", "scripted", "dataset")


@dataclass(frozen=True, slots=True)
class Mode:
    """A request's response mode with what it drew from the file: the matching rule or recorded reply."""

    kind: str
    rule: Rule | None = None
    recorded: RecordedReply | None = None


#: The modes that draw nothing from a file, built once: a frozen dataclass costs a microsecond to make.
_PLAIN = {kind: Mode(kind) for kind in ("prose", "echo")}


class ResponseModes:
    """One app's modes: the default from settings and the response file, reloaded when it changes."""

    def __init__(self, settings: Settings) -> None:
        self.default = settings.response_mode
        path, interval = settings.response_file, settings.response_reload_ms / 1000.0
        self._rules = ReloadingFile(path, load_rules, interval) if path else None
        self._dataset = ReloadingFile(path, load_dataset, interval) if path else None

    async def resolve(self, request: ChatCompletionRequest, header: str | None) -> Mode:
        """The request's mode; raises the scripted error of a matching ``error`` rule."""
        kind = header.strip().lower() if header else self.default
        if kind not in MODES:
            raise InvalidRequestError(
                f"Invalid value for header '{MODE_HEADER}': '{header}'. Supported values are: "
                + ", ".join(f"'{m}'" for m in MODES) + ".",
                code="invalid_value",
            )  # fmt: skip
        if kind == "scripted":
            rule = first_match(await self._load(self._rules, kind), _facts(request))
            if rule is not None and rule.error:
                raise scripted_error(rule.error)
            return Mode(kind, rule=rule)
        if kind == "dataset":
            index = await self._load(self._dataset, kind)
            messages = msgspec.to_builtins(request.messages)
            return Mode(kind, recorded=index.get(prompt_key(messages)))
        return _PLAIN[kind]

    @staticmethod
    async def _load(source: ReloadingFile[Any] | None, kind: str) -> Any:
        if source is None:
            raise InvalidRequestError(
                f"The '{kind}' response mode needs a response file: start the server with --response-file.",
                code="invalid_value",
            )
        try:
            return await source.get()
        except ValueError as exc:
            raise ServerError(f"The response file cannot be used: {exc}") from None


def _facts(request: ChatCompletionRequest) -> Facts:
    return Facts(
        model=request.model,
        last_user_message=last_user_text(request),
        turn=sum(isinstance(m, UserMessage) for m in request.messages),
        has_tools=bool(request.tools or request.functions),
        answers_tool_result=isinstance(request.messages[-1], ToolMessage | FunctionMessage),
    )


def scripted_error(spec: dict[str, Any]) -> FakeAIError:
    """An error with the rule's status, in OpenAI's shape (type defaults to the status's usual type)."""
    status = spec["status"]
    error = http_error(status, str(spec["message"]))
    error.status = status  # type: ignore[misc]  # instance override: any status a rule names
    if "type" in spec:
        error.type = str(spec["type"])  # type: ignore[misc]
    error.param, error.code = spec.get("param"), spec.get("code")
    return error
