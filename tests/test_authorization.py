"""Every route × every principal: objects are reached through project membership only.

A principal is who asks (a member of the project in some role, or a stranger) and how (a
session, a bearer token, nobody). An owner may do everything, a collaborator everything but
managing members, a viewer only read (and dismiss their own notices); a stranger learns
nothing (404), a member whose role does not allow a change is told so (403). An admin is a
stranger to the project who also reaches the operators' routes, which to everyone else do not
exist (404)."""

import re
from dataclasses import dataclass

import pytest
from factories import BRAINSTORM_PARAMS, finished_outline

from app.artifacts.models import Artifact, TransformOutput
from app.auth.models import ApiToken, User
from app.brainstorm.ideas import IDEA_TYPE
from app.extensions import db
from app.jobs.models import RESULT_ROLE, Transform

PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 2}
# Routes that name an object in the query string rather than the path.
QUERY_OBJECTS = {"live.events": "job"}
# Routes anyone may open.
PUBLIC = {"static", "auth.login", "auth.signup", "auth.home", "languages.choose"}
PUBLIC |= {"health.healthz", "health.readyz", "metrics.metrics"}
# Routes with no object: they list or create the caller's own things.
OWN_THINGS = {"auth.logout", "projects.index", "jobs.index", "api.list_jobs_api"}
OWN_THINGS |= {"notifications.dismiss_all"}
OWN_THINGS |= {"api.running_jobs", "api.recent_completions", "api.create_project_api"}
OWN_THINGS |= {"api.start_brainstorm", "api.start_outline_api"}
OWN_THINGS |= {"api.start_bible_api", "api.start_scripts_api", "api.start_check_api"}
OWN_THINGS |= {"account.show", "account.rename", "account.change_password", "account.create_token"}
OWN_THINGS |= {"account.preferences"}
# The operators' routes: an admin's, whatever the project; to anyone else they do not exist.
ADMIN = {"admin.diagnostics_page", "admin.events", "admin.cancel", "admin.retry"}
ADMIN |= {"api.admin_diagnostics", "api.admin_cancel_job", "api.admin_retry_job"}
# Routes to a person's own things named in the path (the owner's, in the sweep).
PERSONAL = {"account.revoke_token"}
# What each role of a member may do to a project's objects.
ALLOWED = {
    "owner": {"read", "write", "manage"},
    "collaborator": {"read", "write"},
    "viewer": {"read"},
}
# What a route needs beyond "read" for GET and "write" for the rest.
NEEDS = {"notifications.dismiss": "read"}
# The forms that start or change something are pages a viewer is refused.
NEEDS |= dict.fromkeys(["brainstorm.new", "outline.new", "research.new", "versions.edit"], "write")
NEEDS |= dict.fromkeys(
    [
        "api.add_member_api",
        "api.change_member_api",
        "api.remove_member_api",
        "projects.add_member_page",
        "projects.change_member_page",
        "projects.remove_member_page",
        "projects.delete_page",
        "api.delete_project_api",
    ],
    "manage",
)


@dataclass(frozen=True)
class Principal:
    name: str
    role: str | None  # the role in the owned project; None: not a member
    via: str  # "session", "bearer" or "nobody"
    admin: bool = False  # an operator (a stranger to the project)


PRINCIPALS = [
    Principal("owner by session", "owner", "session"),
    Principal("owner by token", "owner", "bearer"),
    Principal("collaborator by session", "collaborator", "session"),
    Principal("collaborator by token", "collaborator", "bearer"),
    Principal("viewer by session", "viewer", "session"),
    Principal("viewer by token", "viewer", "bearer"),
    Principal("stranger by session", None, "session"),
    Principal("stranger by token", None, "bearer"),
    Principal("admin by session", None, "session", admin=True),
    Principal("admin by token", None, "bearer", admin=True),
    Principal("anonymous", None, "nobody"),
]


def expected(principal: Principal, endpoint: str, method: str) -> str:
    """ "ok" (anything but 401/403/404), "denied" (401 or the sign-in page), "hidden" (404) or
    "forbidden" (403: a member whose role does not allow it)."""
    if principal.via == "nobody":
        return "denied"
    if endpoint in ADMIN:
        return "ok" if principal.admin else "hidden"
    if endpoint in OWN_THINGS:
        return "ok"
    if endpoint in PERSONAL:
        return "ok" if principal.role == "owner" else "hidden"
    if principal.role is None:
        return "hidden"
    need = NEEDS.get(endpoint) or ("read" if method == "GET" else "write")
    return "ok" if need in ALLOWED[principal.role] else "forbidden"


def outcome(response) -> str:  # noqa: ANN001 - a test response
    if response.status_code == 401:
        return "denied"
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return "denied"
    return {404: "hidden", 403: "forbidden"}.get(response.status_code, "ok")


