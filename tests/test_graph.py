"""The story graph: a lineage drawn as SVG that parses, reads and never runs what it shows."""

import copy
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.graph import (
    BOX_W,
    EM_PER_UNIT,
    FOLD_OVER,
    PAD,
    Drawing,
    Layout,
    fit,
    layout,
    render,
    text_width,
)

S = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "</text><script>alert(1)</script>",
    '"onload="x',
    "' onmouseover='x",
    "<![CDATA[ ]]> &amp; &#0; &",
    "]]>",
    "\x00\x1b\ud800\ufffe",
    "霸道总裁 <b>爱</b> 上我",
]
TYPES = {
    "artifact": ["brainstorm_params", "brainstorm_idea", "outline"],
    "transform": ["brainstorm", "outline", "edit", "revert"],
}
ELEMENTS = {"svg", "title", "defs", "marker", "path", "g", "a", "rect", "text"}
labels = st.text(max_size=40) | st.sampled_from(HOSTILE)
examples = settings(max_examples=60, deadline=None, database=None)


def art(i: int, type_: str = "brainstorm_idea", label: str = "", **more: Any) -> dict[str, Any]:
    node = {"id": f"artifact:{i}", "node": "artifact", "refId": i, "type": type_}
    return node | {"label": label or f"{type_} {i}", "detail": "", "url": f"/a/{i}"} | more


def job(i: int, type_: str = "brainstorm", how: str = "llm", **more: Any) -> dict[str, Any]:
    node = {"id": f"transform:{i}", "node": "transform", "refId": i, "type": type_}
    return (
        node | {"transformType": how, "label": type_, "detail": "m · 10 tokens", "url": None} | more
    )


def edge(a: dict[str, Any], b: dict[str, Any], role: str = "in") -> dict[str, str]:
    return {"from": a["id"], "to": b["id"], "role": role}


def brainstorm(ideas: int) -> dict[str, Any]:
    params, run = art(1, "brainstorm_params"), job(1)
    children = [art(10 + i, label=f"Idea {i}") for i in range(ideas)]
    return {
        "nodes": [params, run, *children],
        "edges": [edge(params, run), *(edge(run, c, "idea") for c in children)],
    }


