"""Research sessions: a research job as writers and the API see it (one session = one job,
its id the transform's), started from a prompt and an optional context artifact, answered or
skipped by a human transform, read straight from the database."""

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.artifacts.models import Artifact, HumanTransform, TransformInput, TransformOutput
from app.brainstorm.ideas import IDEA_TYPE
from app.clock import iso, utcnow
from app.errors import Refused
from app.extensions import db
from app.jobs.answers import started_as
from app.jobs.control import answer
from app.jobs.models import ACTIVE, RESULT_ROLE, LlmTransform, Transform
from app.jobs.starting import Started, start_job
from app.jobs.state import error_text, params_of
from app.outline.kind import OUTLINE_TYPE
from app.research.kind import ANSWER_MAX, RESEARCH, RESULT_TYPE, ResearchParams
from app.research.render import markdown_html

CONTEXT_TYPES = (IDEA_TYPE, OUTLINE_TYPE, RESULT_TYPE)
ANSWERS_TYPE = "research_answers"
PHASES = ("questions", "needs_input", "researching", "writing", "done")


def context_for(project_id: int, artifact_id: int) -> Artifact:
    """An idea version, an outline or a research result of the project (else 422)."""
    artifact = db.session.get(Artifact, artifact_id)
    if artifact is None or artifact.project_id != project_id or artifact.type not in CONTEXT_TYPES:
        message = _("Choose an idea, an outline or a research result of this project.")
        raise Refused(422, message, field="contextArtifactId")
    return artifact


def start_research(
    project_id: int,
    user_id: int,
    params: ResearchParams,
    context_id: int | None,
    key: str | None,
) -> Started:
    """Record a research job (its mode fixed now); the caller commits, then launches."""
    inputs = {"context": context_for(project_id, context_id).id} if context_id else {}
    if params.mode is None:
        mode = current_app.config["RESEARCH_MODE"]
        mode = mode if mode in ("streaming", "background") else "streaming"
        params = params.model_copy(update={"mode": mode})
    return start_job(RESEARCH, project_id, user_id, params, key, inputs=inputs)


def session_of(project_id: int, session_id: int) -> Transform:
    """A research job of this project (membership is checked by the caller), else 404."""
    transform = db.session.get(Transform, session_id)
    if transform is None or transform.project_id != project_id or transform.kind != RESEARCH.name:
        raise Refused(404, _("No such research session in this project."))
    return transform


def active_session(project_id: int) -> Transform | None:
    return db.session.scalar(
        select(Transform).where(
            Transform.project_id == project_id,
            Transform.kind == RESEARCH.name,
            Transform.status.in_(ACTIVE),
        )
    )


def latest_session(project_id: int) -> Transform | None:
    return db.session.scalar(
        select(Transform)
        .where(Transform.project_id == project_id, Transform.kind == RESEARCH.name)
        .order_by(Transform.id.desc())
        .limit(1)
    )


started_json = started_as("sessionId")


@dataclass
class Session:
    """Everything a research job has stored, by role."""

    transform: Transform
    params: dict[str, Any]
    context: Artifact | None
    questions: list[str]
    questions_id: int | None
    answers: dict[str, Any] | None  # the answers artifact's data (skipped or not)
    instructions: dict[str, Any]  # {"text", "mode", "note"} once the research began
    result: Artifact | None
    research_seq: int | None  # the first chunk of the current attempt's research call

    @property
    def checkpoint(self) -> dict[str, Any]:
        return self.transform.checkpoint or {}

    @property
    def phase(self) -> str:
        status = self.transform.status
        if status == "completed":
            return "done"
        if status == "needs_input":
            return "needs_input"
        if self.checkpoint.get("phase") in PHASES:
            return str(self.checkpoint["phase"])
        if self.answers is None:
            return "questions"
        started = self.research_seq is not None and self.transform.last_seq >= self.research_seq
        return "writing" if started else "researching"

    @property
    def mode(self) -> str:
        data = self.result.data if self.result else {}
        return str(
            self.checkpoint.get("mode")
            or data.get("mode")
            or self.instructions.get("mode")
            or self.params.get("mode")
            or "streaming"
        )

    @property
    def note(self) -> str | None:
        data = self.result.data if self.result else {}
        return self.checkpoint.get("note") or data.get("note") or self.instructions.get("note")

    def provider(self, name: str, stored: str, default: Any = None) -> Any:
        """A fact about the provider's response: the checkpoint's while the job runs, the
        result's once it is done."""
        if name in self.checkpoint:
            return self.checkpoint[name]
        return (self.result.data if self.result else {}).get(stored, default)

    def to_json(self) -> dict[str, Any]:
        t = self.transform
        data = self.result.data if self.result else {}
        answers = self.answers
        return {
            "id": t.id,
            "projectId": t.project_id,
            "status": t.status,
            "phase": self.phase,
            "mode": self.mode,
            "prompt": self.params.get("prompt"),
            "contextArtifactId": self.context.id if self.context else None,
            "clarificationQuestions": self.questions,
            "clarificationAnswers": (
                answers["answers"] if answers and not answers.get("skipped") else None
            ),
            "researchInstructions": self.instructions.get("text"),
            "finalOutline": data.get("markdown"),
            "resultArtifactId": self.result.id if self.result else None,
            "citations": data.get("citations", self.checkpoint.get("citations", [])),
            "citationsSource": data.get("citationsSource"),
            "backgroundResponseId": self.provider("response", "responseId"),
            "pollingAttempts": self.provider("polls", "polls", 0),
            "lastPolledAt": self.provider("polled_at", "polledAt"),
            "note": self.note,
            "progress": t.progress,
            "errorMessage": error_text(t) or None,
            "startedAt": iso(t.created_at),
            "completedAt": iso(t.finished_at) if t.status == "completed" else None,
            "url": url_for("jobs.show", job_id=t.id),
        }


