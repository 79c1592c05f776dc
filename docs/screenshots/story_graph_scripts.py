"""Take story-graph-scripts.png again: `.venv/bin/python docs/screenshots/story_graph_scripts.py`.

The story graph of a project whose episode 2 was regenerated after an edit of the character
bible: what was written from the older bible (and episode 3, written before the new episode
2) is drawn with a dashed orange outline, "based on an older version". The app runs as
bench/scripts_demo.py runs it (bench/common.py: a fresh SQLite file, Redis db 2, `app.py` and
one `worker.py` on the offline demo model, paced at 1 ms a token: the picture does not depend
on the pace); Chromium as the browser tests launch it. Prints the lineage it drew: nodes by
type, and which are stale."""

import json
import re
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

import httpx2  # noqa: E402
from common import (  # noqa: E402
    PASSWORD,
    USERNAME,
    csrf_token,
    install_cleanup,
    sign_in,
    wait_until,
)
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from outline_demo import FINISHED, DemoApp, brainstorm, outline  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from scripts_demo import bible, scripts  # noqa: E402
from support import Account  # noqa: E402
from test_browser import sign_in as sign_in_page  # noqa: E402
from test_browser import watch, watched_context  # noqa: E402

PICTURE = Path(__file__).resolve().with_name("story-graph-scripts.png")
EPISODES = 3  # written from the first bible; episode 2 is regenerated from the edited one
MARGIN = 96  # px on each side of the graph in the picture
UNCOVER = """() => {
  document.querySelector("main").style.maxWidth = "none";
  document.querySelector(".notices").style.display = "none";
}"""


def older(character: dict[str, Any]) -> dict[str, Any]:
    """The character five years older (the first number of the age, or 30)."""
    age = str(character.get("age") or "")
    aged = re.sub(r"\d+", lambda m: str(int(m[0]) + 5), age, count=1)
    return {**character, "age": aged if aged != age else "30"}


def edit_bible(http: httpx2.Client, artifact: int, characters: list[dict[str, Any]]) -> int:
    """A new version of the bible with the lead five years older; its artifact id."""
    edited = [older(characters[0]), *characters[1:]]
    response = http.post(
        f"/api/artifacts/{artifact}/edit",
        json={"data": {"characters": edited}, "description": "The lead is five years older."},
    )
    if response.status_code != 201:
        raise RuntimeError(f"the bible's edit answered {response.status_code}: {response.text}")
    return response.json()["artifactId"]


def regenerate(page: httpx2.Client, episode: int) -> int:
    """Press Regenerate on the episode's page (a signed-in form POST); the new job's id."""
    html = page.get(f"/episodes/{episode}").text
    if "Based on an older version" not in html:
        raise RuntimeError(f"episode {episode} is not marked as based on an older version")
    response = page.post(f"/artifacts/{episode}/regenerate", data={"csrf_token": csrf_token(html)})
    if response.status_code != 303:
        raise RuntimeError(f"regenerate answered {response.status_code}")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def summary(lineage: dict[str, Any]) -> dict[str, Any]:
    """Nodes by type, and the stale ones by label."""
    nodes = lineage["nodes"]
    counted = Counter(f"{n['node']} {n['type']}" for n in nodes)
    return {
        "nodes": len(nodes),
        "edges": len(lineage["edges"]),
        "byType": dict(sorted(counted.items())),
        "stale": [
            {"refId": n["refId"], "type": n["type"], "label": n["label"], "detail": n["detail"]}
            for n in nodes
            if n.get("stale")
        ],
    }


def build(app: DemoApp) -> int:
    """Brainstorm, outline, bible, episodes 1-3, an edit of the bible, episode 2 again; the
    project's id."""
    with app.client() as http, closing(sign_in(app.base_url)) as page:
        project = app.project("Story graph")
        ideas = brainstorm(http, project)
        made = outline(http, project, ideas.final["ideas"][0]["artifactId"], episodeCount=12)
        version = made.final["artifactId"]
        cast = bible(http, project, version)
        written = scripts(http, project, version, EPISODES)
        edited = edit_bible(http, cast.final["artifactId"], cast.final["characters"])
        job = regenerate(page, written.final["episodes"][1]["artifactId"])
        path = f"/api/scripts/{job}"
        wait_until(
            lambda: http.get(path).json()["status"] in FINISHED, 300, "episode 2 again", 0.05
        )
        again = http.get(path).json()
        if again["status"] != "completed" or again["bibleArtifactId"] != edited:
            raise RuntimeError(
                f"episode 2 again: {again['status']}, bible {again['bibleArtifactId']}"
            )
        lineage = http.get(f"/api/projects/{project}/lineage").json()
        print(json.dumps(summary(lineage), indent=2, ensure_ascii=False))
    return project


def picture(app: DemoApp, project: int) -> None:
    """The project page in Chromium, wide enough for the whole graph at its own size; the
    graph's <svg> alone to PICTURE."""
    account = Account(0, USERNAME, PASSWORD, app.token)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with watched_context(browser, locale="en-US") as (context, errors):
            page = watch(context.new_page(), errors)
            sign_in_page(page, app.base_url, account)
            page.goto(f"{app.base_url}/projects/{project}")
            graph = page.locator("svg.graph")
            width = int(float(graph.get_attribute("width") or 0))
            # The page's column is narrower than the graph, whose container scrolls: let the
            # column hold all of it. The notices of the finished jobs float over it: hide them.
            page.evaluate(UNCOVER)
            page.set_viewport_size({"width": width + 2 * MARGIN, "height": 900})
            graph.screenshot(path=PICTURE)
            stale = page.locator("svg.graph .graph-stale").count()
            if errors:
                raise RuntimeError(f"the project page reported errors: {errors}")
        browser.close()
    print(f"{PICTURE.relative_to(ROOT)}: {width} px wide, {stale} stale boxes drawn")


if __name__ == "__main__":
    install_cleanup()
    demo = DemoApp.start("sqlite", {"DEMO_TOKEN_DELAY_MS": "1"})
    try:
        picture(demo, build(demo))
    finally:
        demo.stop()
