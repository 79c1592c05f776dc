"""The story graph: a project's lineage drawn left to right, by generation, as plain SVG."""

import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from markupsafe import escape

BOX_W, BOX_H, PAD = 220, 54, 14
GAP_X, GAP_Y, MARGIN = 90, 18, 16
LABEL_PX, DETAIL_PX = 14, 12  # fixed: a big graph makes a big picture, never smaller text
EM_PER_UNIT = 0.55  # one unit of text_width (an ASCII character, half a CJK one), in ems
FOLD_OVER = 6  # more same-type siblings of one single parent than this are drawn as one box
SWEEPS = 4

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_NAME = re.compile(r"[^a-z0-9_-]+")

Node = dict[str, Any]


@dataclass
class Folded:
    anchor: str  # the id the page gives this group's list, the folded box links to it
    label: str
    members: list[Node]


@dataclass
class Drawing:
    svg: str
    folded: list[Folded] = field(default_factory=list)


@dataclass(frozen=True)
class Box:
    key: str  # the node's id, or the anchor of a folded group
    x: float
    y: float
    w: float
    h: float
    layer: int
    label: str  # as drawn, cut to fit
    detail: str
    title: str  # in full, for the tooltip
    classes: str
    href: str | None
    members: tuple[str, ...]  # the ids of the nodes this box stands for


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    roles: tuple[str, ...]
    start: tuple[float, float]  # on the source's right side
    end: tuple[float, float]  # on the target's left side

    @property
    def d(self) -> str:
        (x1, y1), (x2, y2) = self.start, self.end
        dx = max(abs(x2 - x1) / 2, GAP_X / 2)
        return f"M{_n(x1)} {_n(y1)}C{_n(x1 + dx)} {_n(y1)} {_n(x2 - dx)} {_n(y2)} {_n(x2)} {_n(y2)}"


@dataclass
class Layout:
    width: float
    height: float
    boxes: list[Box]
    edges: list[Edge]
    folded: list[Folded]


def text_width(text: str) -> int:
    """Width in units: a wide (CJK) character counts 2, a combining mark 0, the rest 1."""
    return sum(_char_width(c) for c in text)


def _char_width(c: str) -> int:
    if unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def fit(text: str, units: int) -> str:
    """The text, cut with an ellipsis where it would overflow `units`."""
    if text_width(text) <= units:
        return text
    kept, used = [], 1
    for c in text:
        used += _char_width(c)
        if used > units:
            break
        kept.append(c)
    return "".join(kept).rstrip() + "…"


def folded_label(kind: str, type_: str, count: int) -> str:
    """'12 ideas', '7 outline jobs': how a folded group of siblings is named."""
    if kind == "transform":
        return (
            f"{count} {type_} jobs" if type_ in ("brainstorm", "outline") else f"{count} {type_}s"
        )
    noun = type_.rsplit("_", 1)[-1] or type_
    return f"{count} {noun if noun.endswith('s') else noun + 's'}"


def layout(
    lineage: dict[str, Any], fold_label: Callable[[str, str, int], str] = folded_label
) -> Layout:
    """Place every node (or its folded group) in a column by generation, rows against crossings."""
    nodes: dict[str, Node] = {}
    for node in lineage.get("nodes") or []:
        if isinstance(node, dict) and node.get("id") not in (None, ""):
            nodes.setdefault(str(node["id"]), node)
    links = [
        (str(e.get("from")), str(e.get("to")), _text(e.get("role")))
        for e in lineage.get("edges") or []
        if isinstance(e, dict) and str(e.get("from")) in nodes and str(e.get("to")) in nodes
    ]
    if not nodes:
        return Layout(0, 0, [], [], [])
    owner, folded = _fold(nodes, links, fold_label)
    keys = list(dict.fromkeys(owner[n] for n in nodes))
    roles: dict[tuple[str, str], list[str]] = {}
    for a, b, role in links:
        if owner[a] != owner[b]:
            pair_roles = roles.setdefault((owner[a], owner[b]), [])
            if role and role not in pair_roles:
                pair_roles.append(role)
    succ: dict[str, list[str]] = {k: [] for k in keys}
    pred: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in roles:
        succ[a].append(b)
        pred[b].append(a)
    layer = _layers(keys, succ, pred)
    rows = _order(keys, layer, succ, pred, list(roles))

    groups = {f.anchor: f for f in folded}
    tallest = max(len(row) for row in rows)
    step = BOX_H + GAP_Y
    boxes: dict[str, Box] = {}
    for col, row in enumerate(rows):
        top = MARGIN + (tallest - len(row)) * step / 2
        for i, key in enumerate(row):
            x, y = MARGIN + col * (BOX_W + GAP_X), top + i * step
            face = _face(key, groups.get(key), nodes.get(key))
            boxes[key] = Box(key, x, y, BOX_W, BOX_H, col, **face)

    outs: dict[str, list[str]] = defaultdict(list)
    ins: dict[str, list[str]] = defaultdict(list)
    for a, b in roles:
        outs[a].append(b)
        ins[b].append(a)
    for ends in (*outs.values(), *ins.values()):
        ends.sort(key=lambda k: (boxes[k].y, boxes[k].x))
    edges = [
        Edge(
            a,
            b,
            tuple(r),
            (boxes[a].x + BOX_W, _port(boxes[a], outs[a].index(b), len(outs[a]))),
            (boxes[b].x, _port(boxes[b], ins[b].index(a), len(ins[b]))),
        )
        for (a, b), r in roles.items()
    ]
    width = 2 * MARGIN + len(rows) * BOX_W + (len(rows) - 1) * GAP_X
    height = 2 * MARGIN + tallest * BOX_H + (tallest - 1) * GAP_Y
    order = {k: i for i, k in enumerate(keys)}
    return Layout(width, height, sorted(boxes.values(), key=lambda b: order[b.key]), edges, folded)


