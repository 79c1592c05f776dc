"""The script kind: episode scripts from an outline version and its character bible, one model
call and one `episode_script` artifact per episode, each stored as soon as it is whole. Each
episode's prompt carries the bible and a short summary of the episodes before it. A retry or
a takeover goes on from the episodes already stored."""

from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import Field

from app.i18n import N_
from app.inputs import Inputs, Text, Whole
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.outcomes import Retryable
from app.llm.reading import JsonScanner
from app.outline.components import MAX_EPISODES
from app.outline.export import language_of
from app.scripts import prompts
from app.scripts.demo import demo_episode
from app.scripts.screenplay import budget_characters, read_episode

EPISODE_TYPE = "episode_script"
SUMMARIES = 8  # earlier episodes summarised in each prompt
LAST_LINES = 3  # lines of the episode just before, quoted as where the story stands


class Summary(Inputs):
    number: Whole
    title: Text(200) = ""
    summary: Text(5000) = ""


class ScriptParams(Inputs):
    """What a script job is asked for: the episodes (numbers of the outline), their length,
    and the summaries of the series' episodes before the first one (the outline version and
    the bible are its input artifacts)."""

    episodes: Annotated[list[Whole], Field(min_length=1, max_length=MAX_EPISODES)]
    episode_seconds: Whole = 90
    platform: Text(40) = ""
    paywall_episode: Whole = 0
    previous: Annotated[list[Summary], Field(max_length=SUMMARIES)] = []


def episode_key(number: int) -> str:
    return f"episode:{number}"


def summary_of(episode: dict[str, Any], synopsis: str) -> dict[str, Any]:
    """How a written episode is remembered by the next one's prompt: its synopsis and where
    it ended (its last lines)."""
    lines = [
        (f"{e['character']}: " if e.get("character") else "") + e["text"]
        for scene in episode.get("scenes", [])
        for e in scene.get("elements", [])
    ][-LAST_LINES:]
    return {
        "number": episode["number"],
        "title": episode.get("title", ""),
        "summary": " / ".join(filter(None, [synopsis, *lines]))[:5000],
    }


def read_answer(text: str, number: int, title: str) -> dict[str, Any] | None:
    """The episode in the model's whole answer, read liberally: the first object with scenes
    (in a fence, after prose), or a bare array of scenes."""
    for path, value in JsonScanner(depth=0).feed(text):
        if path != ():
            continue
        if isinstance(value, list):
            value = {"scenes": value}
        episode = read_episode(value, number, title)
        if episode is not None:
            return episode
    return None


class Scripts(JobKind):
    """Episode scripts for chosen episodes of one outline version."""

    name = "scripts"
    params = ScriptParams
    params_type = "script_params"
    inputs = ("outline", "bible")
    queue = "long"  # sixty episodes take a while: never in the way of a brainstorm
    params_template = "scripts/_params.html"
    results_template = "scripts/_results.html"

    def label(self) -> str:
        return _("Episode scripts")

    def results_label(self) -> str:
        return _("Episode scripts")

    def run(self, ctx: JobContext) -> str:
        outline = ctx.inputs["outline"][0]
        bible = (ctx.inputs.get("bible") or [None])[0]
        characters = bible["characters"] if bible else outline.get("characters", [])
        synopses = {e["number"]: e for e in outline.get("episodes", [])}
        language = language_of(outline)
        seconds = ctx.params["episodeSeconds"]
        wanted = ctx.params["episodes"]
        written = {r["number"]: r for r in ctx.results}
        summaries = list(ctx.params.get("previous", []))
        for done, number in enumerate(wanted):
            planned = synopses.get(number, {"number": number})
            if number not in written:
                ctx.progress(done, len(wanted), N_("Writing episode %(n)d…"), n=number)
                call = {
                    "call": "episode",
                    "language": language,
                    "platform": ctx.params.get("platform", ""),
                    "title": outline.get("title", ""),
                    "logline": outline.get("logline", ""),
                    "genre": outline.get("genre", ""),
                    "setting": outline.get("setting", ""),
                    "seconds": seconds,
                    "budget": budget_characters(seconds, language),
                    "paywall": number == ctx.params.get("paywallEpisode"),
                    "characters": characters,
                    "episode": planned,
                    "previous": summaries[-SUMMARIES:],
                }
                written[number] = self._write(ctx, call, planned)
            summaries.append(summary_of(written[number], planned.get("synopsis", "")))
        return N_("Done.")

    def _write(self, ctx: JobContext, call: dict[str, Any], planned: dict[str, Any]) -> dict:
        number = call["episode"]["number"]
        scanner, scenes = JsonScanner(), [0]

        def take(text: str) -> None:  # progress as each scene completes
            closed = sum(1 for path, _v in scanner.feed(text) if path[:1] == ("scenes",))
            if closed:
                scenes[0] += closed
                ctx.progress(
                    None,
                    None,
                    N_("Writing episode %(n)d: %(scenes)d scenes so far…"),
                    n=number,
                    scenes=scenes[0],
                )

        what = f"Write episode {number}"
        answer = ctx.stream(
            prompts.messages(prompts.EPISODE_PROMPT, what, call), take, json_output=True
        )
        episode = read_answer(answer.text, number, planned.get("title", ""))
        if episode is None:
            cut = answer.finish_reason == "length"
            raise Retryable(
                N_("The model's answer for episode %(n)d was cut off (length limit).")
                if cut
                else N_("The model's answer for episode %(n)d held no readable scene."),
                "cut_off" if cut else "unreadable",
                params={"n": number},
            )
        ctx.emit(EPISODE_TYPE, episode, episode_key(number))
        return episode

    def regenerate(
        self,
        project_id: int,
        user_id: int,
        made: dict[str, Any],
        params: dict[str, Any],
        reads: dict[str, list[int]],
    ) -> Any:
        """One episode again, from the newest outline and bible, after the newest series."""
        from app.scripts.series import start_scripts  # the series reads this kind

        bible = reads.get("bible", [None])[0]
        outline = reads["outline"][0]
        return start_scripts(project_id, user_id, outline, [made["number"]], bible, None)

    def demo(self, messages: list[dict[str, str]]) -> str:
        return demo_episode(messages)


SCRIPTS = Scripts()
