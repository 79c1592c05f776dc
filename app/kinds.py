"""Every job kind the app runs, registered explicitly (no import side effects), plus those a
deployment or a test names in EXTRA_JOB_KINDS ("package.module:ATTRIBUTE", comma-separated)."""

from importlib import import_module

from flask import Flask

from app.brainstorm.kind import BRAINSTORM
from app.jobs.kinds import JobKind, register

BUILT_IN: tuple[JobKind, ...] = (BRAINSTORM,)


def register_kinds(app: Flask) -> None:
    """Make the built-in kinds and the extra ones known to the machinery."""
    for kind in BUILT_IN:
        register(kind)
    for spec in filter(None, (s.strip() for s in app.config["EXTRA_JOB_KINDS"].split(","))):
        module, _sep, attribute = spec.partition(":")
        register(getattr(import_module(module), attribute))
