"""What every Word document shares: the team's base document, the styles we need, safe text, page numbers."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

#: Characters Word cannot hold (XML 1.0 forbids them) and other invisible controls; tab and newline are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


_UNSAFE_IN_FILENAME = re.compile(r"[^a-z0-9-]+")


def safe_filename(text: str) -> str:
    """A file name's stem from a stored name: lower case letters, digits and hyphens only (a line break or a
    quote in a locality's name must not reach a Content-Disposition header)."""
    stem = _UNSAFE_IN_FILENAME.sub("-", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    return stem.strip("-") or "document"


def clean(text) -> str:
    """Text made safe once, before it reaches a document: controls removed, right-to-left kept, NFC."""
    if text is None:
        return ""
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(text))).replace("\r\n", "\n").replace("\r", "\n")


#: Table text is a little smaller than body text, so dates and NHS numbers fit their columns.
TABLE_TEXT = Pt(9)

#: The body font of the tool's own base document: a plain sans-serif every office has (LibreOffice shows the
#: metric-compatible Liberation Sans), rather than python-docx's default theme font, Cambria.
BODY_FONT = "Arial"

#: Paragraph styles the documents use, with their outline level (a real heading is one Word's navigation sees).
HEADINGS = {"Title": None, "Heading 1": 0, "Heading 2": 1, "Heading 3": 2}


def _ensure_styles(document) -> None:
    """Add the styles the tool needs when the team's base document lacks them."""
    styles = document.styles
    names = {s.name for s in styles}
    for name, level in HEADINGS.items():
        if name in names:
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.font.bold = True
        style.font.size = Pt({"Title": 20, "Heading 1": 16, "Heading 2": 13, "Heading 3": 11}[name])
        style.font.color.rgb = RGBColor(0x00, 0x30, 0x87)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.keep_with_next = True
        if level is not None:
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level))
            style.element.get_or_add_pPr().append(outline)
    if "Table Grid" not in names:
        style = styles.add_style("Table Grid", WD_STYLE_TYPE.TABLE)
        borders = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            element = OxmlElement(f"w:{edge}")
            for key, value in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "000000")):
                element.set(qn(f"w:{key}"), value)
            borders.append(element)
        table_pr = style.element.find(qn("w:tblPr"))
        if table_pr is None:
            table_pr = OxmlElement("w:tblPr")
            style.element.append(table_pr)
        table_pr.append(borders)
    if "List Bullet" not in names:
        styles.add_style("List Bullet", WD_STYLE_TYPE.PARAGRAPH).base_style = styles["Normal"]


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when the document is shown or printed."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _body_font(document, name: str) -> None:
    """The Normal style's font for every script (Latin, East Asian, right-to-left), over the theme's."""
    fonts = document.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), name)


def _has_base(base: Path | bytes | None) -> bool:
    return bool(base) and (isinstance(base, bytes) or base.exists())


def new_document(title: str, base: Path | bytes | None = None):
    """A document from the team's base (letterhead, logo, styles: uploaded bytes or a path) or python-docx's own,
    with page numbers."""
    if isinstance(base, bytes):
        document = Document(io.BytesIO(base))
    else:
        document = Document(str(base)) if _has_base(base) else Document()
    _ensure_styles(document)
    document.core_properties.title = clean(title)
    document.core_properties.author = "ILR Coordinator"
    section = document.sections[0]
    if not _has_base(base):
        # UK paper: A4 with 2 cm margins (python-docx's own template is US Letter).
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
        header = section.header.paragraphs[0]
        header.text = "Integrated Locality Review"
        _body_font(document, BODY_FONT)
    footer = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
    if not any(f in footer._p.xml for f in ("PAGE", "NUMPAGES")):
        footer.add_run("OFFICIAL-SENSITIVE: personal information. Page ")
        _field(footer, "PAGE")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES")
    # Strip the empty first paragraph a fresh document starts with, so the title comes first.
    body = document.element.body
    first = body[0] if len(body) else None
    if first is not None and first.tag == qn("w:p") and not "".join(first.itertext()).strip():
        body.remove(first)
    document._ilr_style_ids = {s.name: s.style_id for s in document.styles}
    styled(document.add_paragraph(clean(title)), document, "Title")
    return document


