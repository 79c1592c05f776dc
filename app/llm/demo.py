"""The offline demo model's pacing: a kind's demo answer, streamed like a model's tokens."""

import re

_CJK_CLASS = (
    "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
_TOKEN = re.compile(
    f"(?P<cjk>[{_CJK_CLASS}“”‘’]+)"
    r"|(?P<word>[A-Za-z0-9\u00c0-\u024f]+(?:['’-][A-Za-z0-9\u00c0-\u024f]+)*[.,!?;:)]*[ \t]*)"
    r"|\\u[0-9a-fA-F]{4}|\\.|\s+|.",
    re.S,
)


def demo_tokens(text: str) -> list[str]:
    """Split text into stream-like tokens that concatenate back to exactly the same text."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if match.lastgroup != "cjk":
            tokens.append(piece)
            continue
        start = 0
        while start < len(piece):
            # Vary between one and two characters, decided by the text itself so it is repeatable.
            step = 1 + ord(piece[start]) % 2
            tokens.append(piece[start : start + step])
            start += step
    return tokens
