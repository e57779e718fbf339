"""Counts and files in words, with no app imports: "3 cases", "1 weekly meeting", "a Word document, 23 KB"."""

from __future__ import annotations

import hashlib
import re

#: Plurals that are not the singular plus "s".
_IRREGULAR = {"person": "people"}


def plural(count: int, singular: str, many: str | None = None) -> str:
    """The number and the word it counts: "1 case", "3 cases", "0 cases", never "case(s)".

    The last word of `singular` is the one counted ("weekly meeting" -> "weekly meetings"); `many` gives the
    whole plural when it is not regular.
    """
    if count == 1:
        return f"1 {singular}"
    if many is None:
        head, _, last = singular.rpartition(" ")
        last = _IRREGULAR.get(last) or (last[:-1] + "ies" if re.search(r"[^aeiou]y$", last) else last + "s")
        many = f"{head} {last}" if head else last
    return f"{count:,} {many}"


# --- files: what the audit trail keeps of a document instead of its bytes ------------------------------------------

#: (how the file starts, what is inside a zip, what a person calls it), first match wins.
_KINDS = (
    (b"PK\x03\x04", b"word/", "a Word document"),
    (b"PK\x03\x04", b"xl/", "a spreadsheet"),
    (b"PK\x03\x04", b"", "a zip file"),
    (b"%PDF", b"", "a PDF"),
    (b"BEGIN:VCALENDAR", b"", "a calendar invitation"),
    (b"\x89PNG", b"", "a picture"),
)


def file_kind(content: bytes) -> str:
    """What a person calls a file, from its first bytes (and, for a zip, what it holds): "a Word document"."""
    for start, inside, kind in _KINDS:
        if content.startswith(start) and inside in content:
            return kind
    return "a file"


def file_size(size: int) -> str:
    """23 KB, 1.4 MB, 512 bytes: as a file manager says it (1 KB = 1,000 bytes)."""
    if size < 1000:
        return plural(size, "byte")
    if size < 1_000_000:
        return f"{round(size / 1000):,} KB"
    return f"{size / 1_000_000:.1f} MB"


def file_summary(content: bytes) -> dict:
    """What the audit trail keeps of a file instead of its contents: its kind, size and SHA-256."""
    return {"file": file_kind(content), "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def describe_file(summary: dict) -> str:
    """ "a Word document, 23 KB" from `file_summary`'s dict."""
    return f"{summary.get('file') or 'a file'}, {file_size(int(summary.get('bytes') or 0))}"
