"""The account page: how a person is named to others, their password (changing it signs out
every other session) and their API tokens (a new one shown once; listed with last use;
revoked)."""

from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import audit
from app.auth.forms import NameForm, PasswordForm, TokenForm
from app.auth.models import ApiToken, verify_password
from app.extensions import begin_write, db
from app.i18n import LOCALES, known_zone, select_timezone
from app.inputs import storable

bp = Blueprint("account", __name__, url_prefix="/account")
ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)


def _page(status: int = 200, secret: str | None = None, **forms: Any) -> tuple[str, int]:
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    name_form = forms.get("name_form") or NameForm(display_name=current_user.display_name or "")
    return render_template(
        "auth/account.html",
        zones=ZONES,
        current_zone=select_timezone(),
        name_form=name_form,
        password_form=forms.get("password_form") or PasswordForm(),
        token_form=forms.get("token_form") or TokenForm(),
        tokens=tokens,
        secret=secret,
    ), status


@bp.get("/")
@login_required
def show() -> tuple[str, int]:
    return _page()


@bp.post("/name")
@login_required
def rename() -> Response | tuple[str, int]:
    """The display name, in any script; empty: the username again."""
    form = NameForm()
    if not form.validate_on_submit():
        return _page(422, name_form=form)
    begin_write()
    current_user.display_name = storable(" ".join((form.display_name.data or "").split())) or None
    db.session.commit()
    flash(_("Your name is saved."))
    return redirect(url_for("account.show"), 303)


@bp.post("/preferences")
@login_required
def preferences() -> Response | tuple[str, int]:
    """The interface language and the time zone (empty: from the browser)."""
    language = request.form.get("language", "")
    zone = request.form.get("time_zone", "")
    if language not in ("", *LOCALES) or (zone and known_zone(zone) is None):
        flash(_("Choose a language and a time zone from the lists."))
        return redirect(url_for("account.show") + "#preferences", 303)
    begin_write()
    current_user.language = language or None
    current_user.time_zone = zone or None
    db.session.commit()
    flash(_("Your language and time zone are saved."))
    return redirect(url_for("account.show"), 303)


@bp.post("/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """A new password; every other session (other browsers, old cookies) is signed out."""
    form = PasswordForm()
    valid = form.validate_on_submit()
    if valid and not verify_password(current_user, form.current.data):
        audit.record("password_change_refused")
        form.current.errors = [_("That is not your current password.")]
        valid = False
    if not valid:
        return _page(422, password_form=form)
    begin_write()
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    user.set_password(form.password.data)
    user.session_version += 1
    db.session.commit()
    login_user(user)  # this session goes on with the new version
    audit.record("password_changed")
    flash(_("Your password is changed; other sessions are signed out."))
    return redirect(url_for("account.show"), 303)


@bp.post("/tokens")
@login_required
def create_token() -> tuple[str, int]:
    """A new API token, shown on this page once (only its hash is kept)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(422, token_form=form)
    begin_write()
    token, secret = ApiToken.issue(current_user, storable(form.label.data.strip()))
    db.session.add(token)
    db.session.commit()
    audit.record("token_created", token=token.id)
    return _page(201, secret=secret)


@bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    """The token stops working at once."""
    begin_write()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    db.session.delete(token)
    db.session.commit()
    audit.record("token_revoked", token=token_id)
    flash(_("The token “%(name)s” is revoked.", name=token.name))
    return redirect(url_for("account.show"), 303)
