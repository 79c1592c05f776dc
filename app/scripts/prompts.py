"""What the script-side kinds ask the model: a character bible, one episode's script, a
consistency check. Each user message carries its call as JSON between <params> tags (the
offline demo model reads the same JSON), and each answer is one JSON object."""

import json
from typing import Any

BIBLE_PROMPT = """You are the head writer of a vertical short drama (竖屏短剧). From the
outline's characters and story, write the series' character bible: for every character their
name, role, age, look, personality, goal, contrast (反差), special advantage (金手指) and its
cost, speech habits (口头禅, how they talk), and relationships. Keep the outline's names and
facts. Write in the language given. Answer with JSON only, no prose, no code fences:
{"characters": [{"name": "", "role": "", "age": "", "look": "", "personality": "", "goal": "",
  "contrast": "", "advantage": "", "advantageCost": "", "speech": "",
  "relationships": [{"name": "", "relation": ""}]}]}"""

EPISODE_PROMPT = """You write one episode of a vertical short drama (竖屏短剧) as a shooting
script. Follow the episode's synopsis; open with its hook in the first seconds; end on its
cliffhanger. Keep every character's name, age, relationships and speech habits exactly as the
bible gives them, and every fact of the episodes before. Fit the episode's length: about
`budget` characters of dialogue and action in all (`seconds` seconds of screen time). Scenes
are short; most of the text is dialogue. Element types: "action", "dialogue" (with
"character" and an optional "parenthetical"), "voiceover" (画外音), "monologue" (内心OS),
"caption" (字幕), "transition". A scene in the past has "flashback": true. Write in the language
given. Answer with JSON only, no prose, no code fences:
{"number": 1, "title": "", "scenes": [{"heading": {"interior": "int|ext|int/ext",
  "place": "", "time": ""}, "flashback": false,
  "elements": [{"type": "action", "text": ""},
               {"type": "dialogue", "character": "", "parenthetical": "", "text": ""}]}]}"""

CONSISTENCY_PROMPT = """You are a script supervisor. Read the character bible and the episodes'
lines, and list every contradiction: a character's name, age, relationship or a fact that
changes between episodes or differs from the bible. Quote the lines involved exactly. Write in
the language given. Answer with JSON only, no prose, no code fences:
{"issues": [{"character": "", "description": "", "episodes": [1, 2], "quotes": [""]}]}"""

_OPEN, _CLOSE = "<params>", "</params>"


def messages(system: str, what: str, call: dict[str, Any]) -> list[dict[str, str]]:
    """A system prompt and one user message: what to do, and the call's JSON."""
    user = f"{what}:\n{_OPEN}{json.dumps(call, ensure_ascii=False)}{_CLOSE}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def call_of(messages: list[dict[str, str]]) -> dict[str, Any] | None:
    """The call's JSON in the last user message, or None."""
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content", "")
        start, end = content.find(_OPEN), content.rfind(_CLOSE)
        if start < 0 or end < start:
            return None
        try:
            value = json.loads(content[start + len(_OPEN) : end])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None
