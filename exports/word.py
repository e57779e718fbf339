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


# --- right-to-left text ---------------------------------------------------------------------------
#: Unicode's strong bidirectional classes: R (Hebrew...) and AL (Arabic...) run right to left, L left to right;
#: everything else (spaces, digits, punctuation) takes the direction around it.
RIGHT_TO_LEFT = {"R", "AL"}
#: Every character of class R or AL lies in these blocks (the right-to-left mark, Hebrew to Arabic Extended, their
#: presentation forms, the right-to-left planes' blocks; `tests/test_documents_readers.py` walks every code point):
#: text with none of them is left to right throughout (most text) and needs no look at each character.
_MAY_BE_RIGHT_TO_LEFT = re.compile(
    "[\u200f\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def _strong(character: str) -> bool | None:
    """True for a strong right-to-left character, False for a strong left-to-right one, None for a weak or neutral."""
    kind = unicodedata.bidirectional(character)
    return True if kind in RIGHT_TO_LEFT else False if kind == "L" else None


def is_right_to_left(text: str) -> bool:
    """Whether the text's first strong character is right-to-left (so a paragraph of it reads right to left)."""
    if not _MAY_BE_RIGHT_TO_LEFT.search(text):
        return False
    return next((s for s in map(_strong, text) if s is not None), False)


#: The left-to-right mark: invisible, strongly left to right.
LRM = "\u200e"
#: A number written in groups ("999 000 0026"): after right-to-left text, Unicode's algorithm would show the groups
#: in reverse order ("0026 000 999") unless a left-to-right mark goes first.
_SPACED_NUMBER = re.compile(r"(?<![\d\u200e])\d+(?: \d+)+")


def keep_numbers_in_order(line: str) -> str:
    """A line holding right-to-left text, with a left-to-right mark before each grouped number (an NHS number)."""
    if not _MAY_BE_RIGHT_TO_LEFT.search(line) or not any(_strong(c) for c in line):
        return line
    return _SPACED_NUMBER.sub(lambda found: LRM + found.group(0), line)


def direction_runs(text: str) -> list[tuple[str, bool]]:
    """The text cut where its direction changes: (piece, right_to_left). A digit after left-to-right text is left
    to right; a neutral (a space, a bracket, another digit) between two characters of one direction takes it; at an
    edge or between two directions it takes the paragraph's, as Unicode's bidirectional algorithm resolves them."""
    if not _MAY_BE_RIGHT_TO_LEFT.search(text):
        return [(text, False)] if text else []
    strong = [_strong(c) for c in text]
    last = None
    for index, character in enumerate(text):
        if strong[index] is not None:
            last = strong[index]
        elif last is False and unicodedata.bidirectional(character) == "EN":
            strong[index] = False  # a European number after left-to-right text is left to right (rule W7)
    base = is_right_to_left(text)
    after: list[bool | None] = [None] * len(text)
    following = None
    for index in range(len(text) - 1, -1, -1):
        after[index] = following = strong[index] if strong[index] is not None else following
    pieces: list[tuple[str, bool]] = []
    before = None
    for index, character in enumerate(text):
        if strong[index] is not None:
            before = direction = strong[index]
        else:
            direction = before if before is not None and before == after[index] else base
        if pieces and pieces[-1][1] == direction:
            pieces[-1] = (pieces[-1][0] + character, direction)
        else:
            pieces.append((character, direction))
    return pieces


#: What follows w:bidi in a paragraph's properties (ECMA-376 order): it is inserted before the first of them.
_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
               "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
               "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")  # fmt: skip
#: What follows w:szCs in a run's properties.
_AFTER_SZ_CS = ("w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs",
                "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")  # fmt: skip


def _paragraph_direction(p, text: str) -> None:
    """A paragraph whose first strong character is right-to-left is laid out right to left (w:bidi)."""
    if is_right_to_left(text):
        properties = p.get_or_add_pPr()
        if properties.find(qn("w:bidi")) is None:
            properties.insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)


