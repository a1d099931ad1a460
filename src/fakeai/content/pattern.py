"""Strings that match a regular expression, for JSON Schema's ``pattern`` (best effort).

The expression is parsed with the standard library's own regex parser and walked: literals are copied,
classes draw a member, repeats draw a count (at most a few beyond the minimum, so strings stay short),
alternatives draw a branch. Lookarounds and anchors are skipped while generating, so the caller re-checks
the result with ``re.search`` (``matching`` does) and gives up with ``PatternError`` after a few draws.
"""

from __future__ import annotations

import random
import re
import string

try:  # the parser behind ``re`` itself; public as ``sre_parse`` before 3.11 and private since
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a Python that reshaped re's internals
    _p = _c = None

#: How far beyond its minimum an open repeat (``*``, ``+``, ``{2,}``) may go.
_EXTRA_REPEATS = 3
_ATTEMPTS = 12
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


def matching(pattern: str, rng: random.Random, min_length: int = 0, max_length: int | None = None) -> str:
    """A string ``re.search(pattern, s)`` accepts, with ``min_length <= len(s) <= max_length``."""
    if _p is None:
        raise PatternError("pattern generation is unavailable on this Python")
    try:
        compiled = re.compile(pattern)
        tree = _p.parse(pattern)
    except re.error as exc:
        raise PatternError(f"invalid pattern {pattern!r}: {exc}") from exc
    for _ in range(_ATTEMPTS):
        text = _Walker(rng).emit(tree)
        fits = min_length <= len(text) and (max_length is None or len(text) <= max_length)
        if fits and compiled.search(text):
            return text
    raise PatternError(f"no string of the allowed length matching {pattern!r} was found")


class _Walker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}

    def emit(self, items: object) -> str:
        return "".join(self._item(op, arg) for op, arg in items)  # type: ignore[attr-defined]

    def _item(self, op: object, arg: object) -> str:
        rng = self.rng
        name = str(op)
        if name == "LITERAL":
            return chr(arg)  # type: ignore[arg-type]
        if name == "NOT_LITERAL":
            return rng.choice([c for c in _PRINTABLE if ord(c) != arg])
        if name == "ANY":
            return rng.choice(string.ascii_letters)
        if name == "IN":
            return self._member(arg)  # type: ignore[arg-type]
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
            return self.groups.get(arg, "")  # type: ignore[arg-type]
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
