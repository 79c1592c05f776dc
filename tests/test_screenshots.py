"""Screenshots of the main pages at a phone's width and a desktop's, as docs/screenshots/ shows
them (`python docs/screenshots/take.py` takes them again). Without SCREENSHOTS=1 they go to a
temporary folder: the run still checks that every page renders without a console error."""

import json
import os
import re
from pathlib import Path

import pytest
from test_browser import sign_in, watch, watched_context
from test_browser_phone import finished, start

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# Which languages to take (`zh` once the interface speaks it): SCREENSHOT_LANGUAGES=en,zh.
LANGUAGES = os.environ.get("SCREENSHOT_LANGUAGES", "en").split(",")
BROWSER_LOCALES = {"en": "en-US", "zh": "zh-CN"}  # what the browser asks for (Accept-Language)
SIZES = {390: 844, 1280: 800}
# What a writer would have typed and a model written, in each language.
SAMPLES = {
    "en": {
        "projects": ["Rainy night café", "The heir returns"],
        "description": "A sweet romance in a café about to close; 60 episodes for Douyin.",
        "ideas": [
            (
                "The café bet",
                "She bets the tycoon who wants to buy her street that he cannot run "
                "her café for one week. Every episode ends with a note hidden in a cup.",
            ),
            (
                "Regulars with secrets",
                "A retired judge, a street cat and a rival barista: each "
                "regular hides a secret that saves the café once.",
            ),
            (
                "Last order",
                "On the night the café closes, the last customer turns out to be her "
                "missing father, and he has come to buy it back.",
            ),
        ],
    },
    "zh": {
        "projects": ["雨夜咖啡店", "继承人归来"],
        "description": "快倒闭的咖啡店里的甜宠故事；抖音 60 集。",
        "ideas": [
            (
                "咖啡店的赌约",
                "她和要收购整条街的总裁打赌：他经营不了她的咖啡店一周。每集都以杯中的纸条结尾。",
            ),
            (
                "藏着秘密的常客",
                "退休法官、流浪猫和对手咖啡师：每位常客都藏着一个秘密，各救咖啡店一次。",
            ),
            ("最后一单", "咖啡店关门那晚，最后一位客人竟是她失踪多年的父亲，他来把店买回去。"),
        ],
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_screenshots_of_the_main_pages(
    browser, server, provider, make_user, api, language, tmp_path
):
    out = DOCS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    sample = SAMPLES[language]
    account = make_user("writer")
    http = api(account)
    ideas = [{"title": title, "body": body} for title, body in sample["ideas"]]
    provider.script(f"shots{language}", json.dumps({"ideas": ideas}, ensure_ascii=False))
    projects = [
        http.post(
            "/api/projects", json={"name": name, "description": sample["description"]}
        ).json()["projectId"]
        for name in sample["projects"]
    ]
    # Two finished brainstorms nobody has looked at yet: the pages show their notices.
    jobs = [start(http, project, f"shots{language}", len(ideas)) for project in projects]
    for job in jobs:
        finished(http, job)
    pages = {
        "projects": "/projects/",
        "project": f"/projects/{projects[0]}",
        "brainstorm": f"/projects/{projects[0]}/brainstorm",
        "jobs": "/jobs/",
        "job": f"/jobs/{jobs[0]}",  # last: opening it marks its notice seen
    }
    with watched_context(browser, locale=BROWSER_LOCALES[language]) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, account)
        for name, path in pages.items():
            for width, height in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(server.url + path)
                assert re.fullmatch(r"zh(-CN)?|en", page.get_attribute("html", "lang") or "")
                page.screenshot(path=out / f"{language}-{width}-{name}.png")
        assert errors == []
    assert len(list(out.glob(f"{language}-*.png"))) == len(SIZES) * len(pages)
