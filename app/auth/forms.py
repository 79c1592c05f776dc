"""Sign-up and sign-in forms."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from app.inputs import Form

USERNAME = Regexp(
    r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dots, dashes and underscores only.")
)


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SignupForm(Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(min=3, max=40), USERNAME]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class NameForm(Form):
    display_name = StringField(_l("Display name"), validators=[Length(max=80)])


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class TokenForm(Form):
    label = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