@pytest.fixture
def owned(client, make_user, app) -> dict:
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    job = client.post(
        "/api/brainstorm/start", json={"projectId": project, "params": PARAMS}, headers=mei.bearer
    ).json["transformId"]
    with app.app_context():
        assert db.session.get(Transform, job) is not None
        # An idea as the brainstorm would store it (no worker runs here).
        idea = Artifact(project_id=project, type=IDEA_TYPE, data={"title": "t", "body": "b"})
        db.session.add(idea)
        db.session.flush()
        db.session.add(TransformOutput(transform_id=job, artifact_id=idea.id, role=RESULT_ROLE))
        db.session.commit()
        artifact = idea.id
    document = {
        "title": "T",
        "characters": [{"name": "林晚"}],
        "episodes": [{"number": n, "synopsis": "s"} for n in range(1, 11)],
    }
    # A finished outline (before the outline job below, which stays active).
    outline_artifact = finished_outline(app, mei.id, project, document)
    outline = client.post(
        "/api/outlines/start",
        json={"projectId": project, "sourceArtifactId": artifact},
        headers=mei.bearer,
    ).json["outlineId"]
    research = client.post(
        f"/api/workflows/{project}/outline-generation/start",
        json={"prompt": "Research the market."},
        headers=mei.bearer,
    ).json["sessionId"]
    from_outline = {"projectId": project, "outlineArtifactId": outline_artifact}
    script = client.post(
        "/api/scripts/start", json={**from_outline, "episodes": "1"}, headers=mei.bearer
    ).json["scriptId"]
    with app.app_context():  # an episode as the script job would store it
        episode = Artifact(
            project_id=project,
            type="episode_script",
            data={"number": 1, "title": "", "scenes": [], "seconds": 0},
        )
        db.session.add(episode)
        db.session.flush()
        db.session.add(
            TransformOutput(transform_id=script, artifact_id=episode.id, role=RESULT_ROLE)
        )
        db.session.commit()
        episode_id = episode.id
    bible = client.post("/api/bibles/start", json=from_outline, headers=mei.bearer).json["bibleId"]
    check = client.post("/api/consistency/start", json=from_outline, headers=mei.bearer)
    assert check.status_code == 202, check.json
    accounts = {"owner": mei, "collaborator": make_user("cole"), "viewer": make_user("vi")}
    accounts["stranger"] = make_user("bo")
    accounts["admin"] = make_user("ada")
    promoted = app.test_cli_runner().invoke(args=["users", "admin", "ada"])
    assert promoted.exit_code == 0, promoted.output
    kai = make_user("kai")  # a member the owner may remove
    for name, role in (("cole", "collaborator"), ("vi", "viewer"), ("kai", "viewer")):
        added = client.post(
            f"/api/projects/{project}/members",
            json={"username": name, "role": role},
            headers=mei.bearer,
        )
        assert added.status_code == 201, added.json
    with app.app_context():
        token, _secret = ApiToken.issue(db.session.get(User, mei.id), "a token to revoke")
        db.session.add(token)
        db.session.commit()
        token_id = token.id
    ids = {
        "token_id": token_id,
        "username": kai.username,
        "session_id": research,
        "project_id": project,
        "job_id": job,
        "run_id": job,
        "transform_id": job,
        "artifact_id": artifact,
        "outline_id": outline,
        "outline_artifact_id": outline_artifact,
        "episode_id": episode_id,
        "script_id": script,
        "bible_id": bible,
        "check_id": check.json["checkId"],
    }
    return {"ids": ids, "accounts": accounts}


def requests_of(app, ids: dict) -> list[tuple[str, str, str, dict]]:
    """(endpoint, method, url, query) for every route that is not public."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        args = {name: ids[name] for name in rule.arguments}  # KeyError: a new object kind
        named = bool(args) or rule.endpoint in QUERY_OBJECTS
        classified = rule.endpoint in OWN_THINGS | ADMIN
        assert named or classified, f"{rule} names no object: classify it"
        query = (
            {QUERY_OBJECTS[rule.endpoint]: ids["job_id"]} if rule.endpoint in QUERY_OBJECTS else {}
        )
        url = rule.rule
        for name, value in args.items():
            url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url, query))
    # Removing the member the sweep names (and deleting the project, refused while its job
    # waits) come last: every other route still finds them.
    return sorted(found, key=lambda request: "remove" in request[0] or "delete" in request[0])


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.name)
def test_every_route_answers_each_principal_as_its_role_allows(app, client, auth, owned, principal):
    account = owned["accounts"]["admin" if principal.admin else principal.role or "stranger"]
    if principal.via == "session":
        auth.login(account)
    token = auth.csrf("/login")
    checked = []
    for endpoint, method, url, query in requests_of(app, owned["ids"]):
        if principal.via == "bearer" and not url.startswith("/api/"):
            continue  # tokens are for the API; a page with one is the anonymous case
        if endpoint == "auth.logout" and principal.via == "session":
            continue  # would end the session the sweep runs in (tested in test_auth)
        headers = {"X-CSRFToken": token}
        if principal.via == "bearer":
            headers = account.bearer
        kwargs = {"query_string": query, "headers": headers}
        if method != "GET":
            kwargs["data"] = {"csrf_token": token}
        response = client.open(url, method=method, **kwargs)
        want = expected(principal, endpoint, method)
        assert outcome(response) == want, (principal.name, method, url, response.status_code)
        if url.startswith("/api/") and response.status_code >= 400:
            assert response.is_json and response.json["error"]
        if want == "hidden":
            assert url.startswith("/api/") is (response.json == {"error": "Not found."})
        response.close()
        checked.append((method, url))
    assert len(checked) >= 8


def test_unknown_ids_are_404_too(client, make_user):
    mei = make_user("mei")
    for url in ("/api/jobs/999999", "/api/ideations/999999", "/api/streaming/transform/999999"):
        assert client.get(url, headers=mei.bearer).status_code == 404


def test_every_id_in_a_path_is_bounded(app):
    """Routes name ids with the `id` converter (1 … 2**31−1), never the unbounded `int`."""
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    assert [rule for rule in rules if re.search(r"<(int|float|uuid|any)\b", rule)] == []
    assert any("<id:" in rule for rule in rules)
