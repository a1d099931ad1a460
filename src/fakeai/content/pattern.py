"""Strings that match a regular expression, for JSON Schema's ``pattern`` (best effort).

The expression is parsed with the standard library's own regex parser and walked: literals are copied,
classes draw a member, repeats draw a count (at most a few beyond the minimum, so strings stay short),
alternatives draw a branch. Lookarounds and anchors are skipped while generating, so the result is
re-checked (``matching`` does) and given up with ``PatternError`` after a few draws.

Every step is bounded, since a pattern is user input: a repeat count above ``MAX_REPEAT`` (RE2's and Go's
limit) or an expression that expands past ``_MAX_EXPANSION`` nodes is refused before anything is compiled
or generated; a generated string may not outgrow the caller's ``max_length``; and the re-check runs on the
``regex`` module with a deadline (the standard ``re`` cannot be interrupted, and ``^(.*a){30}$`` backtracks
for a minute there).
"""

from __future__ import annotations

import random
import re
import string
import time

import regex

try:  # the parser behind ``re`` itself; public as ``sre_parse`` before 3.11 and private since
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a Python that reshaped re's internals
    _p = _c = None

#: How far beyond its minimum an open repeat (``*``, ``+``, ``{2,}``) may go.
_EXTRA_REPEATS = 3
_ATTEMPTS = 12
#: The largest count a repeat may name (``a{1000}``), as RE2 and Go's regexp allow.
MAX_REPEAT = 1000
#: Parsed nodes with repeats multiplied out (``(a{100}){100}`` is 10,000): what compiling costs.
_MAX_EXPANSION = 20_000
#: Seconds all re-checks of one ``matching`` or ``search`` call may take together.
_MATCH_BUDGET_S = 0.05
_PRINTABLE = string.ascii_letters + string.digits + " -_.,:;!?@#/"
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "_- ",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": " -.,:;!?@#/",
}


class PatternError(ValueError):
    """The pattern could not be parsed or no matching string was found."""


class _TooLong(Exception):
    """A draw outgrew the longest string allowed."""


def matching(pattern: str, rng: random.Random, min_length: int = 0, max_length: int | None = None) -> str:
    """A string ``pattern`` matches (searched, as JSON Schema does), with ``min_length <= len(s) <=
    max_length``. Raises PatternError when the pattern is invalid, too large, or no draw fits."""
    if _p is None:
        raise PatternError("pattern generation is unavailable on this Python")
    tree, compiled = _parsed(pattern)
    deadline = time.perf_counter() + _MATCH_BUDGET_S
    for _ in range(_ATTEMPTS):
        try:
            text = _Walker(rng, max_length).emit(tree)
        except _TooLong:
            continue
        fits = min_length <= len(text) and (max_length is None or len(text) <= max_length)
        if fits and _search(compiled, text, deadline):
            return text
    raise PatternError(f"no string of the allowed length matching {pattern!r} was found")


def search(pattern: str, text: str) -> bool:
    """``pattern`` found in ``text`` (``patternProperties`` keys), bounded as ``matching`` is."""
    _, compiled = _parsed(pattern)
    return _search(compiled, text, time.perf_counter() + _MATCH_BUDGET_S)


def _parsed(pattern: str) -> tuple[object, regex.Pattern]:
    try:
        tree = _p.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise PatternError(f"invalid pattern {pattern!r}: {exc}") from None
    if _expansion(tree) > _MAX_EXPANSION:
        raise PatternError(f"the pattern {pattern!r} is too large to match (its repeats multiply out past "
                           f"{_MAX_EXPANSION} elements)")  # fmt: skip
    try:
        return tree, regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError) as exc:
        raise PatternError(f"invalid pattern {pattern!r}: {exc}") from None


def _search(compiled: regex.Pattern, text: str, deadline: float) -> bool:
    try:
        return compiled.search(text, timeout=max(deadline - time.perf_counter(), 0.001)) is not None
    except TimeoutError:
        raise PatternError(
            f"the pattern {compiled.pattern!r} is too complex to match in bounded time"
        ) from None


def _expansion(items: object, depth: int = 0) -> int:
    """Nodes of ``items`` with every repeat multiplied out; refuses counts above ``MAX_REPEAT``."""
    total = 0
    for op, arg in items:  # type: ignore[attr-defined]
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            count = low if high == _c.MAXREPEAT else high
            if count > MAX_REPEAT:
                raise PatternError(f"a repeat count of {count} exceeds the limit of {MAX_REPEAT}")
            total += max(count, 1) * _expansion(body, depth + 1)
        elif name == "SUBPATTERN":
            total += 1 + _expansion(arg[3], depth + 1)
        elif name == "BRANCH":
            total += 1 + sum(_expansion(branch, depth + 1) for branch in arg[1])
        elif name in ("ASSERT", "ASSERT_NOT"):
            total += 1 + _expansion(arg[1], depth + 1)
        elif name == "ATOMIC_GROUP":
            total += 1 + _expansion(arg, depth + 1)
        else:
            total += 1
        if total > _MAX_EXPANSION:
            return total
    return total


class _Walker:
    def __init__(self, rng: random.Random, max_length: int | None = None) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}
        #: Characters one draw may emit: past it the draw cannot fit, so it stops (a long ``\\w{1000}`` in a
        #: repeat would otherwise build its whole length first).
        self.room = max_length + 64 if max_length is not None else None

    def emit(self, items: object) -> str:
        return "".join(self._item(op, arg) for op, arg in items)  # type: ignore[attr-defined]

    def _spend(self, text: str) -> str:
        if self.room is not None:
            self.room -= len(text)
            if self.room < 0:
                raise _TooLong
        return text

    def _item(self, op: object, arg: object) -> str:
        rng = self.rng
        name = str(op)
        if name == "LITERAL":
            return self._spend(chr(arg))  # type: ignore[arg-type]
        if name == "NOT_LITERAL":
            return self._spend(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
        if name == "ANY":
            return self._spend(rng.choice(string.ascii_letters))
        if name == "IN":
            return self._spend(self._member(arg))  # type: ignore[arg-type]
        if name == "BRANCH":
            return self.emit(rng.choice(arg[1]))  # type: ignore[index]
        if name == "SUBPATTERN":
            group, _, _, body = arg  # type: ignore[misc]
            text = self.emit(body)
            if group is not None:
                self.groups[group] = text
            return text
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg  # type: ignore[misc]
            high = min(high, low + _EXTRA_REPEATS) if high != _c.MAXREPEAT else low + _EXTRA_REPEATS
            return "".join(self.emit(body) for _ in range(rng.randint(low, high)))
        if name == "GROUPREF":
            return self._spend(self.groups.get(arg, ""))  # type: ignore[arg-type]
        if name == "ATOMIC_GROUP":
            return self.emit(arg)
        return ""  # AT (anchors), ASSERT, ASSERT_NOT: nothing to emit; the final search decides

    def _member(self, items: list[tuple[object, object]]) -> str:
        allowed: list[str] = []
        negate = False
        for op, arg in items:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                allowed.append(chr(arg))  # type: ignore[arg-type]
            elif name == "RANGE":
                low, high = arg  # type: ignore[misc]
                allowed.extend(chr(c) for c in range(low, min(high, low + 256) + 1))
            elif name == "CATEGORY":
                allowed.extend(_CATEGORIES.get(str(arg), ""))
        if negate:
            excluded = set(allowed)
            allowed = [c for c in _PRINTABLE if c not in excluded]
        if not allowed:
            raise PatternError("a character class matches nothing printable")
        return self.rng.choice(allowed)
