"""Scripted replies: a YAML or JSON list of rules, the first whose conditions all hold decides the reply.

```yaml
rules:
  - when: {model: "gpt-4*", message: "(?i)weather", tools: true, tool_results: false}
    tool_calls: [{name: get_weather, arguments: {city: Lisbon}}]
  - when: {message: "(?i)secret"}
    refusal: "I can't help with that."
  - when: {turn: 3}
    error: {status: 429, message: "Slow down", code: rate_limit_exceeded}
  - content: ["Hello!", "Hi there!"]   # no conditions: matches everything (a default)
```

Conditions: ``model`` (glob), ``model_regex``, ``message`` (regex searched in the last user message),
``turn`` (the number of user messages so far: an int or a list of ints), ``tools`` (the request declares
tools or functions), ``tool_results`` (the last message is a tool result). Replies: exactly one of
``content`` (a string, or a list one string of which is drawn per choice), ``refusal``, ``tool_calls``
(each a ``name`` and optional ``arguments``, an object or a JSON string; left out, they are generated from
the tool's schema) or ``error`` (``status``, ``message``, optional ``type``, ``code``, ``param``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_CONDITIONS = {"model", "model_regex", "message", "turn", "tools", "tool_results"}
_REPLIES = ("content", "refusal", "tool_calls", "error")


@dataclass(frozen=True, slots=True)
class Facts:
    """What rules can look at in a request."""

    model: str
    last_user_message: str
    turn: int
    has_tools: bool
    answers_tool_result: bool


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    name: str
    arguments: str | None  # JSON text; None: generate from the tool's schema


@dataclass(frozen=True, slots=True)
class Rule:
    number: int  # position in the file, for messages
    model: str | None = None
    model_regex: re.Pattern[str] | None = None
    message: re.Pattern[str] | None = None
    turns: tuple[int, ...] | None = None
    tools: bool | None = None
    tool_results: bool | None = None
    content: tuple[str, ...] = ()
    refusal: str | None = None
    tool_calls: tuple[ScriptedCall, ...] = ()
    error: dict[str, Any] = field(default_factory=dict)

    def matches(self, facts: Facts) -> bool:
        return (
            (self.model is None or fnmatch.fnmatchcase(facts.model, self.model))
            and (self.model_regex is None or self.model_regex.search(facts.model) is not None)
            and (self.message is None or self.message.search(facts.last_user_message) is not None)
            and (self.turns is None or facts.turn in self.turns)
            and (self.tools is None or self.tools == facts.has_tools)
            and (self.tool_results is None or self.tool_results == facts.answers_tool_result)
        )


def first_match(rules: list[Rule], facts: Facts) -> Rule | None:
    return next((rule for rule in rules if rule.matches(facts)), None)


def load_rules(path: Path) -> list[Rule]:
    """Parse a rules file (YAML, or JSON which YAML reads too). Raises ValueError naming the bad rule."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if isinstance(data, dict):
        data = data.get("rules")
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of rules (or a mapping with a 'rules' list)")
    return [_rule(number, raw) for number, raw in enumerate(data, 1)]


def _rule(number: int, raw: Any) -> Rule:
    def bad(why: str) -> ValueError:
        return ValueError(f"rule {number}: {why}")

    if not isinstance(raw, dict):
        raise bad("must be a mapping")
    when = raw.get("when") or {}
    unknown = set(when) - _CONDITIONS
    if unknown:
        raise bad(f"unknown condition(s) {sorted(unknown)}; known: {sorted(_CONDITIONS)}")
    replies = [key for key in _REPLIES if key in raw]
    if len(replies) != 1:
        raise bad(f"needs exactly one of {', '.join(_REPLIES)}")
    try:
        turn = when.get("turn")
        return Rule(
            number,
            model=when.get("model"),
            model_regex=re.compile(when["model_regex"]) if "model_regex" in when else None,
            message=re.compile(when["message"]) if "message" in when else None,
            turns=None if turn is None else tuple(turn) if isinstance(turn, list) else (int(turn),),
            tools=when.get("tools"),
            tool_results=when.get("tool_results"),
            content=_content(raw.get("content")),
            refusal=str(raw["refusal"]) if "refusal" in raw else None,
            tool_calls=tuple(_call(c) for c in raw.get("tool_calls") or ()),
            error=_error(raw.get("error")),
        )
    except (re.error, TypeError, ValueError, KeyError) as exc:
        raise bad(str(exc)) from None


def _content(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    options = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
    if not options:
        raise ValueError("'content' must not be an empty list")
    return options


def _call(raw: Any) -> ScriptedCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ValueError("each tool call needs a 'name'")
    arguments = raw.get("arguments")
    if arguments is not None and not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    return ScriptedCall(raw["name"], arguments)


def _error(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not isinstance(raw.get("status"), int) or not 400 <= raw["status"] <= 599:
        raise ValueError("'error' needs a 'status' between 400 and 599")
    return {"message": "Scripted error.", **raw}
