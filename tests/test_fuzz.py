"""A property-based fuzz driven by app.url_map: every rule and method gets hostile paths, query
strings, JSON bodies, forms (found on the pages themselves) and headers, as the owner, the owner's
API token, another user or nobody. Whatever arrives: no 5xx, JSON for every /api/ answer (but an
open event stream), and a refused request writes no row. `make fuzz` runs the long version."""

import copy
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote, urlsplit

import pytest
from argon2 import PasswordHasher
from factories import BRAINSTORM_PARAMS
from flask import Flask, url_for
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import func, select
from support import CSRF, Account

from app import create_app
from app.artifacts.models import Artifact, TransformOutput
from app.auth import models as auth_models
from app.auth.models import ApiToken, User
from app.brainstorm.ideas import IDEA_TYPE
from app.clock import utcnow
from app.extensions import begin_write, db
from app.jobs.models import Transform
from app.outline.components import Episode, empty
from app.scripts.screenplay import with_seconds
from app.web import static_hash

Route = tuple[str, str, str]  # endpoint, rule, method
with mock.patch.dict(os.environ, {"SECRET_KEY": "routes-only"}):  # no DB, no instance/ file
    RULES = list(create_app({"TESTING": True}).url_map.iter_rules())
ROUTES = [(r.endpoint, r.rule, m) for r in RULES for m in sorted(r.methods - {"HEAD", "OPTIONS"})]
CI_EXAMPLES, LONG_EXAMPLES = 50, 1000
KEY, LIMIT, JSON, PASSWORD = "fuzz-key", "1000000 per minute", "application/json", "correct horse"
PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 1}
BODIES = {  # a valid body per JSON endpoint
    "api.create_project_api": {"name": "P"},
    "api.start_brainstorm": {"projectId": "<project>", "params": PARAMS},  # the owner's
    "api.edit_artifact": {"data": {"title": "T", "body": "B"}, "description": "d"},
    "api.star_artifact": {"starred": True},
    "api.start_outline_api": {
        "projectId": "<project>",
        "sourceArtifactId": "<idea>",
        "params": {"episodeCount": 10, "paywallEpisode": 3, "notes": "n"},
    },
    "api.start_research_api": {"prompt": "p", "contextArtifactId": "<idea>", "mode": "streaming"},
    "api.research_answers": {"sessionId": "<session>", "answers": ["a", "b"]},
    "api.research_cancel": {"sessionId": "<session>"},
    "api.add_member_api": {"username": "bo", "role": "viewer"},
    "api.change_member_api": {"role": "collaborator"},
    "api.change_project_api": {"name": "P", "description": "d", "archived": False},
    "api.start_bible_api": {"projectId": "<project>", "outlineArtifactId": "<outline>"},
    "api.start_scripts_api": {
        "projectId": "<project>",
        "outlineArtifactId": "<outline>",
        "episodes": "1",
    },
    "api.start_check_api": {"projectId": "<project>", "outlineArtifactId": "<outline>"},
}
FORM_VALUES = {  # what a writer types into the forms whose page leaves them empty
    "auth.login": {"username": "mei", "password": PASSWORD},
    "auth.signup": {"username": "newcomer", "password": PASSWORD, "confirm": PASSWORD},
    "projects.index": {"name": "P"},
    "brainstorm.create": {"genre-0": "100", "numIdeas": "1"},
    "projects.add_member_page": {"username": "bo", "role": "viewer"},
    "research.create": {"prompt": "Research the market."},
    "languages.choose": {"language": "zh"},
    "account.create_token": {"label": "a script"},
    "account.change_password": {"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD},
    "scripts.import_fountain": {"fountain": "# 第1集\n\n.1-1 日 内 客厅\n\n!林晚推门而入。\n"},
}
KEYS = {"api.start_outline_api": "fuzz-outline", "api.start_research_api": "fuzz-research"}
KEYS |= {"api.start_bible_api": "fuzz-bible", "api.start_scripts_api": "fuzz-scripts"}
KEYS |= {"api.start_check_api": "fuzz-check"}
DOWNLOADS = {"api.outline_export_api", "research.export"}
DOWNLOADS |= {
    "api.script_export_api",
    "api.series_export_api",
}  # answers Markdown, HTML or JSON as asked
EPISODE = Episode(number=1).model_dump(by_alias=True)
SCRIPT = with_seconds(
    {
        "number": 1,
        "title": "T",
        "scenes": [{"heading": {"number": 1}, "elements": [{"type": "action", "text": "a"}]}],
    }
)  # Idempotency-Keys other than KEY
# Query names read outside a declared query model.
QUERY_NAMES = {"static": ["v"], "brainstorm.new": ["from", "referenceArtifactId"]}
HEADERS = {"live.events": "Last-Event-ID", "api.transform_stream": "Last-Event-ID"}
HEADERS |= {"api.start_brainstorm": "Idempotency-Key", "api.start_outline_api": "Idempotency-Key"}
HEADERS |= dict.fromkeys(
    ["api.start_research_api", "api.start_bible_api", "api.start_scripts_api"], "Idempotency-Key"
)
HEADERS |= {"api.start_check_api": "Idempotency-Key"}
NEVER_REFUSED = {"GET /", "GET /login", "GET /signup", "GET /projects/", "GET /jobs/"}
NEVER_REFUSED |= {"GET /account/", "GET /healthz", "GET /readyz", "GET /metrics"}
PRINCIPALS = ["owner", "owner", "owner", "bearer", "other", "anon", "forged"]


class Long(str):
    """A long string that prints short in a failing example."""

    def __repr__(self) -> str:
        return f"{self[:1]!r} * {len(self)}"


NUMBERS = ["0", "-1", "+1", " 7 ", "1.5", "1e3", "0x10", str(2**31), str(2**63), "9" * 25]
HOSTILE = [*NUMBERS, Long("9" * 5000), "", " ", "²", "٣", "１２", "\x00", "a\x00b", "\ud800"]
HOSTILE += ["x\udfffy", "é😀", Long("x" * 5000), Long("x" * 20_001), "..%2F..%2F", "//x", "/\\x"]
HOSTILE += ["%", "%zz", "<b>", "\r\n", "null", "true", "[]", "{}", "2026-13-40T99:99:99Z"]
HOSTILE += ["0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00", "1.2.3", "0.-1"]
PATH_TRICKS = ["..%2F" * 6 + "etc%2Fpasswd", "..%2Fpyproject.toml", "..", ".", "%2e%2e%2f"]
MISSING = "<missing>"  # a field or leaf left out
JSON_VALUES = [10**22, -(10**22), -1, 0, 1.5, 1e308, True, False, None, "", "\x00", "\ud800"]
JSON_VALUES += [Long("x" * 20_001), [["x"]], [], {}, {"a": 1}, [None], 2**31, "1", MISSING]
RAW_BODIES: dict[str, tuple[str | bytes, str | None]] = {
    "[ × 100000": ("[" * 100_000, JSON),
    '{"a": × 100000': ('{"a":' * 100_000, JSON),
    **{raw: (raw, JSON) for raw in ("[]", "1", '"x"', "null", '{"name": ', '{"a": 1,}', "")},
    "not UTF-8": (b"\xff\xfe\x00{}", JSON),
    "JSON as text/plain": ('{"name": "P"}', "text/plain"),
    "JSON untyped": ('{"name": "P"}', None),
    "a form": ("name=P&csrf_token=x", "application/x-www-form-urlencoded"),
    "a broken multipart": ("--x\r\n\r\n", "multipart/form-data; boundary=x"),
    "1.1 MB": ('{"name": "' + "x" * 1_100_000 + '"}', JSON),
}
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30), st.integers().map(str))
STATS: dict[str, dict[str, Any]] = {}


