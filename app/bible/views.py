"""Bible pages: the form that starts one from an outline version (the job page shows it live,
the script page lists it)."""

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.bible.bibles import start_bible
from app.inputs import key_from
from app.jobs.answers import button_start
from app.jobs.starting import limit_starts
from app.versions.domain import artifact_for

bp = Blueprint("bible", __name__)


@bp.post("/artifacts/<id:outline_artifact_id>/bible")
@login_required
@limit_starts
def create(outline_artifact_id: int) -> Response:
    outline = artifact_for(current_user.id, outline_artifact_id, write=True)
    key = key_from(request.form.get("idempotency_key"))
    return button_start(
        lambda: start_bible(outline.project_id, current_user.id, outline.id, key),
        _("A character bible is already being written for this project: here it is."),
        url_for("scripts.series_page", outline_artifact_id=outline.id),
    )