def styled(paragraph, document, name: str):
    """Give a paragraph a style by its cached id (python-docx's lookup by name rescans the styles each time)."""
    paragraph._p.style = document._ilr_style_ids[name]
    return paragraph


def heading(document, text: str, level: int = 1):
    return styled(document.add_paragraph(clean(text)), document, f"Heading {level}")


def paragraph(document, text: str | None, label: str | None = None):
    """A paragraph, with an optional bold label; line breaks in the text are kept."""
    para = document.add_paragraph()
    if label:
        para.add_run(clean(label) + ": ").bold = True
    lines = clean(text).split("\n") if text else [""]
    for n, line in enumerate(lines):
        run = para.add_run(line)
        if n < len(lines) - 1:
            run.add_break()
    return para


def landscape(document) -> None:
    """Turn the page for wide tables."""
    section = document.sections[-1]
    if section.orientation != WD_ORIENT.LANDSCAPE:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width


def _cell(text: str, width: int | None, bold: bool = False):
    """One table cell as XML: built directly, as python-docx's cell API is slow for hundreds of cells."""
    cell = OxmlElement("w:tc")
    if width:
        properties = OxmlElement("w:tcPr")
        cell_width = OxmlElement("w:tcW")
        cell_width.set(qn("w:w"), str(width))
        cell_width.set(qn("w:type"), "dxa")
        properties.append(cell_width)
        cell.append(properties)
    para = OxmlElement("w:p")
    para_pr = OxmlElement("w:pPr")
    spacing = OxmlElement("w:spacing")  # no paragraph gap inside a cell: rows as tall as their text
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    para_pr.append(spacing)
    para.append(para_pr)
    run = OxmlElement("w:r")
    run_pr = OxmlElement("w:rPr")
    if bold:
        run_pr.append(OxmlElement("w:b"))
    for tag in ("w:sz", "w:szCs"):  # szCs: right-to-left text is the same size
        size = OxmlElement(tag)
        size.set(qn("w:val"), str(int(TABLE_TEXT.pt * 2)))
        run_pr.append(size)
    run.append(run_pr)
    for n, line in enumerate(clean(text).split("\n")):
        if n:
            run.append(OxmlElement("w:br"))
        piece = OxmlElement("w:t")
        piece.set(qn("xml:space"), "preserve")
        piece.text = line
        run.append(piece)
    para.append(run)
    cell.append(para)
    return cell


def table(document, header: list[str], rows: list[list], widths: list[float] | None = None):
    """A bordered table whose header row repeats on every page and never splits.

    `widths` are relative (e.g. [1, 3, 2]): shares of the page's text width, fixed so that Word and
    LibreOffice lay the table out alike.
    """
    grid = document.add_table(rows=0, cols=len(header))
    grid._tbl.tblPr.style = document._ilr_style_ids["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    twips = [None] * len(header)
    if widths:
        section = document.sections[-1]
        usable = (section.page_width - section.left_margin - section.right_margin) / 635  # EMU to twentieths of a point
        twips = [int(usable * share / sum(widths)) for share in widths]
        for column, width in zip(grid._tbl.tblGrid.gridCol_lst, twips, strict=True):
            column.set(qn("w:w"), str(width))
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        grid._tbl.tblPr.append(layout)
    head = OxmlElement("w:tr")
    row_pr = OxmlElement("w:trPr")
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        row_pr.append(element)
    head.append(row_pr)
    for text, width in zip(header, twips, strict=True):
        head.append(_cell(text, width, bold=True))
    grid._tbl.append(head)
    for values in rows:
        row = OxmlElement("w:tr")
        for value, width in zip(values, twips, strict=True):
            row.append(_cell(value, width))
        grid._tbl.append(row)
    return grid


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
