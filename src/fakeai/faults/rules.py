"""Fault rules: a match, an action and a trigger (see docs/faults.md).

```yaml
faults:
  - id: flaky
    match: {path: /v1/chat/completions, model: "gpt-4o*"}   # also: method, project, key_id, header
    action: {status: 503}               # or latency_ms, ttft_ms, cut_after_chunks, cut_after_ms,
                                        # stall_after_chunks + stall_ms, malformed_after_chunks, reset
    trigger: {sequence: [429, 429, 200]}  # or probability (+ seed), first, every, after; none: always
```

A rule counts the requests it matches; the trigger decides from that count (or its own seeded RNG)
whether this one is hit. ``Faults.pick`` returns the first rule that fires, as an ``Action``. The
``x-fakeai-fault`` request header (``status=503``, ``cut_after_chunks=5,provider=anthropic``) gives one
request an action of its own, without a rule.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

FAULT_HEADER = "x-fakeai-fault"
PROVIDERS = ("openai", "anthropic", "vllm")
#: Rules kept at most (each costs a match per request).
MAX_RULES = 256


@dataclass(frozen=True, slots=True)
class Action:
    """What happens to a hit request. Times in milliseconds; chunk counts are SSE ``data:`` events."""

    status: int | None = None  # an HTTP error with this status (OpenAI's body, or ``provider``'s)
    message: str | None = None
    type: str | None = None
    code: str | None = None
    provider: str = "openai"
    retry_after_ms: float | None = None  # retry-after(-ms) on the error
    latency_ms: float | None = None  # added before the request is handled
    ttft_ms: float | None = None  # added before the first chunk (a stream) or the answer
    cut_after_chunks: int | None = None  # a stream ends (no [DONE]) after this many chunks
    cut_after_ms: float | None = None  # ... or this long after it started
    stall_after_chunks: int | None = None  # a stream pauses after this many chunks ...
    stall_ms: float | None = None  # ... for this long
    malformed_after_chunks: int | None = None  # a broken JSON chunk is sent after this many chunks
    reset: bool = False  # the connection is dropped (mid-stream: after reset_after_chunks)
    reset_after_chunks: int | None = None
    rule: str = "header"  # which rule injected it (metrics, log, journal)

    def __post_init__(self) -> None:
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), not {self.status}")
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, not {self.provider!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{f.name} must not be negative")
        if not self.kind:
            raise ValueError(
                "an action needs status, latency_ms, ttft_ms, a cut, a stall, malformed or reset"
            )

    @property
    def kind(self) -> str:
        """The metrics label: what this action does (the first that applies)."""
        if self.status is not None and self.status >= 400:
            return "error"
        if self.reset:
            return "reset"
        for name, label in (
            ("cut_after_chunks", "cut"),
            ("cut_after_ms", "cut"),
            ("stall_after_chunks", "stall"),
            ("malformed_after_chunks", "malformed"),
            ("latency_ms", "latency"),
            ("ttft_ms", "ttft"),
        ):
            if getattr(self, name) is not None:
                return label
        return ""

    @property
    def streams(self) -> bool:
        """Whether it acts inside a stream (else before the response)."""
        return self.kind in ("cut", "stall", "malformed") or (
            self.reset and self.reset_after_chunks is not None
        )

    @classmethod
    def parse(cls, data: Mapping[str, Any], rule: str = "header") -> Action:
        known = {f.name for f in fields(cls)} - {"rule"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown action field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**dict(data), rule=rule)

    @classmethod
    def from_header(cls, value: str) -> Action:
        """``status=503,retry_after_ms=20``: numbers, ``true``/``false`` and words as given."""
        data: dict[str, Any] = {}
        for part in value.replace(";", ",").split(","):
            name, sep, raw = part.strip().partition("=")
            if not sep:
                if name:
                    data[name] = True  # "reset"
                continue
            data[name.strip()] = _scalar(raw.strip())
        return cls.parse(data)


def _scalar(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


@dataclass(frozen=True, slots=True)
class Match:
    """Every given field must match; ``path`` and ``model`` are shell patterns (``/v1/*``, ``gpt-4o*``)."""

    path: str | None = None
    method: str | None = None
    model: str | None = None
    project: str | None = None
    key_id: str | None = None
    header: Mapping[str, str] = field(default_factory=dict)  # name (lower case) -> value (exact)

    def __call__(self, request: FaultContext) -> bool:
        if self.path is not None and not fnmatch.fnmatchcase(request.path, self.path):
            return False
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.model is not None and (
            request.model is None or not fnmatch.fnmatchcase(request.model, self.model)
        ):
            return False
        if self.project is not None and request.project != self.project:
            return False
        if self.key_id is not None and request.key_id != self.key_id:
            return False
        return all(request.header(name.lower()) == value for name, value in self.header.items())


@dataclass(slots=True)
class Trigger:
    """Which matching requests are hit (``count`` is the request's 0-based index among them): all; the
    first N; every Kth; all after the first N; with a probability (seeded); or by a ``sequence`` of
    statuses, one per request (2xx: no fault), then none (or again from the start with ``repeat``)."""

    probability: float | None = None
    seed: int | None = None
    first: int | None = None
    every: int | None = None
    after: int | None = None
    sequence: list[int] | None = None
    repeat: bool = False
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        if self.every is not None and self.every < 1:
            raise ValueError("every must be at least 1")
        if self.sequence is not None and not all(
            isinstance(s, int) and 100 <= s <= 599 for s in self.sequence
        ):
            raise ValueError("sequence must be a list of HTTP statuses, such as [429, 429, 200]")
        self.rng = random.Random(self.seed)

    def status(self, count: int) -> int | bool | None:
        """True: hit with the action as it is; an int: hit with that status (a sequence); False: not hit."""
        if self.first is not None and count >= self.first:
            return False
        if self.after is not None and count < self.after:
            return False
        if self.every is not None and (count + 1) % self.every:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        if self.sequence is not None:
            if not self.sequence or (count >= len(self.sequence) and not self.repeat):
                return False
            status = self.sequence[count % len(self.sequence)]
            return False if status < 400 else status
        return True


@dataclass(slots=True)
class FaultContext:
    method: str
    path: str
    model: str | None
    project: str
    key_id: str | None
    header: Callable[[str], str | None]


@dataclass(slots=True)
class Rule:
    id: str
    match: Match
    action: Action
    trigger: Trigger
    seen: int = 0  # requests matched so far
    hits: int = 0

    def describe(self) -> dict[str, Any]:
        trigger = {k: v for k, v in asdict(self.trigger).items() if k != "rng" and v not in (None, False)}
        action = {k: v for k, v in asdict(self.action).items() if k != "rule" and v not in (None, False)}
        match = {k: v for k, v in asdict(self.match).items() if v}
        action["provider"] = self.action.provider
        return {"id": self.id, "match": match, "action": action, "trigger": trigger, "seen": self.seen,
                "hits": self.hits}  # fmt: skip


def parse_rule(data: Mapping[str, Any], default_id: str) -> Rule:
    unknown = set(data) - {"id", "match", "action", "trigger"}
    if unknown:
        raise ValueError(f"unknown rule field(s) {sorted(unknown)}; known: id, match, action, trigger")
    rule_id = str(data.get("id") or default_id)
    match, trigger = data.get("match") or {}, data.get("trigger") or {}
    if not isinstance(match, Mapping) or not isinstance(trigger, Mapping) or "rng" in trigger:
        raise ValueError("match and trigger must be mappings")
    try:
        header = {str(k).lower(): str(v) for k, v in (match.get("header") or {}).items()}
        parsed_match = Match(**{**match, "header": header})
        parsed_trigger = Trigger(**trigger)
    except TypeError as exc:
        raise ValueError(f"rule {rule_id}: {exc}") from None
    action_data = dict(data.get("action") or {})
    if parsed_trigger.sequence is not None:
        action_data.setdefault("status", 500)  # the sequence's statuses replace it, request by request
    return Rule(rule_id, parsed_match, Action.parse(action_data, rule=rule_id), parsed_trigger)


class Faults:
    """The rules of one app; replaced whole at run time (``set_rules``), so a request sees either the old
    set or the new one. ``injected`` counts hits per (rule, kind) for the metrics."""

    def __init__(self, rules: list[Mapping[str, Any]], header: bool) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.rules: tuple[Rule, ...] = ()
        self.header = header
        self.injected: dict[tuple[str, str], int] = {}
        self.set_rules([*rules])

    def set_rules(self, rules: list[Mapping[str, Any]]) -> list[Rule]:
        """Replace every rule (ValueError, and nothing changed, if one is malformed)."""
        parsed = [parse_rule(r, f"rule-{next(self._ids)}") for r in rules]
        if len(parsed) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} fault rules")
        ids = [r.id for r in parsed]
        if len(set(ids)) != len(ids):
            raise ValueError("fault rule ids must be unique")
        self.rules = tuple(parsed)
        return parsed

    def add(self, rule: Mapping[str, Any]) -> Rule:
        with self._lock:
            new = parse_rule(rule, f"rule-{next(self._ids)}")
            if any(r.id == new.id for r in self.rules):
                raise ValueError(f"a fault rule {new.id!r} exists already")
            if len(self.rules) >= MAX_RULES:
                raise ValueError(f"at most {MAX_RULES} fault rules")
            self.rules = (*self.rules, new)
            return new

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = tuple(r for r in self.rules if r.id != rule_id)
            found = len(kept) != len(self.rules)
            self.rules = kept
            return found

    def pick(self, request: FaultContext) -> Action | None:
        """The action for this request, if any rule (or its own header) fires; counted when it does."""
        action = None
        if self.header:
            given = request.header(FAULT_HEADER)
            if given:
                action = Action.from_header(given)  # ValueError: the caller answers 400
        if action is None:
            for rule in self.rules:
                if not rule.match(request):
                    continue
                fired = rule.trigger.status(rule.seen)
                rule.seen += 1
                if fired is False:
                    continue
                rule.hits += 1
                action = rule.action if fired is True else replace(rule.action, status=int(fired))
                break
        if action is not None:
            key = (action.rule, action.kind)
            self.injected[key] = self.injected.get(key, 0) + 1
        return action

    def reset_counts(self) -> None:
        self.injected.clear()
        for rule in self.rules:
            rule.seen = rule.hits = 0