@st.composite
def lineages(draw: st.DrawFn, max_nodes: int = 60) -> dict[str, Any]:
    """Random lineages: artifacts and transforms alternating along edges, older to newer."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    size = draw(st.integers(1, max_nodes))
    while len(nodes) < size:
        kind = draw(st.sampled_from(["artifact", "transform"])) if nodes else "artifact"
        type_ = draw(st.sampled_from(TYPES[kind]))
        others = [n for n in nodes if n["node"] != kind]
        parents = []
        if others:  # often the newest few, so that large families (folds) happen
            pick = st.sampled_from(others[-2:]) | st.sampled_from(others)
            parents = draw(st.lists(pick, max_size=3, unique_by=lambda n: n["id"]))
        for _ in range(min(draw(st.sampled_from([1, 1, 1, 4, 7, 9])), size - len(nodes))):
            i, label, detail = len(nodes), draw(labels), draw(labels)
            url = draw(st.none() | st.just(f"/x/{i}"))
            if kind == "artifact":
                node = art(i, type_, label, detail=detail, url=url)
            else:
                how = "human" if type_ in ("edit", "revert") else "llm"
                node = job(i, type_, how, label=label, detail=detail, url=url)
            nodes.append(node)
            edges.extend(edge(p, node) for p in parents)
    return {"nodes": nodes, "edges": edges}


def parse(drawing: Drawing) -> ET.Element:
    root = ET.fromstring(drawing.svg)
    assert root.tag == S + "svg"
    return root


def owners(plan: Layout) -> dict[str, str]:
    return {member: box.key for box in plan.boxes for member in box.members}


def families(lineage: dict[str, Any]) -> dict[tuple[str, str, str], list[str]]:
    """Siblings by (their one parent, node, type): the groups folding is about."""
    parents = defaultdict(set)
    for e in lineage["edges"]:
        parents[e["to"]].add(e["from"])
    found = defaultdict(list)
    for n in lineage["nodes"]:
        if len(parents[n["id"]]) == 1:
            found[(next(iter(parents[n["id"]])), n["node"], n["type"])].append(n["id"])
    return found


@examples
@given(lineages())
def test_output_is_one_svg_element_that_parses(lineage: dict[str, Any]) -> None:
    drawing = render(lineage)
    root = parse(drawing)
    w, h = root.get("width"), root.get("height")
    assert root.get("viewBox") == f"0 0 {w} {h}"  # one unit is one pixel: never scaled down
    assert root.get("role") == "img" and root.get("aria-label") == "Story graph"
    assert root.find(S + "title").text == "Story graph"
    assert not any(el.tag.endswith("style") or "style" in el.attrib for el in root.iter())


@examples
@given(lineages())
def test_no_two_boxes_overlap(lineage: dict[str, Any]) -> None:
    plan = layout(lineage)
    for a, b in combinations(plan.boxes, 2):
        apart_x = a.x + a.w <= b.x or b.x + b.w <= a.x
        apart_y = a.y + a.h <= b.y or b.y + b.h <= a.y
        assert apart_x or apart_y, (a, b)
    for box in plan.boxes:
        assert 0 <= box.x and box.x + box.w <= plan.width
        assert 0 <= box.y and box.y + box.h <= plan.height


@examples
@given(lineages())
def test_every_node_appears_once_or_in_one_folded_group(lineage: dict[str, Any]) -> None:
    drawing = render(lineage)
    root = parse(drawing)
    drawn = Counter(el.get("data-node") for el in root.iter() if el.get("data-node"))
    folds = Counter(el.get("data-fold") for el in root.iter() if el.get("data-fold"))
    in_groups = Counter(m["id"] for f in drawing.folded for m in f.members)
    for node in lineage["nodes"]:
        assert drawn[node["id"]] + in_groups[node["id"]] == 1, node["id"]
    assert set(drawn) <= {n["id"] for n in lineage["nodes"]}
    assert folds == Counter(f.anchor for f in drawing.folded)
    links = {a.get("href") for a in root.iter(S + "a")}
    assert {"#" + f.anchor for f in drawing.folded} <= links
    expected = sorted(m for m in families(lineage).values() if len(m) > FOLD_OVER)
    assert sorted([m["id"] for m in f.members] for f in drawing.folded) == expected


@examples
@given(lineages())
def test_edges_start_and_end_at_their_boxes_and_go_right(lineage: dict[str, Any]) -> None:
    plan = layout(lineage)
    owner, boxes = owners(plan), {b.key: b for b in plan.boxes}
    wanted = {(owner[e["from"]], owner[e["to"]]) for e in lineage["edges"]}
    assert {(e.source, e.target) for e in plan.edges} == wanted
    assert len(plan.edges) == len(wanted)
    paths = parse(render(lineage)).iter(S + "path")
    drawn = [p.get("d") for p in paths if p.get("class") == "graph-edge"]
    assert drawn == [e.d for e in plan.edges]
    for e in plan.edges:
        a, b = boxes[e.source], boxes[e.target]
        assert e.start[0] == a.x + a.w and a.y < e.start[1] < a.y + a.h
        assert e.end[0] == b.x and b.y < e.end[1] < b.y + b.h
        assert a.x + a.w < b.x and a.layer < b.layer
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", e.d)]
        assert numbers[:2] == pytest.approx(e.start, abs=0.05)
        assert numbers[-2:] == pytest.approx(e.end, abs=0.05)


@examples
@given(lineages())
def test_the_same_lineage_draws_the_same_picture(lineage: dict[str, Any]) -> None:
    assert render(lineage) == render(copy.deepcopy(lineage))
    assert layout(lineage) == layout(copy.deepcopy(lineage))


@examples
@given(lineages())
def test_text_is_12px_or_more_and_fits_its_box(lineage: dict[str, Any]) -> None:
    root = parse(render(lineage))
    for group in root.iter(S + "g"):
        texts = group.findall(S + "text")
        for text in texts:
            px = float(text.get("font-size"))
            assert px >= 12
            assert text_width(text.text or "") * px * EM_PER_UNIT <= BOX_W - 2 * PAD
        if texts:  # the tooltip holds the label in full
            shown, title = texts[0].text or "", group.find(S + "title").text or ""
            assert title.startswith(shown.removesuffix("…"))


def test_forty_nodes_grow_the_picture_not_shrink_the_text() -> None:
    lineage = brainstorm(5)
    for i in range(33):  # edits of edits: a long story
        before, run = lineage["nodes"][-1], job(100 + i, "edit", "human")
        lineage["nodes"].append(run)
        lineage["edges"].append(edge(before, run))
    root = parse(render(lineage))
    assert len(lineage["nodes"]) == 40
    assert float(root.get("width")) > 30 * BOX_W
    assert {t.get("font-size") for t in root.iter(S + "text")} <= {"12", "14"}


def test_the_stylesheet_leaves_graph_text_size_alone() -> None:
    css = (Path(__file__).parent.parent / "static" / "app.css").read_text()
    block = css[css.index("Story graph") :]
    block = block[: block.index("/*")]  # the graph's section, up to the next one
    assert ".graph text" in block and '"Noto Sans CJK SC"' in block
    assert "font-size" not in block and "scale" not in block


def test_text_width_counts_cjk_double() -> None:
    assert text_width("abc") == 3
    assert text_width("中文") == 4
    assert text_width("a中b") == 4
    assert text_width("e\u0301") == 1  # a combining accent takes no room
    assert fit("abcdef", 6) == "abcdef"
    assert fit("abcdefg", 6) == "abcde…"
    assert fit("中文中文", 7) == "中文中…"
    assert fit("中文中文", 6) == "中文…"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_everything_shown_is_escaped(hostile: str) -> None:
    params = art(1, hostile, hostile, detail=hostile, url=hostile)
    run = job(2, hostile, hostile, label=hostile, detail=hostile, url="/j/" + hostile)
    run["id"] = hostile
    children = [art(10 + i, "brainstorm_idea", hostile + str(i)) for i in range(8)]
    lineage = {
        "nodes": [params, run, *children],
        "edges": [edge(params, run, hostile), *(edge(run, c, hostile) for c in children)],
    }
    drawing = render(lineage)
    root = parse(drawing)
    assert "<script" not in drawing.svg.lower()
    for el in root.iter():
        assert not any(name.lower().startswith("on") for name in el.attrib), el.attrib
        assert el.tag.removeprefix(S) in ELEMENTS
    titles = [t.text or "" for t in root.iter(S + "title")]
    visible = hostile.replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    visible = visible.replace("\ud800", "\ufffd").replace("\ufffe", "\ufffd")
    assert any(visible in t for t in titles)
    assert visible in {g.get("data-node") for g in root.iter(S + "g")}
    assert len(drawing.folded) == 1


def test_twelve_ideas_of_one_brainstorm_fold_into_one_box() -> None:
    lineage = brainstorm(12)
    ideas = lineage["nodes"][2:]
    edit, v2 = job(2, "edit", "human"), art(50, label="Idea 3, tightened", detail="v2")
    lineage["nodes"] += [edit, v2]
    lineage["edges"] += [edge(ideas[3], edit), edge(edit, v2)]
    drawing = render(lineage)
    root = parse(drawing)

    [group] = drawing.folded
    assert group.anchor == "lineage-transform-1-brainstorm_idea"
    assert group.label == "12 ideas" and group.members == ideas
    [link] = [a for a in root.iter(S + "a") if a.get("href") == "#" + group.anchor]
    box = link.find(S + "g")
    assert "graph-folded" in box.get("class").split()
    assert box.find(S + "text").text == "12 ideas"
    assert not any(el.get("data-node") == idea["id"] for idea in ideas for el in root.iter())

    plan = layout(lineage)
    pairs = {(e.source, e.target) for e in plan.edges}
    assert pairs == {
        ("artifact:1", "transform:1"),
        ("transform:1", group.anchor),
        (group.anchor, "transform:2"),
        ("transform:2", "artifact:50"),
    }
    assert [b.layer for b in plan.boxes] == [0, 1, 2, 3, 4]


def test_six_ideas_stay_six_boxes() -> None:
    drawing = render(brainstorm(6))
    drawn = {el.get("data-node") for el in parse(drawing).iter() if el.get("data-node")}
    assert drawing.folded == []
    assert {f"artifact:{10 + i}" for i in range(6)} <= drawn


def test_siblings_with_a_second_parent_are_not_folded() -> None:
    lineage = brainstorm(7)
    other = art(2, "brainstorm_params")
    lineage["nodes"].append(other)
    lineage["edges"].append(edge(other, lineage["nodes"][2]))
    assert render(lineage).folded == []


def test_rows_are_ordered_to_uncross_edges() -> None:
    a, b = art(1, "brainstorm_params"), art(2, "brainstorm_params")
    ta, tb = job(1), job(2)
    lineage = {"nodes": [a, b, tb, ta], "edges": [edge(a, ta), edge(b, tb)]}
    boxes = {box.key: box for box in layout(lineage).boxes}
    assert boxes[a["id"]].y < boxes[b["id"]].y
    assert boxes[ta["id"]].y < boxes[tb["id"]].y


def test_transforms_and_artifacts_look_different_and_link_where_they_may() -> None:
    params, run = art(1, "brainstorm_params"), job(1, url="/jobs/1")
    edit, bad = job(2, "edit", "human"), art(3, url="javascript:alert(1)")
    lineage = {"nodes": [params, run, edit, bad], "edges": [edge(params, run), edge(bad, edit)]}
    root = parse(render(lineage))
    classes = {g.get("data-node"): g.get("class") for g in root.iter(S + "g") if g.get("data-node")}
    assert classes == {
        "artifact:1": "graph-node graph-artifact graph-brainstorm_params",
        "transform:1": "graph-node graph-transform graph-llm",
        "transform:2": "graph-node graph-transform graph-human",
        "artifact:3": "graph-node graph-artifact graph-brainstorm_idea",
    }
    hrefs = {a.find(S + "g").get("data-node"): a.get("href") for a in root.iter(S + "a")}
    assert hrefs == {"artifact:1": "/a/1", "transform:1": "/jobs/1"}
    radii = {
        n: g.find(S + "rect").get("rx") for g in root.iter(S + "g") if (n := g.get("data-node"))
    }
    assert radii["transform:1"] != radii["artifact:1"]


def test_an_empty_lineage_draws_nothing() -> None:
    assert render({"nodes": [], "edges": []}) == Drawing("", [])
    assert render({}) == Drawing("", [])
    assert render({"nodes": ["not a node", {"label": "no id"}]}) == Drawing("", [])


def test_a_broken_lineage_still_draws() -> None:
    a, t = art(1), job(1)
    lineage = {
        "nodes": [a, t, {"label": "no id"}, dict(a, label="a duplicate"), "not a node"],
        "edges": [edge(a, t), edge(t, a), {"from": a["id"], "to": "artifact:404"}, None],
    }
    root = parse(render(lineage))
    assert [g.get("data-node") for g in root.iter(S + "g") if g.get("data-node")] == [
        "artifact:1",
        "transform:1",
    ]
