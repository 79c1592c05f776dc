"""What a job kind declares, so the machinery runs it without knowing what it makes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ParamsError(ValueError):
    """Invalid parameters, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class OutputError(ValueError):
    """The model's answer could not be read as the kind's result."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Callable[[], str]
    params_type: str
    output_type: str
    # Clean the user's parameters, raising ParamsError.
    validate: Callable[[Any], dict[str, Any]]
    # The chat messages for an attempt, given the params and the results already kept.
    build_messages: Callable[[dict[str, Any], list[dict[str, Any]]], list[dict[str, str]]]
    # Complete results found in the raw text so far; final=True parses strictly.
    parse: Callable[[str, bool], list[dict[str, Any]]]
    # How many results the job wants in all.
    target: Callable[[dict[str, Any]], int]
    # What a finished job gives, as in "Ideas for 'Project' are ready".
    results_label: Callable[[], str]
    params_template: str
    results_template: str
    max_retries: int = 2
    temperature: float = 0.9


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make a kind known to the machinery."""
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> JobKind:
    """The declaration of a registered kind."""
    return KINDS[name]
