"""Every page on a phone in a real Chromium: nothing wider than the screen, tap targets a
finger can hit, and notices that never hide the page (the newest shows, "N more", dismiss all)."""

import json
from typing import Any

import pytest
from factories import BRAINSTORM_PARAMS
from test_browser import sign_in, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONES = [(390, 844), (360, 740)]
DESKTOP = (1280, 800)
TAP = 44  # px: the smallest tap target on a phone
# Long unbroken strings, as writers and models write them.
URL = "https://example.com/" + "very-long-path-segment/" * 8 + "?q=" + "x" * 60
NAME = "Averyveryverylongprojectnamewithoutanyspacesatall" * 2
IDEAS = [
    {"title": "雨夜咖啡店" * 6, "body": f"她接手了一家快倒闭的咖啡店。See {URL} for the map."},
    {"title": "Rivals", "body": "Two rivals share one apartment. " * 6 + "x" * 150},
]

# The page's width, and what makes it wider than the screen (so a failure says where to look).
WIDTH = """() => {
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (typeof e.className === "string" && e.className ? "." + e.className.trim() : "");
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((e) => name(e) + " → " + Math.round(e.getBoundingClientRect().right));
  return {width: document.documentElement.scrollWidth, screen: window.innerWidth, wide};
}"""
# Nav links, buttons and form controls that show, with their height.
TARGETS = """() => [...document.querySelectorAll(`
    header a, header button, main button, main a.button, main select, main textarea, main summary,
    main input:not([type=hidden], [type=radio], [type=checkbox]), main label.chip,
    .notices a, .notices button, .notices summary`)]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden")
  .map((e) => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])"""
# The header's links and buttons not wholly on the screen (it wraps instead). In one call: the
# page stream may swap the nav's Jobs link meanwhile.
HEADER = """() => [...document.querySelectorAll("header.top a, header.top button")]
  .map((e) => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
  .filter(([, box]) => box.left < 0 || box.right > window.innerWidth)"""
# Whether the page's heading is what a finger at its centre would touch.
UNCOVERED = """() => {
  const h1 = document.querySelector("main h1"), box = h1.getBoundingClientRect();
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return h1.contains(top);
}"""


def fits(page: Any, where: str) -> None:
    seen = page.evaluate(WIDTH)
    assert seen["width"] <= seen["screen"], (where, seen)


def fingertip_sized(page: Any, where: str) -> None:
    targets = page.evaluate(TARGETS)
    assert targets, where
    small = [(html, height) for html, height in targets if height < TAP]
    assert small == [], where


def start(http: Any, project_id: int, script: str, ideas: int = 2) -> int:
    """Start a brainstorm whose model says what the script says; the job's id."""
    params = {**BRAINSTORM_PARAMS, "requirements": f"[[script:{script}]]", "numIdeas": ideas}
    started = http.post("/api/brainstorm/start", json={"projectId": project_id, "params": params})
    assert started.status_code == 202, started.text
    return started.json()["transformId"]


def finished(http: Any, job_id: int) -> None:
    """Wait until the job has completed."""
    until(lambda: http.get(f"/api/jobs/{job_id}").json()["status"], lambda s: s == "completed")


def test_every_page_fits_a_phone(browser, server, provider, make_user, api):
    account = make_user("a_writer_with_a_rather_long_username")
    http = api(account)
    provider.script("done", json.dumps({"ideas": IDEAS}, ensure_ascii=False))
    provider.script("held", json.dumps({"ideas": IDEAS}, ensure_ascii=False), pause_at=3)
    project_id = http.post("/api/projects", json={"name": NAME, "description": URL}).json()[
        "projectId"
    ]
    done = start(http, project_id, "done")
    finished(http, done)
    idea = http.get(f"/api/projects/{project_id}/ideas").json()["ideas"][0]["artifactId"]
    edit = {"data": {"title": "改过的标题", "body": URL}, "description": "shorter"}
    assert http.post(f"/api/artifacts/{idea}/edit", json=edit).status_code == 201
    running = start(http, project_id, "held")  # held by the model until the test ends
    pages = {
        "projects": "/projects/",
        "project": f"/projects/{project_id}",
        "brainstorm": f"/projects/{project_id}/brainstorm",
        "job running": f"/jobs/{running}",
        "jobs": "/jobs/",
        "versions": f"/artifacts/{idea}/versions",
        "outline": f"/artifacts/{idea}/outline",
        "research": f"/projects/{project_id}/research",
        "job finished": f"/jobs/{done}",  # last: until opened, its notice shows on every page
    }
    with watched_context(browser) as (context, errors):
        page = watch(context.new_page(), errors)
        for width, height in PHONES:
            page.set_viewport_size({"width": width, "height": height})
            for path in ("/login", "/signup"):
                page.goto(server.url + path)
                fits(page, f"{path} at {width}")
                fingertip_sized(page, f"{path} at {width}")
        sign_in(page, server.url, account)
        for width, height in PHONES:
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                page.goto(server.url + path)
                fits(page, f"{name} at {width}")
                fingertip_sized(page, f"{name} at {width}")
                assert page.evaluate(UNCOVERED), f"{name} at {width}"
                assert page.evaluate(HEADER) == [], f"{name} at {width}"
                if name == "project":  # the story graph scrolls in its own box
                    graph = page.locator(".graph-scroll")
                    assert graph.evaluate("e => e.scrollWidth > e.clientWidth")
                if name == "jobs":  # its rows are cards
                    assert page.locator("table.jobs thead").is_hidden()
        # The desktop keeps its table.
        page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
        page.goto(server.url + "/jobs/")
        assert page.locator("table.jobs thead").is_visible()
        assert errors == []


