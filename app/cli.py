"""Operator commands: flask --app app users create / users admin / tokens create / members add."""

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth.models import ApiToken, User
from app.auth.views import find_user
from app.errors import Refused
from app.extensions import db
from app.projects.members import GRANTABLE, add_member
from app.projects.models import Project

users = AppGroup("users", help="Manage accounts.")
tokens = AppGroup("tokens", help="Manage API tokens.")
members = AppGroup("members", help="Manage who may see and change a project.")


@users.command("create")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="An operator: the diagnostics page, any job.")
def create_user(name: str, password: str, admin: bool) -> None:
    """Create an account."""
    if find_user(name):
        raise click.ClickException(f"the user {name!r} exists already")
    if not 3 <= len(name) <= 40 or len(password) < 8:
        raise click.ClickException("names have 3-40 characters, passwords at least 8")
    user = User(username=name, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {'admin' if admin else 'user'} {name}")


@users.command("admin")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Make the admin an ordinary user again.")
def make_admin(name: str, revoke: bool) -> None:
    """Make the user NAME an admin (or, with --revoke, no longer one)."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"no user {name!r}")
    user.is_admin = not revoke
    db.session.commit()
    click.echo(f"{name} is {'no longer' if revoke else 'now'} an admin")


@tokens.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
def create_token(name: str, label: str) -> None:
    """Print a new API token for the user NAME (shown once, stored hashed)."""
    user = find_user(name)
    if user is None:
        raise click.ClickException(f"no user {name!r}")
    token, secret = ApiToken.issue(user, label)
    db.session.add(token)
    db.session.commit()
    click.echo(secret)


@members.command("add")
@click.argument("project_id", type=int)
@click.argument("username")
@click.option("--role", type=click.Choice(GRANTABLE), default="collaborator", show_default=True)
def add_project_member(project_id: int, username: str, role: str) -> None:
    """Add USERNAME to the project PROJECT_ID with a role."""
    if db.session.get(Project, project_id) is None:
        raise click.ClickException(f"no project {project_id}")
    try:
        add_member(project_id, username, role)
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(f"{username} is a {role} of project {project_id}")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    from app.jobs.cli import jobs

    app.cli.add_command(users)
    app.cli.add_command(tokens)
    app.cli.add_command(members)
    app.cli.add_command(jobs)