def render(
    lineage: dict[str, Any],
    *,
    title: str = "Story graph",
    fold_label: Callable[[str, str, int], str] = folded_label,
) -> Drawing:
    """The lineage as one <svg> element, and the folded groups the page lists beneath it."""
    plan = layout(lineage, fold_label)
    if not plan.boxes:
        return Drawing("", [])
    w, h, title = _n(plan.width), _n(plan.height), _line(title)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        '<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
        '<path class="graph-arrowhead" d="M0 0L10 5L0 10z"/></marker></defs><g class="graph-edges">'
    ]
    for edge in plan.edges:
        tip = f"<title>{_e(', '.join(edge.roles))}</title>" if edge.roles else ""
        out.append(
            f'<path class="graph-edge" d="{edge.d}" marker-end="url(#graph-arrow)">{tip}</path>'
        )
    out.append('</g><g class="graph-nodes">')
    out.extend(_draw(box) for box in plan.boxes)
    out.append("</g></svg>")
    return Drawing("".join(out), plan.folded)


def _fold(
    nodes: dict[str, Node],
    links: list[tuple[str, str, str]],
    fold_label: Callable[[str, str, int], str],
) -> tuple[dict[str, str], list[Folded]]:
    parents: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in links:
        if a != b:
            parents[b].add(a)
    siblings: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for nid, node in nodes.items():
        if len(parents[nid]) == 1:
            siblings[(next(iter(parents[nid])), _kind(node), _text(node.get("type")))].append(nid)
    owner = {nid: nid for nid in nodes}
    taken = set(nodes)
    folded = []
    for (parent, kind, type_), members in siblings.items():
        if len(members) <= FOLD_OVER:
            continue
        anchor = base = "lineage-" + _name(parent) + "-" + _name(type_)
        while anchor in taken:
            anchor = f"{base}-{len(taken)}"
        taken.add(anchor)
        folded.append(
            Folded(anchor, fold_label(kind, type_, len(members)), [nodes[m] for m in members])
        )
        owner.update((m, anchor) for m in members)
    return owner, folded


def _layers(
    keys: list[str], succ: dict[str, list[str]], pred: dict[str, list[str]]
) -> dict[str, int]:
    """Longest path from a source; a source sits just before its first consumer."""
    index = {k: i for i, k in enumerate(keys)}
    waiting = {k: len(pred[k]) for k in keys}
    ready = [index[k] for k in keys if not waiting[k]]
    order: dict[str, int] = {}
    while len(order) < len(keys):
        if not ready:  # a cycle (not a lineage): go on as if the earliest node left had no input
            ready.append(min(index[k] for k in keys if k not in order))
        key = keys[heapq.heappop(ready)]
        if key in order:
            continue
        order[key] = len(order)
        for s in succ[key]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(ready, index[s])
    layer: dict[str, int] = {}
    for key in order:
        before = [layer[p] for p in pred[key] if p in layer]
        layer[key] = max(before) + 1 if before else 0
    for key in order:
        after = [layer[s] for s in succ[key] if order[s] > order[key]]
        if after and not any(order[p] < order[key] for p in pred[key]):
            layer[key] = min(after) - 1
    return layer


