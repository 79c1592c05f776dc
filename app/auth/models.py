"""Accounts and API tokens."""

import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

_hasher = PasswordHasher()


# The hash of a password nobody knows, made with _hasher's parameters (a test checks): names
# without an account are verified against it.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$GP+qJ3sT56JLIfCUw/QA5Q$"
    "76XrbhSPaNMoS/8JMr2+TMmRXqSYlSkM/JhfzGxoolg"
)


def verify_password(user: "User | None", password: str) -> bool:
    """Whether the password is the user's. An unknown user costs the same argon2
    verification, so the time a sign-in takes does not tell whether the name exists."""
    try:
        matched = _hasher.verify(user.password_hash if user else DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and user is not None


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    # How the person is named to others, in any script; None: the username.
    display_name: Mapped[str | None] = mapped_column(String(80))
    # The interface language and time zone the person chose; None: from the browser.
    language: Mapped[str | None] = mapped_column(String(5))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Operators: the diagnostics page, and retry or cancel of anyone's job (flask users admin).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bumped on logout so every cookie signed before it stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def name(self) -> str:
        """How the person is shown to others."""
        return self.display_name or self.username

    def set_password(self, password: str) -> None:
        """Store an argon2 hash of the password."""
        self.password_hash = _hasher.hash(password)

    def get_id(self) -> str:
        """The session identity: user id and session version."""
        return f"{self.id}:{self.session_version}"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    @staticmethod
    def digest(token: str) -> str:
        """Tokens are long and random, so a plain SHA-256 is the right hash."""
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """A new token row and the secret to show once."""
        secret = "sw_" + secrets.token_urlsafe(32)
        return cls(user_id=user.id, name=name, token_hash=cls.digest(secret)), secret
