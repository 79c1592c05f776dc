"""Every job kind the app runs and every type of artifact writers edit, registered explicitly
(no import side effects), plus the kinds a deployment or a test names in EXTRA_JOB_KINDS
("package.module:ATTRIBUTE", comma-separated)."""

from importlib import import_module

from flask import Flask

from app.bible.bibles import BIBLE_EDITING
from app.bible.kind import BIBLE, BIBLE_TYPE
from app.brainstorm.ideas import IDEA_EDITING, IDEA_TYPE
from app.brainstorm.kind import BRAINSTORM
from app.consistency.kind import CONSISTENCY
from app.jobs.kinds import JobKind, register
from app.outline.editing import OUTLINE_EDITING
from app.outline.kind import OUTLINE, OUTLINE_TYPE
from app.research.kind import RESEARCH
from app.scripts.editing import EPISODE_EDITING
from app.scripts.kind import EPISODE_TYPE, SCRIPTS
from app.scripts.series import stale_episodes
from app.versions import staleness
from app.versions.domain import Editable, editable

BUILT_IN: tuple[JobKind, ...] = (BRAINSTORM, OUTLINE, RESEARCH, BIBLE, SCRIPTS, CONSISTENCY)
EDITABLE: tuple[tuple[str, Editable], ...] = (
    (IDEA_TYPE, IDEA_EDITING),
    (OUTLINE_TYPE, OUTLINE_EDITING),
    (BIBLE_TYPE, BIBLE_EDITING),
    (EPISODE_TYPE, EPISODE_EDITING),
)


def register_kinds(app: Flask) -> None:
    """Make the built-in kinds and the extra ones known to the machinery."""
    for kind in BUILT_IN:
        register(kind)
    for artifact_type, entry in EDITABLE:
        editable(artifact_type, entry)
    staleness.rule(stale_episodes)
    for spec in filter(None, (s.strip() for s in app.config["EXTRA_JOB_KINDS"].split(","))):
        module, _sep, attribute = spec.partition(":")
        register(getattr(import_module(module), attribute))
