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


# ---- the item being written ---------------------------------------------------------------

# Where a tail cut from the middle of an answer can be read from: an object that is an element
# of an array (after "[" or ","), opening with a key. Inside a JSON string a quote is always
# escaped, so this cannot match in one (short of a key ending in "[{" whose value starts with
# ":"): from here, the reading is exact.
_ELEMENT = re.compile(r'[\[,]\s*(\{)\s*"[^"\\]*"\s*:')
_VALUE_START = re.compile(r"[\[{]")
_SPACE = re.compile(r"\s+")
_STRING_BODY = re.compile(r'(?:[^"\\]+|\\.)*', re.S)
_SCALAR = re.compile(r'[^\s,\]}"\[{:]+')
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# An escape the text stops in the middle of: an odd run of backslashes, maybe "u" and < 4 digits.
_CUT_ESCAPE = re.compile(r"(\\+)(u[0-9a-fA-F]{0,3})?\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class OpenObject:
    """An object of the answer that has not closed yet: its members so far (strings and
    scalars), and the member whose string is being written, cut where the text ends."""

    in_list: bool  # an element of an array (items are; the answer's top object is not)
    members: dict[str, Any]
    writing: str | None = None
    key: str | None = None  # the member being read
    expect_key: bool = True


def open_objects(text: str, whole: bool = True) -> list[OpenObject]:
    """The objects still open where the text ends, outermost first. `text` is a whole answer
    so far (prose and fences around the JSON are skipped), or, when not `whole`, the end of
    one cut anywhere: it is read from its first array element that opens an object, and
    what lies before is unknown. Reads the text once; never raises."""
    i, end = 0, len(text)
    inside = False  # within a value whose start lies before the text (a tail)
    if not whole:
        anchor = _ELEMENT.search(text)
        if anchor is None:
            return []
        i, inside = anchor.start(1), True
    stack: list[OpenObject | None] = []  # None: an array
    outer = 0  # closers met above the tail's first element: 0 is the array it belongs to
    while i < end:
        if not stack and not inside:  # prose between values, as the scanner skips it
            found = _VALUE_START.search(text, i)
            if found is None:
                break
            i = found.start()
        char = text[i]
        top = stack[-1] if stack else None
        if char == '"':
            close = _STRING_BODY.match(text, i + 1).end()  # type: ignore[union-attr]
            if close >= end or text[close] != '"':  # it ends in this string (maybe in an escape)
                if top is not None and not top.expect_key and top.key is not None:
                    top.members[top.key] = partial_string(text[i + 1 :])
                    top.writing = top.key
                break
            value = _unescape(text[i + 1 : close])
            if top is not None:
                if top.expect_key:
                    top.key = value
                elif top.key is not None:
                    top.members[top.key] = value
            i = close + 1
            continue
        if char == "{":
            in_list = top is None if stack else (inside and outer == 0)
            stack.append(OpenObject(in_list, {}))
        elif char == "[":
            stack.append(None)
        elif char in "}]":
            if not stack:
                outer += 1
            elif (char == "}") == (top is not None):
                stack.pop()
            else:  # not JSON after all: look for the next value
                stack.clear()
                inside = False
        elif char == ":":
            if top is not None:
                top.expect_key = False
        elif char == ",":
            if top is not None:
                top.expect_key, top.key = True, None
        elif char.isspace():
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            continue
        else:  # a number, true, false or null (or a stray word)
            scalar = _SCALAR.match(text, i)
            stop = scalar.end() if scalar else i + 1
            if stop >= end:
                break  # perhaps not whole yet
            if top is not None and not top.expect_key and top.key is not None and scalar:
                try:
                    top.members[top.key] = json.loads(scalar.group())
                except ValueError:
                    pass
            i = stop
            continue
        i += 1
    return [frame for frame in stack if frame is not None]


def partial_string(raw: str) -> str:
    """A JSON string's content as far as it is written (without its opening quote): decoded,
    an escape cut short left out, a surrogate pair's first half without its second too."""
    cut = _CUT_ESCAPE.search(raw)
    if cut and len(cut.group(1)) % 2:
        raw = raw[: cut.end(1) - 1]
    text = _decode(raw)
    if text and "\ud800" <= text[-1] <= "\udbff":
        text = text[:-1]
    return _storable_text(text)


def _unescape(raw: str) -> str:
    """A whole JSON string's content decoded."""
    return _storable_text(_decode(raw))


def _decode(raw: str) -> str:
    """JSON escapes decoded, liberally: an unknown one stands for its character."""
    if "\\" not in raw:
        return raw

    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if len(escape) == 5:
            return chr(int(escape[1:], 16))
        return _SIMPLE_ESCAPES.get(escape, escape)

    return _ESCAPE.sub(one, raw)


def _storable_text(text: str) -> str:
    """Surrogate pairs (from \\u escapes) joined; NUL and what is left alone become U+FFFD."""
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return storable(text)
