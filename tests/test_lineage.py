"""The story graph: the lineage API is the database's graph (every artifact and transform, every
input and output), and the project page draws it as an SVG, escaped, with many siblings folded
into one box that opens to a list."""

import json
import xml.etree.ElementTree as ET
from typing import Any

from factories import BRAINSTORM_PARAMS, make_project, start_job
from sqlalchemy import func, select
from support import wait_for
from test_outline import document, final, start

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.extensions import db
from app.jobs.models import Transform


def brainstorm(app: Any, http: Any, user_id: int, project: int, n: int = 3) -> dict[str, Any]:
    job_id = start_job(app, "brainstorm", project, user_id, {**BRAINSTORM_PARAMS, "numIdeas": n})
    wait_for(lambda: http.get(f"/api/ideations/{job_id}").json()["status"] == "completed")
    return http.get(f"/api/ideations/{job_id}").json()


def test_the_lineage_is_the_databases_graph_and_the_page_draws_it(
    app, api, web, make_user, provider
):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    first, second = brainstorm(app, http, mei.id, project), brainstorm(app, http, mei.id, project)
    idea = first["ideas"][0]["artifactId"]
    hostile = "<script>alert(1)</script>"
    v2 = http.post(f"/api/artifacts/{idea}/edit", json={"data": {"title": hostile, "body": "b"}})
    v3 = http.post(
        f"/api/artifacts/{v2.json()['artifactId']}/edit",
        json={"data": {"title": "第三版", "body": "b"}, "description": "tightened"},
    ).json()
    provider.script("graph", json.dumps(document(10), ensure_ascii=False))
    branches = [
        final(
            http,
            start(http, project, source, episodeCount=10, notes="[[script:graph]]").json()[
                "outlineId"
            ],
        )
        for source in (idea, v3["artifactId"])
    ]
    assert all(b["status"] == "completed" for b in branches)

    graph = http.get(f"/api/projects/{project}/lineage").json()
    nodes = {n["id"]: n for n in graph["nodes"]}
    edges = {(e["from"], e["to"], e["role"]) for e in graph["edges"]}
    with app.app_context():
        artifacts = db.session.scalars(
            select(Artifact.id).where(Artifact.project_id == project)
        ).all()
        transforms = db.session.scalars(
            select(Transform).where(Transform.project_id == project)
        ).all()
        inputs = db.session.execute(
            select(TransformInput.artifact_id, TransformInput.transform_id, TransformInput.role)
        ).all()
        outputs = db.session.execute(
            select(TransformOutput.transform_id, TransformOutput.artifact_id, TransformOutput.role)
        ).all()
        humans = db.session.scalar(
            select(func.count()).where(Transform.project_id == project, Transform.type == "human")
        )
    assert set(nodes) == {f"artifact:{a}" for a in artifacts} | {
        f"transform:{t.id}" for t in transforms
    }
    assert edges == {(f"artifact:{a}", f"transform:{t}", r) for a, t, r in inputs} | {
        (f"transform:{t}", f"artifact:{a}", r) for t, a, r in outputs
    }
    assert humans == 2 and len(graph["nodes"]) == len(artifacts) + len(transforms)

    # The line of versions, and the two outline branches, as edges.
    edit = v2.json()["humanTransformId"]
    assert (f"artifact:{idea}", f"transform:{edit}", "source") in edges
    assert (f"transform:{edit}", f"artifact:{v2.json()['artifactId']}", "version") in edges
    for branch, source in zip(branches, (idea, v3["artifactId"]), strict=True):
        assert (f"artifact:{source}", f"transform:{branch['id']}", "source") in edges
        assert (f"transform:{branch['id']}", f"artifact:{branch['artifactId']}", "result") in edges
    human = nodes[f"transform:{v3['humanTransformId']}"]
    assert (human["type"], human["transformType"], human["detail"]) == (
        "edit",
        "human",
        "tightened",
    )
    outline = nodes[f"transform:{branches[0]['id']}"]
    assert outline["transformType"] == "llm" and outline["url"] == f"/jobs/{branches[0]['id']}"
    assert "tokens" in outline["detail"]
    assert nodes[f"artifact:{v3['artifactId']}"]["detail"] == "v3"
    assert {n["node"] for n in graph["nodes"]} == {"artifact", "transform"}

    # The project page draws it: well-formed SVG, text escaped, every node linked or listed.
    page = web().login(mei).http.get(f"/projects/{project}").text
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    ET.fromstring(svg)  # well-formed: nothing from a title broke out of its text
    assert "<script>alert" not in page and "&lt;script&gt;" in svg
    assert f'href="/jobs/{branches[1]["id"]}"' in svg
    assert f'href="/jobs/{second["id"]}"' in svg


def test_many_siblings_fold_into_one_box_that_opens_to_a_list(app, api, web, make_user):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    run = brainstorm(app, http, mei.id, project, n=8)
    page = web().login(mei).http.get(f"/projects/{project}").text
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    assert "8 × Idea" in svg
    anchor = svg.split('href="#', 1)[1].split('"', 1)[0]
    listed = page[page.index(f'id="{anchor}"') :]
    for idea in run["ideas"]:
        assert f'href="/artifacts/{idea["artifactId"]}/versions"' in listed