def pct(value: str, safe: str = "") -> str:
    """Percent-encoded UTF-8, lone surrogates included (as a careless client sends them)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe=safe)


def urlencoded(pairs: dict[str, str]) -> str:
    return "&".join(f"{pct(k)}={pct(v)}" for k, v in pairs.items())


def leaves(model: Any, value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every field of the model (of nested models too) and every list item."""
    found: list[tuple[Any, ...]] = []
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, spec in model.model_fields.items():
            key = spec.alias or name
            inner = value.get(key) if isinstance(value, dict) else None
            found += [(*path, key), *leaves(spec.annotation, inner, (*path, key))]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += [(*path, index), *leaves(None, item, (*path, index))]
    elif isinstance(value, dict):  # free-form data, checked against a model by the view
        for key, item in value.items():
            found += [(*path, key), *leaves(None, item, (*path, key))]
    return found


def set_leaf(body: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put the value at the path (or take the leaf out), if the path still leads somewhere."""
    *parents, last = path
    try:
        for key in parents:
            body = body[key]
        if value == MISSING:
            del body[last]
        else:
            body[last] = copy.deepcopy(value)
    except (KeyError, IndexError, TypeError):
        pass  # an earlier change made it a number, a string or a shorter list


class Forms(HTMLParser):
    """The POST forms of a page: their action (this page if none) and their fields' values."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.found = page, []
        self.form: tuple[str, dict[str, str]] | None = None
        self.open: str | None = None  # the textarea being read
        self.select: str | None = None  # the select being read (its first option counts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            post = a.get("method", "").lower() == "post"
            self.form = (a.get("action") or self.page, {}) if post else None
            self.found += [self.form] if self.form else []
        elif self.form and tag == "option" and self.select and not self.form[1][self.select]:
            self.form[1][self.select] = a.get("value", "")
        elif self.form and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") not in ("radio", "checkbox") or "checked" in a:
                self.form[1][a["name"]] = a.get("value", "")
                self.open = a["name"] if tag == "textarea" else None
                self.select = a["name"] if tag == "select" else None

    def handle_data(self, data: str) -> None:
        if self.form and self.open:
            self.form[1][self.open] += data

    def handle_endtag(self, tag: str) -> None:
        self.open = None if tag == "textarea" else self.open
        self.select = None if tag == "select" else self.select
        self.form = None if tag == "form" else self.form


@dataclass
class World:
    app: Flask
    accounts: dict[str, Account]
    sessions: dict[str, tuple[str, str]]  # principal → session cookie and its CSRF token
    owned: dict[str, list[str]]  # path argument → the owner's objects
    rows: Callable[[], tuple[int, ...]]  # every table's row count
    forms: dict[str, dict[str, str]]  # endpoint → the fields of a form posting to it


def sign_in(app: Flask, account: Account) -> tuple[str, str]:
    """Through the real form: the session cookie and its CSRF token."""
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token
    form = {"csrf_token": token.group(1), "username": account.username}
    assert client.post("/login", data={**form, "password": account.password}).status_code == 303
    cookie = client.get_cookie("session")
    assert cookie
    return cookie.value, token.group(1)


def discover(app: Flask, cookie: str, owned: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """The POST forms on every page the owner can GET, by the endpoint they post to."""
    client, adapter, forms = app.test_client(), app.url_map.bind("localhost"), {}
    client.set_cookie("session", cookie)
    for endpoint, rule, method in ROUTES:
        if method != "GET" or rule.startswith("/api/") or endpoint == "static":
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
        for value in owned[names[0]] if names else [""]:
            page = re.sub(r"<[^>]+>", value, rule)
            response = client.get(page)
            if response.mimetype == "text/html":
                parser = Forms(page)
                parser.feed(response.get_data(as_text=True))
                for action, fields in parser.found:
                    forms.setdefault(adapter.match(urlsplit(action).path, method="POST")[0], fields)
            response.close()  # the page stream is not read
    return forms


@pytest.fixture
def world(
    app: Flask,
    make_user: Callable[..., Account],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    """The owner "mei" with two projects, a pending job and a failed one; another user "bo"."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # sign-ins by the thousand
    monkeypatch.setattr(auth_models, "_hasher", cheap)
    monkeypatch.setattr(auth_models, "DUMMY_HASH", cheap.hash("nobody's"))
    app.config.update(MAX_ACTIVE_JOBS_PER_USER=10_000, RATELIMIT_LOGIN=LIMIT, RATELIMIT_JOBS=LIMIT)
    accounts = {"owner": make_user("mei", PASSWORD), "other": make_user("bo", PASSWORD)}
    # The owner is an operator too, so hostile requests to the admin's routes get through.
    promoted = app.test_cli_runner().invoke(args=["users", "admin", "mei"])
    assert promoted.exit_code == 0, promoted.output
    http, bearer, projects, jobs = app.test_client(), accounts["owner"].bearer, [], []
    for key in (KEY, "fuzz-failed"):
        projects.append(http.post("/api/projects", json={"name": "P"}, headers=bearer).json)
        body = {"projectId": projects[-1]["projectId"], "params": PARAMS}
        headers = {**bearer, "Idempotency-Key": key}
        started = http.post("/api/brainstorm/start", json=body, headers=headers)
        assert started.status_code == 202, started.json
        jobs.append(str(started.json["transformId"]))
    with app.app_context():
        begin_write()
        failed = db.session.get(Transform, int(jobs[1]))
        failed.status, failed.error, failed.finished_at = "failed", "boom", utcnow()
        # An idea as the brainstorm would store it (no worker runs this world's jobs).
        idea = Artifact(
            project_id=int(projects[0]["projectId"]),
            type=IDEA_TYPE,
            data={"title": "t", "body": "b"},
        )
        db.session.add(idea)
        db.session.flush()
        db.session.add(
            TransformOutput(transform_id=int(jobs[0]), artifact_id=idea.id, role="result")
        )
        db.session.commit()
        ideas = [str(idea.id)]
        engine, tables = db.engine, db.metadata.sorted_tables
    counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))

    def rows() -> tuple[int, ...]:
        with engine.connect() as connection:
            return tuple(connection.execute(counts).one())

    owned = {"project_id": [str(p["projectId"]) for p in projects], "filename": ["app.css"]}
    owned |= {name: jobs for name in ("job_id", "run_id", "transform_id")}
    owned["artifact_id"] = ideas
    raw = json.dumps(BODIES["api.start_outline_api"]).replace('"<idea>"', ideas[0])
    outline = json.loads(raw.replace('"<project>"', owned["project_id"][0]))
    headers = {**bearer, "Idempotency-Key": KEYS["api.start_outline_api"]}
    started = http.post("/api/outlines/start", json=outline, headers=headers)
    assert started.status_code == 202, started.json
    owned["outline_id"] = [str(started.json["outlineId"])]
    with app.app_context():  # its first section, as the outline kind would store it
        begin_write()
        data = {**empty(), "title": "T", "episodes": [{**EPISODE, "number": 1}]}
        written = Artifact(project_id=int(owned["project_id"][0]), type="outline", data=data)
        db.session.add(written)
        db.session.flush()
        job = started.json["outlineId"]
        db.session.add(TransformOutput(transform_id=job, artifact_id=written.id, role="result"))
        db.session.commit()
        owned["outline_artifact_id"] = [str(written.id)]
    research = {**BODIES["api.start_research_api"], "contextArtifactId": int(ideas[0])}
    headers = {**bearer, "Idempotency-Key": KEYS["api.start_research_api"]}
    path = f"/api/workflows/{owned['project_id'][0]}/outline-generation/start"
    started = http.post(path, json=research, headers=headers)
    assert started.status_code == 202, started.json
    owned["session_id"] = [str(started.json["sessionId"])]
    with app.app_context():  # its questions, as the research kind would ask them
        begin_write()
        asked = db.session.get(Transform, started.json["sessionId"])
        asked.status = "needs_input"
        questions = {"questions": [{"question": "Which platform?"}, {"question": "How long?"}]}
        sheet = Artifact(project_id=asked.project_id, type="questions", data=questions)
        db.session.add(sheet)
        db.session.flush()
        db.session.add(
            TransformOutput(transform_id=asked.id, artifact_id=sheet.id, role="questions")
        )
        db.session.commit()
    project = int(owned["project_id"][0])
    outline_artifact = owned["outline_artifact_id"][0]
    jobs_of = {}
    for endpoint in ("api.start_scripts_api", "api.start_bible_api", "api.start_check_api"):
        raw = json.dumps(BODIES[endpoint]).replace('"<outline>"', outline_artifact)
        body = json.loads(raw.replace('"<project>"', str(project)))
        headers = {**bearer, "Idempotency-Key": KEYS[endpoint]}
        started = http.post(endpoint_path(app, endpoint), json=body, headers=headers)
        assert started.status_code == 202, started.json
        jobs_of[endpoint] = str(started.json["transformId"])
        if endpoint == "api.start_scripts_api":
            with app.app_context():  # an episode, as the script kind would store it
                begin_write()
                episode = Artifact(project_id=project, type="episode_script", data=SCRIPT)
                db.session.add(episode)
                db.session.flush()
                made = int(jobs_of[endpoint])
                db.session.add(
                    TransformOutput(transform_id=made, artifact_id=episode.id, role="result")
                )
                db.session.commit()
                owned["episode_id"] = [str(episode.id)]
    owned["script_id"] = [jobs_of["api.start_scripts_api"]]
    owned["bible_id"] = [jobs_of["api.start_bible_api"]]
    owned["check_id"] = [jobs_of["api.start_check_api"]]
    kai = make_user("kai", PASSWORD)  # a member the owner may manage
    path = f"/api/projects/{owned['project_id'][0]}/members"
    added = http.post(path, json={"username": "kai", "role": "viewer"}, headers=bearer)
    assert added.status_code == 201, added.json
    owned["username"] = [kai.username]
    with app.app_context():
        token, _secret = ApiToken.issue(db.session.get(User, accounts["owner"].id), "fuzz")
        db.session.add(token)
        db.session.commit()
        owned["token_id"] = [str(token.id)]
    sessions = {name: sign_in(app, account) for name, account in accounts.items()}
    return World(app, accounts, sessions, owned, rows, discover(app, sessions["owner"][0], owned))


def endpoint_path(app: Flask, endpoint: str) -> str:
    with app.test_request_context():
        return url_for(endpoint)


@dataclass
class Sent:
    principal: str
    url: str
    headers: dict[str, str]
    body: str | bytes | None = None
    content_type: str | None = None


def draw_request(world: World, route: Route, data: st.DataObject) -> Sent:
    """One hostile request to the route, drawn piece by piece (each piece prints short)."""
    endpoint, rule, method = route
    accepts = getattr(world.app.view_functions[endpoint], "accepts", {})
    principal = data.draw(st.sampled_from(PRINCIPALS), label="principal")
    session = world.sessions.get(principal)
    headers = {"X-CSRFToken": session[1]} if session else {}
    headers |= world.accounts["owner"].bearer if principal == "bearer" else {}
    headers |= {"Authorization": "Bearer sw_forged"} if principal == "forged" else {}

    def argument(match: re.Match[str]) -> str:
        owned = world.owned[match.group(1)][:: -1 if "retry" in endpoint else 1]  # failed first
        if not data.draw(st.booleans(), label=f"hostile {match.group(1)}"):
            return data.draw(st.sampled_from(owned), label=match.group(1))
        tricks = st.sampled_from(PATH_TRICKS + ["/" + v for v in owned])  # "//1": merged
        return pct(data.draw(st.one_of(text, tricks), label=match.group(1)), safe="/%")

    url = re.sub(r"<(?:\w+:)?(\w+)>", argument, rule)
    model = accepts.get("query")
    names = [s.alias or n for n, s in model.model_fields.items()] if model else []
    names = st.sampled_from([*names, *QUERY_NAMES.get(endpoint, []), "next"])
    known = st.sampled_from(sum(world.owned.values(), ["0.0", "1.1", "2026-01-01T00:00:00Z"]))
    queries = st.dictionaries(st.one_of(names, text), st.one_of(known, text), max_size=4)
    query = data.draw(queries, label="query")
    url += "?" + urlencoded(query) if query else ""
    if endpoint in HEADERS:
        key = st.just(KEYS.get(endpoint, KEY))  # a replay of the world's own start
        value = data.draw(st.one_of(key, st.none(), text), label=HEADERS[endpoint])
        if value is not None:  # as a server hands it over: UTF-8 read as Latin-1, one line
            raw = value.encode("utf-8", "surrogatepass").decode("latin-1")
            headers[HEADERS[endpoint]] = raw.replace("\r", "").replace("\n", "")
    sent = Sent(principal, url, headers)
    if method == "GET":
        return sent
    if data.draw(st.integers(0, 5), label="whole body") == 5:
        sent.body, sent.content_type = RAW_BODIES[data.draw(st.sampled_from(list(RAW_BODIES)))]
    elif not rule.startswith("/api/"):
        fields = {**world.forms.get(endpoint, {}), **FORM_VALUES.get(endpoint, {})}
        fields["csrf_token"] = session[1] if session else fields.get("csrf_token", "")
        name = st.one_of(st.sampled_from([*fields, "next"]), text)
        value = st.one_of(text, st.sampled_from(NUMBERS), st.just(MISSING))
        for key, new in data.draw(st.dictionaries(name, value, max_size=4), label="fields").items():
            fields.pop(key, None) if new == MISSING else fields.update({key: new})
        sent.body, sent.content_type = urlencoded(fields), "application/x-www-form-urlencoded"
    elif accepts.get("body"):
        project = world.owned["project_id"][0]
        idea = world.owned["artifact_id"][0]
        raw = json.dumps(BODIES[endpoint]).replace('"<project>"', project)
        raw = raw.replace('"<session>"', world.owned["session_id"][0])
        raw = raw.replace('"<outline>"', world.owned["outline_artifact_id"][0])
        body = json.loads(raw.replace('"<idea>"', idea))
        paths = data.draw(st.lists(st.sampled_from(leaves(accepts["body"], body)), max_size=3))
        for path in paths:
            value = data.draw(st.one_of(st.sampled_from(JSON_VALUES), text), label=str(path))
            set_leaf(body, path, value)
        sent.body, sent.content_type = json.dumps(body), JSON
    return sent


def send(world: World, route: Route, sent: Sent) -> int:
    """Send the request and hold the answer to the rules; its status."""
    endpoint, _rule, method = route
    client = world.app.test_client()
    if sent.principal in world.sessions:
        client.set_cookie("session", world.sessions[sent.principal][0])
    note(f"{method} {sent.url[:300]} as {sent.principal}: {str(sent.body)[:300]!r}")
    before, kwargs = world.rows(), {"data": sent.body, "content_type": sent.content_type}
    response = client.open(sent.url, method=method, headers=sent.headers, **kwargs)
    try:
        status, what = response.status_code, f"{method} {sent.url[:200]}: {response.status}"
        assert status < 500, what
        stream = status == 200 and response.mimetype == "text/event-stream"
        stream |= status == 200 and endpoint in DOWNLOADS  # a file, not an API answer
        stream |= status == 204  # no content: nothing to be JSON
        if urlsplit(sent.url).path.startswith("/api/") and not stream:
            assert response.is_json, f"{what} {response.mimetype}"
            assert status < 400 or "error" in response.get_json(), what
        assert status < 400 or world.rows() == before, f"{what}, yet rows changed"
    finally:
        response.close()  # unread: the page stream never ends
    if endpoint == "auth.logout" and status == 303 and sent.principal in world.sessions:
        world.sessions[sent.principal] = sign_in(world.app, world.accounts[sent.principal])
    return status


def fuzz(world: World, route: Route, examples: int) -> None:
    """Run the examples; then check that some got through, and some were refused."""
    name, started, codes = route_id(route), time.monotonic(), Counter[int]()
    slow = [HealthCheck.too_slow]

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=slow)
    @given(st.data())
    def one(data: st.DataObject) -> None:
        codes[send(world, route, draw_request(world, route, data))] += 1

    try:
        one()
    finally:
        STATS[name] = {"examples": codes.total(), "seconds": time.monotonic() - started}
        STATS[name]["codes"] = " ".join(f"{code}×{n}" for code, n in sorted(codes.items()))
    assert any(200 <= code < 400 for code in codes), f"{name}: nothing got through {codes}"
    assert name in NEVER_REFUSED or any(400 <= c < 500 for c in codes), f"{name}: none refused"
    files = [p for p in Path(world.app.static_folder or "").rglob("*") if p.is_file()]
    assert static_hash.cache_info().currsize <= len(files), "hashed files it never served"


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    """Examples and time per route, and in all, once the module's tests ran (shown even
    without -s)."""
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if not STATS or reporter is None or capture is None:
        return
    examples, seconds = (sum(s[key] for s in STATS.values()) for key in ("examples", "seconds"))
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_sep("-", "fuzz: examples and seconds per route")
        for name, s in STATS.items():
            reporter.write_line(f"{name:52} {s['examples']:5} {s['seconds']:5.1f} s  {s['codes']}")
        reporter.write_line(f"{len(STATS)} routes, {examples} examples, {seconds:.1f} s")


def route_id(route: Route) -> str:
    return f"{route[2]} {route[1]}"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_survives_hostile_requests(world: World, route: Route) -> None:
    fuzz(world, route, CI_EXAMPLES)


@pytest.mark.fuzz
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_survives_a_long_fuzz(world: World, route: Route) -> None:
    fuzz(world, route, LONG_EXAMPLES)


def test_the_pages_forms_are_found(world: World) -> None:
    """The form fuzz starts from real forms: the pages' own, with their own values."""
    wanted = {"auth.login", "auth.signup", "projects.index", "brainstorm.create", "jobs.cancel"}
    assert wanted <= set(world.forms), sorted(world.forms)
    assert all(fields.get("csrf_token") for fields in world.forms.values())
    assert world.forms["brainstorm.create"]["platform"] == "douyin"
    assert world.forms["brainstorm.create"]["idempotency_key"]
