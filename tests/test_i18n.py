"""Chinese and English: every message has a Chinese translation with the same placeholders,
the catalog is up to date with the code, a Chinese reader's pages hold no English message, the
language switch works without JavaScript, and stored messages follow the reader's language."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from factories import BRAINSTORM_PARAMS, make_project, start_job
from support import CSRF, ROOT

from app.artifacts.models import Artifact, TransformOutput
from app.brainstorm.ideas import IDEA_TYPE
from app.extensions import db
from app.jobs.models import RESULT_ROLE, Transform
from app.projects.models import Project

TRANSLATIONS = ROOT / "translations"
CATALOG = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
TEMPLATE = TRANSLATIONS / "messages.pot"
# As `make i18n` extracts (the Makefile's keywords beside Babel's defaults).
KEYWORDS = ["-k", "N_", "-k", "_l", "-k", "lazy_gettext"]
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]?\d*(?:\.\d+)?([diouxXeEfFgGcrs%])")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
# What this module's writer names and writes: user content, left out of the checked text.
MINE = ("Qiyu Lane", "Lantern Street notes", "Xylo title", "Xylo body text", "mei")


def load(path: Path):  # noqa: ANN201 - a Babel catalog
    with path.open("rb") as f:
        return read_po(f, locale="zh" if path.suffix == ".po" else None)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def messages(catalog) -> list:  # noqa: ANN001 - a Babel catalog
    return [m for m in catalog if m.id]


# ---- the catalog --------------------------------------------------------------------------


def test_every_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    catalog = load(CATALOG)
    assert catalog.num_plurals == 1  # Chinese has one plural form
    found = messages(catalog)
    assert len(found) > 300
    for message in found:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, f"fuzzy: {ids[0]!r}"
        assert all(s.strip() for s in strings), f"untranslated: {ids[0]!r}"
        for string in strings:
            # A plural's translation may leave the count out; no other may drop a value.
            wanted = set(placeholders(ids[-1])) if message.pluralizable else None
            if wanted is None:
                assert placeholders(string) == placeholders(ids[0]), (ids[0], string)
            else:
                assert set(placeholders(string)) <= wanted, (ids[0], string)


def test_the_catalog_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS]
        + ["--omit-header", "-o", str(fresh), str(ROOT)]
    )
    code = {m.id for m in messages(load(fresh))}
    template = {m.id for m in messages(load(TEMPLATE))}
    translated = {m.id for m in messages(load(CATALOG))}
    assert code == template, "run `make i18n` (then translate what is new)"
    assert template == translated, "run `make i18n` (then translate what is new)"


def test_the_compiled_catalog_is_fresh() -> None:
    compiled = CATALOG.with_suffix(".mo")
    assert compiled.exists(), "run `make install` (it compiles the catalogs)"
    assert compiled.stat().st_mtime >= CATALOG.stat().st_mtime, "run `make install`"


# ---- what a Chinese reader sees -------------------------------------------------------------


class Visible(HTMLParser):
    """The text a reader sees (or hears): text nodes, and the attributes browsers show."""

    SHOWN = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if value and (name in self.SHOWN or name.startswith("data-")):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = Visible()
    parser.feed(page)
    text = " ".join(parser.parts)
    for mine in MINE:
        text = text.replace(mine, " ")
    return html.unescape(text)


def english_messages() -> list[tuple[str, re.Pattern]]:
    """Each English message a Chinese page must not show, as a pattern (values: anything)."""
    found = []
    for message in messages(load(CATALOG)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            literal = PLACEHOLDER.sub("", msgid)
            if len(literal.strip()) <= 3 or msgid in strings:
                continue
            parts = [re.escape(p.replace("%%", "%")) for p in re.split(r"%\(\w+\)[ds]", msgid)]
            pattern = r"(?<![A-Za-z])" + r".{1,40}?".join(parts) + r"(?![A-Za-z])"
            found.append((msgid, re.compile(pattern)))
    return found


def assert_chinese(page: str, where: str) -> None:
    assert '<html lang="zh-CN">' in page, where
    text = visible_text(page)
    assert re.search("[\u4e00-\u9fff]", text), where
    shown = [msgid for msgid, pattern in english_messages() if pattern.search(text)]
    assert shown == [], (where, shown)


@pytest.fixture
def world(app, client, auth, make_user) -> dict:
    """mei's project with a finished brainstorm (two ideas in the library) and a failed one,
    as stored; no worker ever sees them."""
    mei = make_user("mei")
    project = make_project(app, mei.id, "Qiyu Lane")
    done = start_job(app, "brainstorm", project, mei.id, BRAINSTORM_PARAMS, launch=False)
    with app.app_context():
        job = db.session.get(Transform, done)
        job.status, job.progress, job.progress_message = "completed", 100, "Done."
        job.finished_at = job.seen_at = job.updated_at
        ideas = [
            Artifact(
                project_id=project, type=IDEA_TYPE, data={"title": t, "body": "Xylo body text"}
            )
            for t in ("Xylo title", "Xylo title")
        ]
        db.session.add_all(ideas)
        db.session.flush()
        for position, idea in enumerate(ideas):
            db.session.add(
                TransformOutput(
                    transform_id=done, artifact_id=idea.id, role=RESULT_ROLE, position=position
                )
            )
        db.session.get(Project, project).description = "Lantern Street notes"
        db.session.commit()
        idea_id = ideas[0].id
    failed = start_job(app, "brainstorm", project, mei.id, BRAINSTORM_PARAMS, launch=False)
    with app.app_context():
        job = db.session.get(Transform, failed)
        job.status, job.progress_message = "failed", "Failed."
        job.error, job.error_params = (
            "The model's server failed (HTTP %(status)d).",
            {"status": 502},
        )
        job.error_code, job.finished_at, job.seen_at = (
            "server_error",
            job.updated_at,
            job.updated_at,
        )
        db.session.commit()
    return {"account": mei, "project": project, "done": done, "failed": failed, "idea": idea_id}


def test_a_chinese_reader_sees_no_english_message(client, auth, world) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    for url in ("/login", "/signup"):
        assert_chinese(client.get(url).get_data(as_text=True), url)
    refused = client.post("/signup", data={"csrf_token": auth.csrf(), "username": "a"})
    assert refused.status_code == 422
    assert_chinese(refused.get_data(as_text=True), "sign-up errors")
    assert "该字段是必填字段" in refused.get_data(as_text=True)  # WTForms' own catalog
    auth.login(world["account"])
    project, idea = world["project"], world["idea"]
    pages = [
        "/projects/",
        f"/projects/{project}",
        f"/projects/{project}/brainstorm",
        f"/jobs/{world['done']}",
        f"/jobs/{world['failed']}",
        "/jobs/",
        f"/artifacts/{idea}/outline",
        f"/projects/{project}/research",
        f"/artifacts/{idea}/versions",
        "/account/",
        "/projects/999999",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_chinese(response.get_data(as_text=True), url)
    library = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "Xylo title" in library and "头脑风暴" in library and "创意" in library


def test_an_english_reader_gets_english(client) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page.text and "Sign in" in page.text
    default = client.get("/login", headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in default and "Sign in" in default


# ---- the switch -----------------------------------------------------------------------------


def switch(client, language: str, next_: str | None, token: str):  # noqa: ANN001, ANN201
    data = {"csrf_token": token, "language": language}
    if next_ is not None:
        data["next"] = next_
    return client.post("/language", data=data)


def test_the_switch_works_without_javascript(client, auth, world) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    auth.login(world["account"])
    here = f"/jobs/?project={world['project']}"
    page = client.get(here).text
    form = re.search(r'<form method="post" action="/language".*?</form>', page, re.S)
    assert form is not None  # a plain form in the header: no JavaScript needed
    assert 'value="en"' in form.group() and "English" in form.group()
    assert f'name="next" value="{html.escape(here)}"' in form.group()
    token = CSRF.search(form.group())
    assert token is not None

    moved = switch(client, "en", here, token.group(1) or token.group(2))
    assert moved.status_code == 303 and moved.headers["Location"] == here
    cookie = moved.headers["Set-Cookie"]
    assert cookie.startswith("language=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie  # kept across browser restarts
    english = client.get(here).text  # the browser still asks for Chinese: the choice wins
    assert '<html lang="en">' in english and ">Jobs<" in english and 'value="zh"' in english

    back = switch(client, "zh", "/projects/", auth.csrf("/projects/"))
    assert back.headers["Location"] == "/projects/"
    assert_chinese(client.get("/projects/").text, "after switching back")


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x", None]
)
def test_the_switch_ignores_an_unsafe_next(client, auth, target) -> None:
    moved = switch(client, "zh", target, auth.csrf())
    assert moved.status_code == 303 and moved.headers["Location"] == "/"
    assert "language=zh" in moved.headers["Set-Cookie"]


def test_the_switch_refuses_other_languages_and_forged_posts(client, auth) -> None:
    refused = switch(client, "fr", "/login", auth.csrf())
    assert refused.status_code == 400 and "Set-Cookie" not in refused.headers
    forged = client.post("/language", data={"language": "zh", "next": "/login"})
    assert forged.status_code == 400 and "language=" not in forged.headers.get("Set-Cookie", "")


def test_a_signed_out_reader_can_switch(client, auth) -> None:
    moved = switch(client, "zh", "/login", auth.csrf())
    assert moved.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "en"}).text
    assert '<html lang="zh-CN">' in page and "登录" in page


# ---- stored messages ------------------------------------------------------------------------


def test_stored_messages_render_in_the_readers_language(app, client, auth, world) -> None:
    with app.app_context():
        job = db.session.get(Transform, world["done"])
        job.status, job.lease_expires_at = "running", None  # no sweeper takes it over
        job.progress_message = "No news from the model for %(minutes)d min."
        job.progress_params = {"minutes": 3}
        db.session.commit()
    auth.login(world["account"])
    bearer = world["account"].bearer

    page = client.get(f"/jobs/{world['done']}", headers=ZH).text
    assert "模型已有 3 分钟没有回应。" in page
    api = client.get(f"/api/jobs/{world['done']}", headers={**bearer, **ZH}).json
    assert api["progressMessage"] == "模型已有 3 分钟没有回应。"
    english = client.get(f"/api/jobs/{world['done']}", headers={**bearer, "Accept-Language": "en"})
    assert english.json["progressMessage"] == "No news from the model for 3 min."

    failed = client.get(f"/jobs/{world['failed']}", headers=ZH).text
    assert "模型服务器出错（HTTP 502）。" in failed
    assert "模型服务器出错（HTTP 502）。" in client.get("/jobs/", headers=ZH).text
    api = client.get(f"/api/jobs/{world['failed']}", headers={**bearer, **ZH}).json
    assert api["error"] == "模型服务器出错（HTTP 502）。" and api["errorCode"] == "server_error"
    english = client.get(
        f"/api/jobs/{world['failed']}", headers={**bearer, "Accept-Language": "en"}
    )
    assert english.json["error"] == "The model's server failed (HTTP 502)."