def _run_properties(run_pr, *, bold: bool, right_to_left: bool, size=None) -> None:
    """Bold, a size (for every script) and the right-to-left mark, appended to a run's properties (w:rPr) made
    afresh in the order Word's schema wants them (b, bCs, sz, szCs, rtl): python-docx's own setters search the
    siblings each time (a third of a 25-case minutes' time)."""
    wanted = [("w:b", None)] if bold else []
    if bold and right_to_left:
        wanted.append(("w:bCs", None))
    if size is not None:
        half_points = str(int(size.pt * 2))
        wanted += [("w:sz", half_points), ("w:szCs", half_points)]
    if right_to_left:
        wanted.append(("w:rtl", None))
    for tag, value in wanted:
        element = OxmlElement(tag)
        if value is not None:
            element.set(qn("w:val"), value)
        run_pr.append(element)


def _put_text(run, piece: str) -> None:
    """A run's text as one w:t (space kept at either end), built directly: python-docx's setter looks at each
    character for tabs and breaks. A piece holding a tab goes through python-docx, which makes the tab a w:tab."""
    if "\t" in piece:
        run.text = piece
    elif piece:
        element = OxmlElement("w:t")
        element.text = piece
        if piece != piece.strip():
            element.set(qn("xml:space"), "preserve")
        run.append(element)


def _runs(text: str, *, bold: bool, size=None) -> list:
    """Clean text as runs: one for each stretch of one direction, right-to-left ones marked w:rtl, a line break
    after each line but the last."""
    runs = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        run = None
        for piece, right_to_left in direction_runs(keep_numbers_in_order(line)) or [("", False)]:
            run = OxmlElement("w:r")
            properties = OxmlElement("w:rPr")
            _run_properties(properties, bold=bold, right_to_left=right_to_left, size=size)
            if len(properties):
                run.append(properties)
            _put_text(run, piece)
            runs.append(run)
        if number < len(lines) - 1:
            run.append(OxmlElement("w:br"))
    return runs


def write(paragraph, text, *, bold: bool = False, size=None) -> None:
    """Add text to a paragraph, kept safe (`clean`): a run for each stretch of one direction, right-to-left ones
    marked w:rtl; line breaks kept. The caller sets the paragraph's direction (`direct`) once it holds all its text."""
    for run in _runs(clean(text), bold=bold, size=size):
        paragraph._p.append(run)


def direct(paragraph) -> None:
    """Mark the paragraph right to left when its first strong character is (its text as written so far)."""
    _paragraph_direction(paragraph._p, "".join(paragraph._p.itertext()))


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
        font_size(style, Pt({"Title": 20, "Heading 1": 16, "Heading 2": 13, "Heading 3": 11}[name]))
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


def font_size(style, size) -> None:
    """A style's text size for every script: w:sz, and w:szCs, which right-to-left text is shown at."""
    style.font.size = size
    run_pr = style.element.get_or_add_rPr()
    for old in run_pr.findall(qn("w:szCs")):
        run_pr.remove(old)
    cs_size = OxmlElement("w:szCs")
    cs_size.set(qn("w:val"), str(int(size.pt * 2)))
    run_pr.insert_element_before(cs_size, *_AFTER_SZ_CS)


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
    _text_paragraph(document, title, "Title")
    return document


def styled(paragraph, document, name: str):
    """Give a paragraph a style by its cached id (python-docx's lookup by name rescans the styles each time)."""
    paragraph._p.style = document._ilr_style_ids[name]
    return paragraph


def _text_paragraph(document, text: str, style: str):
    para = document.add_paragraph()
    write(para, text)
    direct(para)
    return styled(para, document, style)


def heading(document, text: str, level: int = 1):
    return _text_paragraph(document, text, f"Heading {level}")


def paragraph(document, text: str | None, label: str | None = None):
    """A paragraph, with an optional bold label; line breaks in the text are kept.

    A label never stands alone: with no text (None, "" or only spaces) the labelled paragraph is left out and None
    returned, so a document never prints "Chair:" with nothing after it. A renderer that wants the gap said in
    words passes the words ("Not recorded")."""
    if label and not clean(text).strip():
        return None
    para = document.add_paragraph()
    if label:
        write(para, clean(label) + ": ", bold=True)
    write(para, text or "")
    direct(para)
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
    cleaned = clean(text)
    for run in _runs(cleaned, bold=bold, size=TABLE_TEXT):
        para.append(run)
    _paragraph_direction(para, cleaned)
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
