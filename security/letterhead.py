"""What a letterhead (the team's base .docx) may hold: an allow-list, so no document sent to a GP or a partner carries
a trap from it (a template fetched from another site, a macro, an embedded object, a field that runs or fetches).

A letterhead is its page set-up, styles, numbering, fonts (named, not embedded), theme, settings, headers and footers
with their pictures, the PAGE and NUMPAGES fields, hyperlinks, and the document's properties. Every relationship of
every part (each `.rels`, `settings.xml.rels` included) must be of an allowed kind and inside the package (only a
hyperlink may point outside), no part may be a macro, an embedded object or font, and every field in the text parts
must be PAGE or NUMPAGES. `letterhead_problems` reads the zip only (no database): one sentence per problem.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from docx.oxml.parser import parse_xml
from lxml import etree

#: Relationship types allowed, by the last part of their URI (the namespaces vary between Word versions).
ALLOWED_RELATIONSHIPS = frozenset(
    {
        "officeDocument",  # the document itself
        "core-properties",
        "extended-properties",
        "custom-properties",  # named values, e.g. the organisation's sensitivity label
        "thumbnail",
        "styles",
        "stylesWithEffects",
        "numbering",
        "fontTable",
        "theme",
        "settings",
        "webSettings",
        "header",
        "footer",
        "footnotes",  # Word adds the (empty) separators to every document
        "endnotes",
        "image",  # a logo: inside the package only
        "hyperlink",  # the one kind that may point outside
        "customXml",  # data Word keeps (bibliography sources, content types), never run
        "customXmlProps",
    }
)
#: Kinds worth naming in the refusal (anything else not allowed is named by its type).
NAMED_RELATIONSHIPS = {
    "attachedTemplate": "it is attached to a template ({target}), which Word fetches when the document is opened "
    "(in Word: Developer, Document Template, clear the template's name)",
    "aFChunk": "it embeds another document (altChunk) that Word merges in when the document is opened",
    "oleObject": "it holds an embedded object (OLE)",
    "package": "it holds an embedded file (package)",
    "control": "it holds an ActiveX control",
    "activeXControlBinary": "it holds an ActiveX control",
    "vbaProject": "it holds macros (a VBA project)",
    "wordVbaData": "it holds macros (VBA data)",
    "keyMapCustomizations": "it holds macro key bindings",
    "font": "it embeds a font file",
    "subDocument": "it pulls in a sub-document ({target})",
    "glossaryDocument": "it holds building blocks (a glossary document)",
    "frame": "it pulls in another page into a frame ({target})",
    "mailMergeSource": "it is linked to a mail-merge data source ({target})",
    "recipientData": "it holds mail-merge recipient data",
}
#: Parts refused by their name, whatever refers to them.
REFUSED_PART_NAMES = (
    ("vbaproject", "it holds macros (a VBA project)"),
    ("vbadata", "it holds macros (VBA data)"),
    ("/activex/", "it holds an ActiveX control"),
    ("/embeddings/", "it holds an embedded object or file"),
    ("/fonts/", "it embeds a font file"),
)
#: Content types refused wherever they are declared.
REFUSED_CONTENT_TYPES = (
    ("macroenabled", "it is a macro-enabled document (.docm)"),
    ("vbaproject", "it holds macros (a VBA project)"),
    ("activex", "it holds an ActiveX control"),
    ("oleobject", "it holds an embedded object (OLE)"),
    ("obfuscatedfont", "it embeds a font file"),
    ("template.main", "it is a Word template (.dotx), not a document"),
)
#: The only fields a letterhead may carry: the page number and the number of pages.
ALLOWED_FIELDS = frozenset({"PAGE", "NUMPAGES"})
#: Elements refused in the XML parts, by local name (an attached template is found by its relationship, which names
#: where it would be fetched from).
REFUSED_ELEMENTS = {
    "altChunk": "it embeds another document (altChunk)",
    "object": "it holds an embedded object",
    "control": "it holds an ActiveX control",
    "subDoc": "it pulls in a sub-document",
    "mailMerge": "it is set up for a mail merge with a data source",
    "embedRegular": "it embeds a font",
    "embedBold": "it embeds a font",
    "embedItalic": "it embeds a font",
    "embedBoldItalic": "it embeds a font",
}
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _sentence(what: str) -> str:
    """One problem, as the clause a refusal lists ("it holds macros (a VBA project)")."""
    return what


def _kind(type_uri: str) -> str:
    return type_uri.rstrip("/").rsplit("/", 1)[-1]


def _source_of(rels_name: str) -> str:
    """The part a `.rels` part belongs to ("word/_rels/document.xml.rels" -> "word/document.xml")."""
    folder, name = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), name.removesuffix(".rels"))


def _relationship_problems(rels_name: str, xml: bytes) -> list[str]:
    problems = []
    for relationship in parse_xml(xml):
        if not isinstance(relationship.tag, str):
            continue  # a comment
        kind, target = _kind(relationship.get("Type", "")), (relationship.get("Target") or "")[:120]
        external = relationship.get("TargetMode") == "External"
        if kind not in ALLOWED_RELATIONSHIPS:
            what = NAMED_RELATIONSHIPS.get(kind, "it holds a part of a kind a letterhead does not need ({kind})")
            problems.append(_sentence(what.format(target=target, kind=kind)))
        elif external and kind != "hyperlink":
            problems.append(_sentence(f"{_source_of(rels_name)} refers to something outside the file ({target})"))
    return problems


def _field_code(instruction: str) -> str:
    """The field's name: the first word of its code (" PAGE \\* MERGEFORMAT " -> "PAGE")."""
    return (instruction.split() or [""])[0].upper()


