"""What a brainstorm is asked for: one model for the API's JSON and the form's strings."""

from typing import Annotated

from flask_babel import gettext as _
from pydantic import Field, ValidationInfo, field_validator

from app.brainstorm.catalog import genre_paths, platform_label
from app.inputs import Inputs, Text, Whole, refuse

MAX_PATHS = 5
MAX_REQUIREMENTS = 2000
MAX_IDEAS = 10
# Hard caps on the lists; the rules below give the writer the reason.
_ALL = len(genre_paths())
Label = Text(40, min_length=1)


class BrainstormParams(Inputs):
    platform: Text(40)
    genre_paths: Annotated[
        list[Annotated[list[Label], Field(max_length=8)]], Field(max_length=_ALL)
    ]
    genre_proportions: Annotated[list[Whole], Field(max_length=_ALL)]
    requirements: Text(MAX_REQUIREMENTS) = ""
    num_ideas: Whole = 5

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        label = platform_label(value)
        if label is None:
            raise refuse(_("Choose a platform from the list."))
        return label

    @field_validator("genre_paths")
    @classmethod
    def _known_genres(cls, paths: list[list[str]]) -> list[list[str]]:
        if not paths:
            raise refuse(_("Choose at least one genre."))
        if len(paths) > MAX_PATHS:
            raise refuse(_("Choose at most %(n)d genres.", n=MAX_PATHS))
        known = set(genre_paths())
        if any(tuple(path) not in known for path in paths):
            raise refuse(_("Choose genres from the list."))
        if len({tuple(path) for path in paths}) != len(paths):
            raise refuse(_("Each genre may be chosen once."))
        return paths

    @field_validator("genre_proportions")
    @classmethod
    def _shares(cls, shares: list[int], info: ValidationInfo) -> list[int]:
        paths = info.data.get("genre_paths")
        if paths is not None and len(shares) != len(paths):
            raise refuse(_("Give one proportion for each genre."))
        if any(share < 1 or share > 100 for share in shares) or sum(shares) != 100:
            raise refuse(_("Proportions must be between 1 and 100 and add up to 100."))
        return shares

    @field_validator("num_ideas")
    @classmethod
    def _count(cls, value: int) -> int:
        if not 1 <= value <= MAX_IDEAS:
            raise refuse(_("Ask for between 1 and %(n)d ideas.", n=MAX_IDEAS))
        return value
