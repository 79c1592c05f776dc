"""What language a text is written in, as far as the app needs to know: Chinese or not."""

import re

# Han (with its extensions), kana and hangul.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)


def mostly_cjk(text: str) -> bool:
    """Whether more of the text's letters are Chinese (Japanese, Korean) than not."""
    cjk = len(_CJK.findall(text))
    return cjk > sum(ch.isalpha() for ch in text) - cjk