def load_session(transform: Transform) -> Session:
    rows = db.session.execute(
        select(TransformOutput.role, Artifact)
        .join(Artifact, Artifact.id == TransformOutput.artifact_id)
        .where(TransformOutput.transform_id == transform.id)
        .order_by(TransformOutput.id)
    ).all()
    outputs: dict[str, Artifact] = {role: artifact for role, artifact in rows}  # the last
    inputs = dict(
        db.session.execute(
            select(TransformInput.role, Artifact)
            .join(Artifact, Artifact.id == TransformInput.artifact_id)
            .where(TransformInput.transform_id == transform.id)
            .order_by(TransformInput.id)
        ).all()
    )
    asked = outputs.get("questions")
    instructions = outputs.get("instructions")
    return Session(
        transform=transform,
        params=params_of(transform.id),
        context=inputs.get("context"),
        questions=[q["question"] for q in asked.data["questions"]] if asked else [],
        questions_id=asked.id if asked else None,
        answers=inputs["answers"].data if "answers" in inputs else None,
        instructions=dict(instructions.data) if instructions else {},
        result=outputs.get(RESULT_ROLE),
        research_seq=_research_seq(transform),
    )


def _research_seq(transform: Transform) -> int | None:
    """Where the current attempt's research call began in its text (None: not yet)."""
    calls = db.session.execute(
        select(LlmTransform.parameters, LlmTransform.first_seq).where(
            LlmTransform.transform_id == transform.id, LlmTransform.attempt == transform.attempt
        )
    ).all()
    seqs = [seq for parameters, seq in calls if (parameters or {}).get("mode") and seq]
    return min(seqs) if seqs else None


def give_answers(transform: Transform, user_id: int, answers: list[str] | None) -> bool:
    """The writer's answers (None: skipped) as an artifact made by a human transform, given
    to the job, which goes back to the queue; False if it was not waiting for answers."""
    session = load_session(transform)
    if transform.status != "needs_input":
        return False
    if answers is not None:
        if len(answers) != len(session.questions):
            message = _("Give one answer per question (%(n)d).", n=len(session.questions))
            raise Refused(422, message, field="answers")
        for index, text in enumerate(answers):
            if len(text) > ANSWER_MAX:
                message = _("An answer is at most %(n)d characters.", n=ANSWER_MAX)
                raise Refused(422, message, field=f"answers.{index}")

    def sheet() -> Artifact:
        now = utcnow()
        act = Transform.human(transform.project_id, user_id, "answer", now)
        made = Artifact(
            project_id=transform.project_id,
            type=ANSWERS_TYPE,
            data={
                "questions": session.questions,
                "answers": [a.strip() for a in answers] if answers is not None else [],
                "skipped": answers is None,
            },
            streaming_status="completed",
            created_by=user_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add_all([act, made])
        db.session.flush()
        description = _("Skipped the questions") if answers is None else _("Answered the questions")
        db.session.add_all(
            [
                HumanTransform(
                    transform_id=act.id,
                    action="answer",
                    context={"job": transform.id, "skipped": answers is None},
                    description=description,
                ),
                TransformOutput(
                    transform_id=act.id, artifact_id=made.id, role="answers", attempt=1
                ),
            ]
        )
        if session.questions_id is not None:
            db.session.add(
                TransformInput(
                    transform_id=act.id, artifact_id=session.questions_id, role="questions"
                )
            )
        return made

    return answer(transform, sheet)


def rendered(markdown: str | None) -> Any:
    return markdown_html(markdown or "")


def finished(project_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The project's research results (title, job, when), newest first."""
    rows = db.session.execute(
        select(Artifact.data, Artifact.created_at, TransformOutput.transform_id)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .where(
            Artifact.project_id == project_id,
            Artifact.type == RESULT_TYPE,
            TransformOutput.role == RESULT_ROLE,
        )
        .order_by(Artifact.id.desc())
        .limit(limit)
    )
    return [{"title": data["title"], "job": job, "at": at} for data, at, job in rows]
