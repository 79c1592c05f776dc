"""A series' episodes as a Word document: the title, each episode from a new page under its
heading, scene headings in bold. The zh layout writes a line as `林晚：（冷笑）台词` with the name
in bold, on A4; the en layout centres the cue over indented dialogue, on US Letter. Chinese
shows in SimSun and Latin letters in Courier New, whatever fonts the reader's theme has."""

import io
from typing import Any

from docx import Document
from docx.document import Document as Doc
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Length, Mm, Pt

from app.scripts.screenplay import SPOKEN
from app.scripts.words import caption, cue, episode_heading, parenthetical, printable, scene_heading

LATIN, EAST_ASIAN = "Courier New", "SimSun"
_THEMED = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
GAP = Pt(12)  # a blank line of 12-point Courier between blocks, as scripts space them


def _fonts(doc: Doc, layout: str) -> None:
    """Named fonts on the defaults and the styles used; Word prefers theme fonts to named ones,
    so those attributes go."""
    defaults = doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")
    styles = [
        doc.styles[name].element.get_or_add_rPr() for name in ("Normal", "Title", "Heading 1")
    ]
    for rpr in defaults + styles:
        fonts = rpr.get_or_add_rFonts()
        for attribute in _THEMED:
            fonts.attrib.pop(qn(attribute), None)
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attribute), LATIN)
        fonts.set(qn("w:eastAsia"), EAST_ASIAN)
    for lang in doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:eastAsia"), "zh-CN" if layout == "zh" else "en-US")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0


def _page(doc: Doc, layout: str) -> None:
    """Page size and margins, and the page number at the top right."""
    section = doc.sections[0]
    if layout == "zh":
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
    else:
        section.left_margin, section.right_margin = Inches(1.5), Inches(1)
    section.top_margin = section.bottom_margin = Inches(1)
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number._p.append(field)


def _block(
    doc: Doc,
    *runs: tuple[str, bool],
    before: Length = GAP,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: tuple[float, float] = (0, 0),
    keep: bool = False,
) -> None:
    """A paragraph of (text, bold) runs; indent is (left, right) in inches."""
    paragraph = doc.add_paragraph()
    for text, bold in runs:
        paragraph.add_run(printable(text)).bold = bold or None
    style = paragraph.paragraph_format
    style.space_before, style.alignment, style.keep_with_next = before, align, keep or None
    if any(indent):
        style.left_indent, style.right_indent = Inches(indent[0]), Inches(indent[1])


def _element(doc: Doc, element: dict[str, Any], layout: str) -> None:
    kind, text = element["type"], element.get("text", "")
    zh = layout == "zh"
    if kind in SPOKEN:
        who, how = cue(element, layout), parenthetical(element.get("parenthetical", ""), layout)
        if zh:
            lead = [(who, True), ("：", False)] if who else []
            _block(doc, *lead, (how + text, False), before=Pt(6))
            return
        if who:
            _block(doc, (who, False), align=WD_ALIGN_PARAGRAPH.CENTER, keep=True)
        if how:
            _block(doc, (how, False), before=Pt(0), indent=(1.5, 2), keep=True)
        _block(doc, (text, False), before=Pt(0) if who or how else GAP, indent=(1, 1.5))
    elif kind == "transition":
        _block(doc, (text, False), align=WD_ALIGN_PARAGRAPH.RIGHT)
    else:
        shown = caption(text, layout) if kind == "caption" else ("△" if zh else "") + text
        _block(doc, (shown, False), before=Pt(6) if zh else GAP)


def to_docx(episodes: list[dict[str, Any]], *, layout: str, title: str) -> bytes:
    """The episodes as a .docx file."""
    doc = Document()
    doc.core_properties.title = printable(title)
    doc.core_properties.author = doc.core_properties.comments = ""
    _fonts(doc, layout)
    _page(doc, layout)
    doc.add_heading(printable(title), level=0)
    for index, episode in enumerate(episodes):
        heading = doc.add_heading(printable(episode_heading(episode, layout)), level=1)
        heading.paragraph_format.page_break_before = index > 0 or None
        for scene in episode.get("scenes", []):
            text = scene_heading(episode["number"], scene, layout)
            _block(doc, (text, True), keep=True)
            for element in scene.get("elements", []):
                _element(doc, element, layout)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