def _order(
    keys: list[str],
    layer: dict[str, int],
    succ: dict[str, list[str]],
    pred: dict[str, list[str]],
    pairs: list[tuple[str, str]],
) -> list[list[str]]:
    """Rows within each column: a few barycenter sweeps, keeping the order with fewest crossings."""
    rows: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for key in keys:
        rows[layer[key]].append(key)
    best, fewest = [list(r) for r in rows], _crossings(rows, layer, pairs)
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        for col in range(1, len(rows)) if down else range(len(rows) - 2, -1, -1):
            pos = {k: i - (len(r) - 1) / 2 for r in rows for i, k in enumerate(r)}  # centred
            near = [
                (k, [pos[n] for n in (pred if down else succ)[k] if n not in rows[col]])
                for k in rows[col]
            ]
            rows[col] = [
                k
                for _, _, k in sorted(
                    (sum(p) / len(p) if p else pos[k], pos[k], k) for k, p in near
                )
            ]
        crossings = _crossings(rows, layer, pairs)
        if crossings < fewest:
            best, fewest = [list(r) for r in rows], crossings
    return best


def _crossings(rows: list[list[str]], layer: dict[str, int], pairs: list[tuple[str, str]]) -> int:
    row = {k: i for r in rows for i, k in enumerate(r)}
    spans: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for a, b in pairs:
        spans[(layer[a], layer[b])].append((row[a], row[b]))
    return sum(
        (a1 - a2) * (b1 - b2) < 0
        for ends in spans.values()
        for (a1, b1), (a2, b2) in combinations(ends, 2)
    )


def _face(key: str, group: Folded | None, node: Node | None) -> dict[str, Any]:
    """What a box says: label and detail cut to fit, the tooltip in full, its classes and link."""
    if group is not None:
        labels = [_line(m.get("label")) or _line(m.get("id")) for m in group.members]
        label, detail, href = _line(group.label), " · ".join(labels), "#" + key
        title = "\n".join([label, *labels])
        classes = _classes(group.members[0]).replace("graph-node ", "graph-node graph-folded ")
        members = tuple(str(m["id"]) for m in group.members)
    else:
        assert node is not None
        label = _line(node.get("label")) or _line(node.get("type")) or key
        detail, url = _line(node.get("detail")), node.get("url")
        safe = isinstance(url, str) and url.startswith(("/", "https://", "http://"))
        href = _text(url) if safe else None
        title = "\n".join(t for t in (label, detail) if t)
        classes, members = _classes(node), (key,)
    return {
        "label": _fit(label, LABEL_PX),
        "detail": _fit(detail, DETAIL_PX),
        "title": title,
        "classes": classes,
        "href": href,
        "members": members,
    }


def _draw(box: Box) -> str:
    rx = BOX_H / 2 if "graph-transform" in box.classes.split() else 6
    ref = (
        f'data-fold="{_e(_text(box.key))}"'
        if "graph-folded" in box.classes.split()
        else f'data-node="{_e(_text(box.key))}"'
    )
    tx = _n(box.x + PAD)
    if box.detail:
        texts = (
            f'<text class="graph-label" x="{tx}" y="{_n(box.y + 23)}" font-size="{LABEL_PX}">'
            f'{_e(box.label)}</text><text class="graph-detail" x="{tx}" y="{_n(box.y + 42)}" '
            f'font-size="{DETAIL_PX}">{_e(box.detail)}</text>'
        )
    else:
        texts = (
            f'<text class="graph-label" x="{tx}" y="{_n(box.y + box.h / 2 + 5)}" '
            f'font-size="{LABEL_PX}">{_e(box.label)}</text>'
        )
    shape = (
        f'<g class="{_e(box.classes)}" {ref}><title>{_e(box.title)}</title>'
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" '
        f'rx="{_n(rx)}"/>{texts}</g>'
    )
    return f'<a href="{_e(box.href)}">{shape}</a>' if box.href else shape


def _port(box: Box, i: int, count: int) -> float:
    """Where the i-th of a side's edges meets it: spread along the side, in row order."""
    return round(box.y + box.h * (i + 1) / (count + 1), 1)


def _kind(node: Node) -> str:
    return "transform" if node.get("node") == "transform" else "artifact"


def _classes(node: Node) -> str:
    if _kind(node) == "transform":
        how = "human" if node.get("transformType") == "human" else "llm"
        return f"graph-node graph-transform graph-{how}"
    stale = " graph-stale" if node.get("stale") is True else ""
    return f"graph-node graph-artifact graph-{_name(_text(node.get('type')))}{stale}"


def _name(text: str) -> str:
    return _NOT_NAME.sub("-", text.lower()).strip("-") or "x"


def _text(value: object) -> str:
    """Any value as text XML can hold (no control characters, no lone surrogates)."""
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _line(value: object) -> str:
    return " ".join(_text(value).split())


def _fit(text: str, px: int) -> str:
    return fit(text, int((BOX_W - 2 * PAD) / (px * EM_PER_UNIT)))


def _e(text: str) -> str:
    return str(escape(text))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
