"""How every start of a job answers, whatever the kind: the API (202; the same key → the same
answer; 409 with the active job's answer while one runs) and the forms (303 to the job's page,
or the form again with its messages). A kind gives what starts its job and how it is named."""

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.errors import Refused, fail
from app.extensions import db
from app.inputs import errors_by_field
from app.jobs.control import launch
from app.jobs.models import Transform
from app.jobs.starting import KeyReused, Started

Answer = Callable[[Transform], dict[str, Any]]
Page = Response | tuple[str, int]


def started_as(name: str) -> Answer:
    """What every start of a kind answers (202, a replay, or beside a 409's error): the job,
    its id also under the kind's own name (`outlineId`, `sessionId` …)."""

    def answer(transform: Transform) -> dict[str, Any]:
        return {
            "transformId": transform.id,
            name: transform.id,
            "status": transform.status,
            "url": url_for("jobs.show", job_id=transform.id),
        }

    return answer


def api_start(
    start: Callable[[], Started], busy: str, answer: Answer
) -> tuple[dict[str, Any], int]:
    """Run the start and answer as the API does; `busy`: the 409's message."""
    try:
        started = start()
    except KeyReused:
        db.session.rollback()
        fail(422, _("This Idempotency-Key was used with other params."), field="Idempotency-Key")
    db.session.commit()
    if started.outcome == "conflict":
        fail(409, busy, **answer(started.transform))
    if started.outcome == "created":
        launch(started.transform)
    return answer(started.transform), 202


def form_start(
    start: Callable[[], Started], busy: str, again: Callable[[dict[str, str], int], Page]
) -> Page:
    """Run the start from a form: 303 to the job's page (the active one, saying so, if one
    runs), else `again(errors, status)`: the form with its messages."""
    try:
        started = start()
    except ValidationError as error:
        return again(errors_by_field(error), 422)
    except KeyReused:
        db.session.rollback()
        return again({"form": _("This form was already sent with other values.")}, 422)
    except Refused as refusal:
        db.session.rollback()
        return again({"form": refusal.message}, refusal.code)
    db.session.commit()
    if started.outcome == "created":
        launch(started.transform)
    elif started.outcome == "conflict":
        flash(busy)
    return redirect(url_for("jobs.show", job_id=started.transform.id), 303)


def button_start(start: Callable[[], Started], busy: str, back: str) -> Response:
    """Run a start from a button on another page (no form of its own to show again): 303 to
    the job's page, or back to `back` with the reasons as messages."""

    def again(errors: dict[str, str], _status: int) -> Response:
        for message in errors.values():
            flash(message)
        return redirect(back, 303)

    return form_start(start, busy, again)  # type: ignore[return-value]
