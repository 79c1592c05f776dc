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
