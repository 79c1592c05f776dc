"""A series' episodes as Final Draft XML (`FinalDraft DocumentType="Script"`): paragraphs
typed Scene Heading, Action, Character, Parenthetical, Dialogue and Transition, in the words
of the layout (app/scripts/words.py)."""

from collections.abc import Iterator
from typing import Any

from lxml import etree

from app.scripts.screenplay import SPOKEN
from app.scripts.words import caption, cue, episode_heading, parenthetical, printable, scene_heading

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n'


def paragraphs(element: dict[str, Any], layout: str) -> Iterator[tuple[str, str]]:
    """An element as Final Draft paragraphs: (type, text)."""
    kind, text = element["type"], element.get("text", "")
    if kind in SPOKEN:
        if who := cue(element, layout):
            yield "Character", who
        if how := parenthetical(element.get("parenthetical", ""), layout):
            yield "Parenthetical", how
        yield "Dialogue", text
    elif kind == "caption":
        yield "Action", caption(text, layout)
    elif kind == "transition":
        yield "Transition", text
    else:
        yield "Action", text


def _paragraph(parent: etree._Element, kind: str | None, text: str, **attributes: str) -> None:
    paragraph = etree.SubElement(parent, "Paragraph", attributes)
    if kind:
        paragraph.set("Type", kind)
    etree.SubElement(paragraph, "Text").text = printable(text)


def to_fdx(episodes: list[dict[str, Any]], *, layout: str, title: str) -> bytes:
    """The episodes as one Final Draft document: each opens on a new page with a `New Act`
    paragraph naming it (Final Draft's TV element for a section of a script), then its scenes;
    the title goes on the title page."""
    root = etree.Element("FinalDraft", DocumentType="Script", Template="No", Version="1")
    content = etree.SubElement(root, "Content")
    for index, episode in enumerate(episodes):
        new_page = "Yes" if index else "No"
        _paragraph(content, "New Act", episode_heading(episode, layout), StartsNewPage=new_page)
        for scene in episode.get("scenes", []):
            _paragraph(content, "Scene Heading", scene_heading(episode["number"], scene, layout))
            for element in scene.get("elements", []):
                for kind, text in paragraphs(element, layout):
                    _paragraph(content, kind, text)
    title_page = etree.SubElement(etree.SubElement(root, "TitlePage"), "Content")
    _paragraph(title_page, None, title, Alignment="Center")
    return _DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
