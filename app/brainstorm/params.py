"""What a brainstorm is asked for: one model for the API's JSON and the form's strings."""

from typing import Annotated

from flask_babel import gettext as _
from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from app.brainstorm.catalog import genre_paths, platform_label
from app.inputs import Id, Inputs, Text, Whole, refuse

MAX_PATHS = 5
MAX_REQUIREMENTS = 2000
MAX_IDEAS = 10
# Hard caps on the lists; the rules below give the writer the reason.
_ALL = len(genre_paths())
Label = Text(40, min_length=1)


def _one_share(share: int) -> int:
    if not 1 <= share <= 100:
        raise refuse(_("A share is a whole number from 1 to 100."))
    return share


# Each share is checked on its own (a form marks that one), then their sum.
Share = Annotated[Whole, AfterValidator(_one_share)]


class BrainstormParams(Inputs):
    platform: Text(40)
    genre_paths: Annotated[
        list[Annotated[list[Label], Field(max_length=8)]], Field(max_length=_ALL)
    ]
    genre_proportions: Annotated[list[Share], Field(max_length=_ALL)]
    requirements: Text(MAX_REQUIREMENTS) = ""
    num_ideas: Whole = 5
    # An idea version of the project the new ideas vary from ("More like this idea"; checked
    # against the project when the job starts). Left out of the stored params when absent.
    reference_artifact_id: Id | None = Field(default=None, exclude_if=lambda v: v is None)

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
            message = _(
                "You chose %(n)d genres: keep at most %(most)d (clear the others' shares).",
                n=len(paths),
                most=MAX_PATHS,
            )
            raise refuse(message)
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
        if sum(shares) != 100:
            raise refuse(_("The shares add up to %(n)d: make them 100.", n=sum(shares)))
        return shares

    @field_validator("num_ideas")
    @classmethod
    def _count(cls, value: int) -> int:
        if not 1 <= value <= MAX_IDEAS:
            raise refuse(_("Ask for between 1 and %(n)d ideas.", n=MAX_IDEAS))
        return value
