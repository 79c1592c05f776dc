"""Sign-up, sign-in and sign-out pages."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app import audit
from app.auth.forms import LoginForm, SignupForm
from app.auth.models import User, verify_password
from app.extensions import db, limiter, login_manager
from app.inputs import Filter, Inputs, Text, accepts, id_from, natural
from app.redirects import safe_next

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user of a session, if its session version is still current."""
    raw_id, _sep, raw_version = identity.partition(":")
    user_id, version = id_from(raw_id), natural(raw_version)
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    return user if user and user.session_version == version else None


def find_user(username: str) -> User | None:
    """A user by name, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response:
    """Create an account and sign in."""
    form = SignupForm()
    if form.validate_on_submit():
        if find_user(form.username.data):
            form.username.errors.append(_("That username is taken."))
        else:
            user = User(username=form.username.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            login_user(user)
            return redirect(url_for("projects.index"), 303)
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200


class Next(Inputs):
    next: Filter(Text(2000)) = None  # where to go after signing in; checked by safe_next


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@accepts(query=Next)
def login(query: Next) -> str | Response | tuple[str, int]:
    """Sign in with a username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data)
        if verify_password(user, form.password.data):
            login_user(user)
            return redirect(safe_next(query.next, url_for("projects.index")), 303)
        audit.record("sign_in_failed", username=form.username.data)
        form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out everywhere: older session cookies stop working."""
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"), 303)


@bp.get("/")
def home() -> Response:
    """The projects for a signed-in writer, else the sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("projects.index"))
    return redirect(url_for("auth.login"))
