"""How a letter greets a named doctor: "Dr Anika Shah" is written to as "Dr Shah"."""

from __future__ import annotations

import re

#: Titles a named GP may be recorded with, as a letter writes them (no full stop, British style).
TITLES = {"dr": "Dr", "doctor": "Dr", "prof": "Professor", "professor": "Professor", "mr": "Mr", "mrs": "Mrs",
          "ms": "Ms", "miss": "Miss", "mx": "Mx"}  # fmt: skip
#: A note in brackets after a name ("Dr Shah (locum)") is not part of it.
_BRACKETED = re.compile(r"\([^)]*\)")


def salutation(name: str | None) -> str:
    """The title and family name a letter to this doctor opens with: "Dr Anika Shah", "Shah" and "dr. a. shah" are
    all "Dr Shah" (a GP is a doctor unless recorded with another title); "" when no name is given."""
    words = _BRACKETED.sub(" ", name or "").replace(".", " ").split()
    if not words:
        return ""
    title = TITLES.get(words[0].lower())
    if title is not None:
        words = words[1:]
    if not words:
        return ""
    family = words[-1]
    if family.islower():
        family = family[:1].upper() + family[1:]
    return f"{title or 'Dr'} {family}"
