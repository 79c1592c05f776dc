"""What a job kind declares, so the machinery runs it without knowing what it makes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.inputs import Inputs


class OutputError(ValueError):
    """The model's answer could not be read as the kind's result."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Callable[[], str]
    params_type: str
    output_type: str
    # What a start asks for: validated from JSON (strictly) and forms (laxly).
    params: type[Inputs]
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
