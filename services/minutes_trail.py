"""Minutes typed over many autosaves leave a bounded audit trail: one entry per case per few minutes of typing.

The live minutes save a case every couple of seconds while it is typed. Writing the whole text before and after
into the trail at each save made the trail grow with every keystroke pause (a 25-case meeting: thousands of
entries, megabytes of repeated text). Entries are sealed rows that can never be updated, so the saves are
coalesced before anything is written:

- A case's save does not go to the trail through the flush listener (`audit.held_back`); this module writes its
  entry (`audit.write_change`), as "before → after" of the minute fields that changed.
- An autosave writes an entry only when it is due: the case's last change entry is `EVERY` old or more, or was
  someone else's, or there is none. Otherwise it is held back, and the text it saved is only in the record.
- An entry's "before" is the text as the trail last had it (each column's latest "after", read back from the
  case's own entries), not the text of the previous save. So the entries chain: each starts where the one before
  ended, and no text typed over the held-back saves is described as if it had never existed.
- The typing's end always reaches the trail, never just the record: leaving a case (the page sends a final save
  when focus leaves it, or the page is closed), the "Save" button and marking the meeting held write the case's
  text as it then stands whenever the trail is behind it (`catch_up`). A save by someone else first writes the
  text the previous typist left, under their name, so it cannot be lost between two people.

What is not kept: the intermediate drafts within one window of typing (which no one asked to keep).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta

from models import AgendaItem, User, utcnow
from services import audit

#: At most one trail entry per case per this much typing (the last text of a window is always written).
EVERY = timedelta(minutes=3)


def _values(item: AgendaItem, fields: Iterable[str]) -> dict:
    return {name: audit.plain(getattr(item, name)) for name in fields}


def _as_the_trail_has_it(item: AgendaItem, before: dict) -> dict:
    """The fields as the trail last described them; a field it never described, as the record had it before."""
    state = audit.as_the_trail_has_it(item.__tablename__, item.id)
    return {name: state.get(name, value) for name, value in before.items()}


def _write(item: AgendaItem, old: dict, new: dict, user_id: int | None, detail: str | None = None) -> None:
    changes = {name: [old[name], new[name]] for name in new if old[name] != new[name]}
    if changes:
        audit.write_change(item, changes, user_id=user_id, detail=detail)


@contextmanager
def coalesced(item: AgendaItem, by: User, fields: tuple[str, ...], *, final: bool):
    """Save a case's minutes inside the block; its trail entry is written now if due (or `final`), else held back."""
    before = _values(item, fields)
    with audit.held_back(item):
        yield
    last = audit.last_change(item.__tablename__, item.id)
    due = final or last is None or last.user_id != by.id or utcnow() - last.at >= EVERY
    if not due:
        return
    trail = _as_the_trail_has_it(item, before)
    if last is not None and last.user_id != by.id and trail != before:
        # The previous typist's held-back text: theirs, written under their name before this person's change.
        _write(item, trail, before, last.user_id, "the text as it was left, written when someone else saved it")
        trail = before
    _write(item, trail, _values(item, fields), by.id)


def catch_up(item: AgendaItem, fields: tuple[str, ...]) -> None:
    """Write the case's text as it stands when the trail is behind it (held-back autosaves), under the name of the
    person who typed it: the end of a meeting, so the last text typed is never only in the record."""
    now = _values(item, fields)
    trail = _as_the_trail_has_it(item, now)
    if trail != now:
        last = audit.last_change(item.__tablename__, item.id)
        _write(item, trail, now, last.user_id if last else None, "the text as it stood when the meeting was held")
