"""What a job kind is, to the machinery: a name, a params model, the artifacts it reads, and a
`run(ctx)` that does its steps through the job context. The machinery never branches on a
kind; kinds are registered explicitly (app/kinds.py)."""

from typing import TYPE_CHECKING, Any, ClassVar

from app.inputs import Inputs

if TYPE_CHECKING:
    from app.jobs.context import JobContext
    from app.jobs.starting import Started


class JobKind:
    """Subclass and fill in; one instance per kind is registered."""

    name: ClassVar[str]
    # What a start asks for: validated from JSON (strictly) and forms (laxly).
    params: ClassVar[type[Inputs]]
    # The artifact type the params are stored as.
    params_type: ClassVar[str]
    # Roles of the input artifacts it reads besides its params (e.g. "idea").
    inputs: ClassVar[tuple[str, ...]] = ()
    # "short" attempts take a short slot of a worker, "long" ones a long slot: a running
    # research job never makes a brainstorm wait.
    queue: ClassVar[str] = "short"
    max_retries: ClassVar[int] = 2
    # Seconds without any sign of life from the provider before the attempt counts as
    # failed, and before the first token; None: the STALL_SECONDS setting.
    stall_seconds: ClassVar[float | None] = None
    first_token_seconds: ClassVar[float | None] = None
    # Templates: the params as the job page shows them, and the results block (one template
    # renders every state of the results, for the page, a reload and a live delta).
    params_template: ClassVar[str]
    results_template: ClassVar[str]
    # What the project page shows of a job of this kind (a block of its own).
    project_template: ClassVar[str | None] = None
    # What the job page offers this viewer beside the streamed blocks (forms with their CSRF
    # token, e.g. answers to the job's questions), rendered with the page.
    actions_template: ClassVar[str | None] = None
    # The item the model is writing (`partial`'s answer as `item`), shown under the results
    # while it streams, in a block of its own updated at each flush; None: none is shown.
    partial_template: ClassVar[str | None] = None

    def label(self) -> str:
        """The kind's name as a writer reads it."""
        raise NotImplementedError

    def results_label(self) -> str:
        """What a finished job gives, as in "Ideas for 'Project' are ready"."""
        raise NotImplementedError

    def run(self, ctx: "JobContext") -> str | None:
        """Do the work of one attempt through the context; return the final message key."""
        raise NotImplementedError

    def demo(self, messages: list[dict[str, str]]) -> str:
        """What the offline demo model answers to this kind's prompt."""
        raise NotImplementedError

    def partial(self, tail: str, *, whole: bool) -> dict[str, Any] | None:
        """What the model is writing now, read from the end of the current attempt's text
        (`whole`: from its start; else cut anywhere, a bounded tail), or None. It must be
        cheap (it runs at each flush), never raise, and show nothing already complete."""
        return None

    def project_context(self, project_id: int) -> dict[str, Any]:
        """What the kind's project block shows besides its latest job (read at render)."""
        return {}

    def regenerate(
        self,
        project_id: int,
        user_id: int,
        made: dict[str, Any],
        params: dict[str, Any],
        reads: dict[str, list[int]],
    ) -> "Started | None":
        """Start this kind again for one thing it made (`made`), reading these newest versions
        (`reads`, by role); None: the same params and reads (app/versions/regenerate.py)."""
        return None

    def on_cancel(self, ctx: "JobContext") -> None:
        """Clean up provider state of a job cancelled while no worker held it (e.g. cancel a
        background response named by the checkpoint). Nothing by default."""


class OutputError(ValueError):
    """The model's answer could not be read as the kind's result."""


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make a kind known to the machinery (app/kinds.py does it for every kind)."""
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> JobKind:
    """The registered kind of this name."""
    return KINDS[name]


def label_of(name: str) -> str:
    return KINDS[name].label() if name in KINDS else name
