"""What research says to the model and how it reads the answers: the questions call, the
research instructions built from the writer's request, context and answers, and the title
and links of the Markdown it writes."""

import re

from app.language import mostly_cjk
from app.llm.reading import JsonScanner
from app.research.provider import Citation

QUESTIONS = (2, 5)  # how many questions the model may ask
LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^\s)]{1,2000})\)")
QUESTIONS_PROMPT = """You are the head writer of a vertical short-drama studio (Douyin,
Kuaishou, YouTube Shorts, TikTok). A writer asks for a research-backed series outline. Before
the research starts, ask them 2 to 5 short clarifying questions whose answers change the
research most (platform and audience, episode count and length, tone and tropes, setting,
must-haves). Ask in the language of the request. Answer with JSON only:
{"questions": ["", ""]}"""

RESEARCH_PROMPT = """You are a researcher and head writer of vertical short dramas (竖屏短剧)
for Douyin, Kuaishou, YouTube Shorts and TikTok. Research what works for the writer's request
(comparable hits, audience, platform rules, pacing, paywall placement), then write a
research-backed series outline in Markdown:
- a first line "# " with the series title;
- a short summary of your findings, citing sources as inline links [title](https://…);
- "## Characters" (3 to 5, one line each), "## Series arc" (opening, rising, climax,
  resolution), "## Episode plan" (a numbered list of episode beats, each with its hook and
  cliffhanger, marking the paywall episode);
- "## Sources": every source as "- [title](https://…)".
Only cite pages you actually read; never invent a URL."""


def language_of(prompt: str) -> str:
    return "zh" if mostly_cjk(prompt) else "en"


def questions_messages(prompt: str, context: str) -> list[dict[str, str]]:
    user = f"Request:\n<request>\n{prompt}\n</request>"
    if context:
        user += f"\n\nContext the writer attached:\n<context>\n{context}\n</context>"
    return [{"role": "system", "content": QUESTIONS_PROMPT}, {"role": "user", "content": user}]


def research_instructions(
    prompt: str, context: str, questions: list[str], answers: list[str] | None
) -> str:
    """What the research call is told (the session's "researchInstructions")."""
    language = "Chinese (简体中文)" if language_of(prompt) == "zh" else "English"
    parts = [f"Write in {language}.", f"The writer's request:\n{prompt}"]
    if context:
        parts.append(f"Context the writer attached:\n{context}")
    answered = [(q, a) for q, a in zip(questions, answers or [], strict=False) if a.strip()]
    if answered:
        parts.append(
            "The writer's answers to your questions:\n"
            + "\n".join(f"Q: {q}\nA: {a}" for q, a in answered)
        )
    elif questions:
        parts.append("The writer skipped your questions: choose sensible defaults.")
    return "\n\n".join(parts)


def research_messages(instructions: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": RESEARCH_PROMPT},
        {"role": "user", "content": instructions},
    ]


def read_questions(text: str) -> list[str]:
    """The model's questions, read liberally (an object, a bare array, prose around it)."""
    found: list[str] = []
    for path, value in JsonScanner().feed(text):
        if path and path[-1] == "questions" and isinstance(value, list):
            items = value
        elif len(path) == 1 and isinstance(path[0], int):
            items = [value]
        elif len(path) == 2 and path[0] == "questions" and isinstance(path[1], int):
            items = [value]
        else:
            continue
        for item in items:
            if isinstance(item, dict):
                item = item.get("question") or item.get("text")
            if isinstance(item, str) and item.strip() and item.strip() not in found:
                found.append(item.strip()[:500])
    return found[: QUESTIONS[1]]


def title_of(markdown: str, prompt: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()[:200]
    return prompt.splitlines()[0][:80]


def links_in(markdown: str) -> list[Citation]:
    """The sources a model named in its text: every http(s) link, once."""
    seen: dict[str, Citation] = {}
    for title, url in LINK.findall(markdown):
        seen.setdefault(url, Citation(title.strip() or url, url))
    return list(seen.values())