def notices(page: Any) -> tuple[list[str], int | None]:
    """The notices a reader sees (their ids), and how many wait behind "N more" (None when
    that line does not show). N itself is a CSS counter of the hidden ones; the page shows it
    when the counter's box has a width."""
    return tuple(
        page.evaluate("""() => {
          const all = [...document.querySelectorAll("#notices > .notice")];
          const shown = all.filter((e) => getComputedStyle(e).visibility !== "hidden");
          const more = document.querySelector(".notices-more");
          if (!more.checkVisibility()) return [shown.map((e) => e.id), null];
          const count = more.querySelector(".notices-count");
          if (!count.getBoundingClientRect().width) return [shown.map((e) => e.id), 0];
          return [shown.map((e) => e.id), all.length - shown.length];
        }""")
    )


def test_notices_on_a_phone_leave_the_page_visible_and_go_all_at_once(
    browser, server, provider, make_user, api
):
    account = make_user("busy")
    http = api(account)
    provider.script("quick", json.dumps({"ideas": IDEAS[:1]}, ensure_ascii=False))
    provider.script("last", json.dumps({"ideas": IDEAS[:1]}, ensure_ascii=False), pause_at=3)
    names = ["Coffee", "Heir", "Rivals", "Finale"]
    projects = [http.post("/api/projects", json={"name": n}).json()["projectId"] for n in names]
    jobs = []
    for project in projects[:3]:
        jobs.append(start(http, project, "quick"))
        finished(http, jobs[-1])
    last = start(http, projects[3], "last")
    newest_first = [f"notice_{job}" for job in reversed(jobs)]

    with watched_context(browser, viewport={"width": 390, "height": 844}) as (context, errors):
        phone = watch(context.new_page(), errors)
        sign_in(phone, server.url, account)
        phone.goto(server.url + "/projects/")
        desktop = watch(context.new_page(), errors)
        desktop.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
        desktop.goto(server.url + "/jobs/")

        # Three notices: the phone shows the newest in a strip, the page stays in view.
        assert notices(phone) == (newest_first[:1], 2)
        strip = phone.locator("section.notices").bounding_box()
        assert strip and strip["height"] <= 0.25 * 844, strip
        assert strip["y"] + strip["height"] <= 844
        assert phone.evaluate(UNCOVERED)
        for job, name in zip(jobs, names, strict=False):  # each names its kind, number, project
            text = phone.locator(f"#notice_{job}").text_content() or ""
            assert f"Brainstorm #{job}" in text and f"“{name}”" in text, text
        fingertip_sized(phone, "notices")
        assert notices(desktop) == (newest_first, None)  # three fit a desktop

        # One more ends while both pages are open: it comes first, the others move behind.
        provider.release("last")
        for page in (phone, desktop):
            page.wait_for_selector(f"#notice_{last}", timeout=30_000)
        assert notices(phone) == ([f"notice_{last}"], 3)
        assert notices(desktop) == ([f"notice_{last}", *newest_first[:2]], 1)
        assert phone.locator("section.notices").bounding_box()["height"] <= 0.25 * 844

        # "N more" opens the rest (no JavaScript needed: a <details>).
        phone.click(".notices-more summary")
        assert len(notices(phone)[0]) == 4
        phone.click(".notices-more summary")
        assert len(notices(phone)[0]) == 1

        # Dismiss all: gone here (htmx), and from the other page (its stream says they were seen).
        phone.click(".notices-bar button")
        phone.wait_for_selector("#notices > .notice", state="detached", timeout=10_000)
        assert phone.locator("section.notices").is_hidden()
        desktop.wait_for_selector("#notices > .notice", state="detached", timeout=10_000)
        for page in (phone, desktop):
            page.reload()
            assert page.locator("#notices > .notice").count() == 0
        assert errors == []