def _field_problems(root) -> list[str]:
    """Every field's code (simple ones, and complex ones whose code may be split across runs) must be allowed."""
    codes, open_fields = [], []
    for element in root.iter():
        name = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if name == "fldSimple":
            codes.append(element.get(f"{{{_W}}}instr", ""))
        elif name == "fldChar":
            kind = element.get(f"{{{_W}}}fldCharType")
            if kind == "begin":
                open_fields.append([])
            elif kind in ("separate", "end") and open_fields and open_fields[-1] is not None:
                codes.append("".join(open_fields[-1]))
                open_fields[-1] = None  # the code is complete: the rest is the field's result
            if kind == "end" and open_fields:
                open_fields.pop()
        elif name == "instrText" and open_fields and open_fields[-1] is not None:
            open_fields[-1].append(element.text or "")
    codes.extend("".join(field) for field in open_fields if field is not None)  # a field never closed
    refused = sorted({_field_code(code) or "(empty)" for code in codes} - ALLOWED_FIELDS)
    return [_sentence(f"it holds a {code} field (only PAGE and NUMPAGES are allowed)") for code in refused]


def _element_problems(root) -> list[str]:
    found = {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)}
    return [_sentence(what) for name, what in REFUSED_ELEMENTS.items() if name in found]


def _part_problems(archive: zipfile.ZipFile) -> list[str]:
    problems = []
    for name in archive.namelist():
        lower = "/" + name.lower()
        named = [what for pattern, what in REFUSED_PART_NAMES if pattern in lower]
        if not named and lower.endswith(".bin"):
            named = [f"it holds a binary part ({name[:120]})"]
        problems += [_sentence(what) for what in named]
        if name.endswith(".rels"):
            problems += _relationship_problems(name, archive.read(name))
        elif name.endswith(".xml") and name.startswith("word/"):
            root = parse_xml(archive.read(name))
            problems += _element_problems(root) + _field_problems(root)
    return problems


def _content_type_problems(archive: zipfile.ZipFile) -> list[str]:
    declared = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
    return [_sentence(what) for pattern, what in REFUSED_CONTENT_TYPES if pattern in declared]


def letterhead_problems(content: bytes) -> list[str]:
    """What the .docx holds that a letterhead may not, one clause each naming it (none when it may be used). The zip
    must already have passed the size and zip-bomb checks (services/documents.py)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            problems = _content_type_problems(archive) + _part_problems(archive)
    except (KeyError, etree.XMLSyntaxError, ValueError):
        return [_sentence("a part of it could not be read as a Word document")]
    return list(dict.fromkeys(problems))  # each once, in the order found


def in_words(problems: list[str]) -> str:
    """The problems as one sentence: "it holds macros (a VBA project); and it holds a DDEAUTO field (...)"."""
    return "; and ".join(problems) if len(problems) < 3 else "; ".join(problems[:-1]) + "; and " + problems[-1]
