"""Reading a model's JSON as it streams, liberally and incrementally.

Models wrap JSON in prose or ``` fences, answer a bare array instead of the object asked for,
or stop mid-way. The scanner looks only at text it has not seen (a flush costs the same at the
end of a long answer as at its start) and reports each value that closes within a few levels,
with its path: `("ideas", 3)` is the fourth element of the "ideas" list of a top-level object,
`(3,)` the fourth element of a bare top-level array, `("title",)` a top-level member, `()` a
whole top-level value. Text outside JSON values (prose, fences) is skipped."""

import json
import re
from dataclasses import dataclass
from typing import Any

from app.inputs import storable

Path = tuple[str | int, ...]
# Inside a string only a quote or a backslash matters: skip the rest at C speed.
_PLAIN = re.compile(r'[^"\\]+')
_CLOSER = {"{": "}", "[": "]"}
_SCALAR_END = frozenset(",}] \t\r\n")


@dataclass
class _Container:
    closer: str  # "}" for an object, "]" for an array
    start: int
    index: int = 0  # arrays: the element being read
    key: str | None = None  # objects: the member being read
    expect_key: bool = True


class JsonScanner:
    """Feed text; get back (path, value) for each value that closed, `depth` levels deep at
    most (and each whole top-level value)."""

    def __init__(self, depth: int = 2) -> None:
        self.depth = depth
        self.buffer = ""
        self.pos = 0
        self.stack: list[_Container] = []
        self.string_start = -1  # the opening quote of the string being read
        self.escape = False
        self.scalar_start = -1  # a number, true, false or null being read

    def feed(self, text: str) -> list[tuple[Path, Any]]:
        """The values this text completed, decoded (pieces that only looked like JSON are
        left out)."""
        if not self.stack and self.string_start < 0:
            self.buffer, self.pos = self.buffer[self.pos :], 0  # nothing open: forget it
        self.buffer += text
        found = []
        for path, start, end in self._scan():
            try:
                found.append((path, _storable(json.loads(self.buffer[start:end]))))
            except ValueError:
                continue
        return found

    def _scan(self) -> list[tuple[Path, int, int]]:
        buffer, stack, closed = self.buffer, self.stack, []
        i, end = self.pos, len(self.buffer)
        while i < end:
            if self.string_start >= 0:
                if self.escape:  # the character after a backslash, whatever it is
                    self.escape = False
                    i += 1
                    continue
                plain = _PLAIN.match(buffer, i)
                if plain:
                    i = plain.end()
                    if i >= end:
                        break
                if buffer[i] == "\\":
                    self.escape = True
                else:  # the closing quote
                    start, self.string_start = self.string_start, -1
                    top = stack[-1]
                    if top.closer == "}" and top.expect_key:
                        top.key = _decode_key(buffer[start : i + 1])
                    else:
                        closed += self._done(start, i + 1)
                i += 1
                continue
            char = buffer[i]
            if not stack:
                if char in _CLOSER:
                    stack.append(_Container(_CLOSER[char], i))
                i += 1
                continue
            if self.scalar_start >= 0 and char in _SCALAR_END:
                closed += self._done(self.scalar_start, i)
                self.scalar_start = -1
            top = stack[-1]
            if char == '"':
                self.string_start = i
            elif char in _CLOSER:
                stack.append(_Container(_CLOSER[char], i))
            elif char == top.closer:
                stack.pop()
                closed += self._done(top.start, i + 1)
            elif char in "}]":
                stack.clear()  # not JSON after all: look for the next value
            elif char == ":":
                top.expect_key = False
            elif char == ",":
                top.expect_key = True
                top.index += 1
            elif char not in " \t\r\n" and self.scalar_start < 0:
                self.scalar_start = i
            i += 1
        self.pos = i
        return closed

    def _done(self, start: int, end: int) -> list[tuple[Path, int, int]]:
        """A value ended at the top of the stack: report it if it is shallow enough."""
        depth = len(self.stack)
        if depth > self.depth:
            return []
        path = tuple(c.key if c.closer == "}" else c.index for c in self.stack)
        return [(path, start, end)]  # type: ignore[list-item]


def _storable(value: Any) -> Any:
    """The value with every string storable (a `\\u0000` in the model's JSON decodes to NUL,
    which neither database stores in text or JSON)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): _storable(item) for key, item in value.items()}
    return value


def _decode_key(raw: str) -> str | None:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def items_of(path: Path, value: Any) -> bool:
    """Whether a scanned value is an element of the answer's list of items: of a bare top-level
    array, or of a list that is a member of the top-level object."""
    return isinstance(value, dict) and (
        (len(path) == 1 and isinstance(path[0], int))
        or (len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], int))
    )
