"""A brainstorm through the real server, worker and provider."""

from support import ideas_json, wait_for


def test_brainstorm_runs_to_completion(api, make_user, provider):
    http = api(make_user("alice"))
    provider.script("smoke", ideas_json([("One", "First body."), ("Two", "Second body.")]))
    project = http.post("/api/projects", json={"name": "P"}).json()["projectId"]
    params = {
        "platform": "douyin",
        "genrePaths": [["女频", "爱情", "甜宠"]],
        "genreProportions": [100],
        "requirements": "[[script:smoke]]",
        "numIdeas": 2,
    }
    started = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    assert started.status_code == 202, started.text
    run = started.json()["ideationRunId"]
    state = wait_for(
        lambda: (s := http.get(f"/api/ideations/{run}").json())["status"] == "completed" and s
    )
    assert [i["title"] for i in state["ideas"]] == ["One", "Two"]
