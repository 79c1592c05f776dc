"""An outline's components: the one shape an `outline` artifact holds, the API answers, an
edit sends, and the exports write. Model output is read into it liberally (`read_*`); a
person's edit is validated strictly (`Components`)."""

from typing import Annotated, Any, Literal

from pydantic import Field

from app.inputs import Inputs, Text, Whole

STAGES = ("opening", "rising", "climax", "resolution")
MAX_EPISODES = 120
SHORT, LONG = 200, 5000


class Relationship(Inputs):
    name: Text(SHORT)  # the other character
    relation: Text(SHORT)


class Character(Inputs):
    name: Text(SHORT, min_length=1)
    role: Text(SHORT) = ""  # protagonist, antagonist, love interest …
    age: Text(40) = ""
    look: Text(LONG) = ""  # the character bible's: how they appear on screen
    personality: Text(LONG) = ""
    goal: Text(LONG) = ""
    contrast: Text(LONG) = ""  # 反差
    advantage: Text(LONG) = ""  # 金手指
    advantage_cost: Text(LONG) = ""
    speech: Text(LONG) = ""  # the character bible's: catchphrases, how they talk
    relationships: Annotated[list[Relationship], Field(max_length=40)] = []


class Stage(Inputs):
    stage: Literal["opening", "rising", "climax", "resolution"]
    from_episode: Whole
    to_episode: Whole
    summary: Text(LONG) = ""


class Episode(Inputs):
    number: Whole
    title: Text(SHORT) = ""
    synopsis: Text(LONG) = ""
    hook: Text(LONG) = ""  # the opening seconds
    cliffhanger: Text(LONG) = ""


class Components(Inputs):
    title: Text(SHORT) = ""
    logline: Text(LONG) = ""  # 一句话梗概
    genre: Text(SHORT) = ""
    audience: Text(SHORT) = ""
    selling_points: Annotated[list[Text(LONG)], Field(max_length=20)] = []
    setting: Text(LONG) = ""
    characters: Annotated[list[Character], Field(max_length=40)] = []
    stages: Annotated[list[Stage], Field(max_length=len(STAGES))] = []
    episodes: Annotated[list[Episode], Field(max_length=MAX_EPISODES)] = []


def empty() -> dict[str, Any]:
    """The components of an outline nothing has been written into yet (camelCase keys)."""
    return Components().model_dump(by_alias=True)
