"""Sign-up, sign-in and sign-out pages."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.auth.forms import LoginForm, SignupForm
from app.auth.models import User
from app.extensions import db, limiter, login_manager
from app.redirects import safe_next

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user of a session, if its session version is still current."""
    user_id, _sep, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.session_version == int(version) else None


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    """Sign in with a username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data)
        if user and user.check_password(form.password.data):
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("projects.index")), 303)
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
