"""The audit trail in words: what the team lead reads on the audit screen (a read model: it changes nothing).

Each entry says when (London time), who (name and role), what was done in words ("Opened the record of",
"Changed", "Listed referrals"), which record by its name ("Referral for ASHDOWN, Margaret (999 777 1230)") and
its changes as "label: before → after". A page of entries is named in a fixed number of queries, whatever its
length: one per kind of record it mentions (its rows, and the rows its changes point at), one for the patients.

Files are shown by kind and size ("a Word document, 23 KB"). Entries written since the writer stopped keeping
contents carry a summary (`formats.words.file_summary`); older ones hold the bytes as Python wrote them
(`b'PK\\x03\\x04…'`), which are read back here and summarised the same way: the sealed rows stay as they are.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from urllib.parse import parse_qsl

from sqlalchemy import Boolean, Date, LargeBinary, inspect, select
from sqlalchemy.orm import joinedload

from formats.dates import format_date, format_datetime
from formats.numbers import whole_number
from formats.words import describe_file, file_summary, plural
from models import (
    AgendaItem,
    Attendance,
    AuditAction,
    AuditEntry,
    CarePlanShare,
    Contact,
    DirectoryService,
    GeneratedDocument,
    Meeting,
    MeetingMember,
    Patient,
    PollInvitation,
    User,
    UTCDateTime,
    db,
)
from services import audit
from services.settings import LABELS as SETTING_LABELS

#: What each table's rows are called: (one, several). The trail names a record by its kind and, for a patient's
#: records, the patient ("Referral for ASHDOWN, Margaret (999 777 1230)").
RECORD_KINDS: dict[str, tuple[str, str]] = {
    "action": ("Action", "actions"),
    "action_chase": ("Chase", "chases"),
    "action_update": ("Update from an action's owner", "updates from actions' owners"),
    "agenda_item": ("Case", "cases on agendas"),
    "attendance": ("Attendance", "attendance"),
    "audit_entry": ("Audit entry", "audit entries"),
    "availability_poll": ("Availability poll", "availability polls"),
    "bank_holiday": ("Bank holiday", "bank holidays"),
    "base_document": ("Letterhead", "letterheads"),
    "care_plan": ("Care plan", "care plans"),
    "care_plan_share": ("Care plan shared with the GP", "care plans shared with GPs"),
    "closure_goal": ("Goal at closure", "goals at closure"),
    "collated_note": ("Note from another system", "notes from other systems"),
    "contact": ("Contact", "contacts"),
    "contact_log": ("Contact log entry", "contact log entries"),
    "directory_service": ("Service in the directory", "services in the directory"),
    "email_attempt": ("Try at sending an email", "tries at sending emails"),
    "episode": ("Episode", "episodes"),
    "form_token": ("Form sent", "forms sent"),
    "generated_document": ("Document", "documents"),
    "goal": ("Goal", "goals"),
    "goal_update": ("Progress on a goal", "progress on goals"),
    "home": ("Home page", "today's work on the home page"),
    "hospital_event": ("Hospital event", "hospital events"),
    "kpi": ("KPI figure", "KPI figures"),
    "locality": ("Locality", "localities"),
    "meeting": ("Meeting", "meetings"),
    "meeting_member": ("Meeting member", "meeting members"),
    "onward_referral": ("Onward referral", "onward referrals"),
    "organisation": ("Organisation", "organisations"),
    "outbox_attachment": ("Email attachment", "email attachments"),
    "outbox_email": ("Email", "emails"),
    "patient": ("Patient", "patients"),
    "poll_invitation": ("Availability request", "availability requests"),
    "poll_slot": ("Proposed time", "proposed times"),
    "recovery_code": ("Recovery code", "recovery codes"),
    "referral": ("Referral", "referrals"),
    "safeguarding_concern": ("Safeguarding concern", "safeguarding concerns"),
    "secure_domain": ("Secure email domain", "secure email domains"),
    "setting": ("Setting", "settings"),
    "signposting": ("Signposting", "signposting"),
    "triage_decision": ("Triage decision", "triage decisions"),
    "user_account": ("User account", "user accounts"),
    "user_session": ("Sign-in session", "sign-in sessions"),
}

#: Related rows a record's name is made of, loaded with it (so a page costs one query per kind, not per row).
_NAME_LOADS: dict[type, Callable[[], list]] = {
    AgendaItem: lambda: [joinedload(AgendaItem.meeting).joinedload(Meeting.locality)],
    Attendance: lambda: [joinedload(Attendance.contact).joinedload(Contact.organisation)],
    CarePlanShare: lambda: [joinedload(CarePlanShare.care_plan)],
    Contact: lambda: [joinedload(Contact.organisation)],
    DirectoryService: lambda: [joinedload(DirectoryService.organisation)],
    Meeting: lambda: [joinedload(Meeting.locality)],
    MeetingMember: lambda: [joinedload(MeetingMember.contact).joinedload(Contact.organisation),
                            joinedload(MeetingMember.locality)],
    PollInvitation: lambda: [joinedload(PollInvitation.contact).joinedload(Contact.organisation),
                             joinedload(PollInvitation.poll)],
}  # fmt: skip
#: Rows a record's name needs that are not related to it by a relationship: loaded in a second round, by kind.
_FOLLOW: dict[type, Callable[[object], list[tuple[str, int | None]]]] = {
    GeneratedDocument: lambda row: [("meeting", row.meeting_id)],
}

#: Kinds whose rows name themselves ("Riverside ILR 25/11/2026 10:00"): no "Meeting:" before them.
_SELF_NAMED = {"meeting", "locality"}
#: Columns never shown: a row's own number says nothing to a person.
_HIDDEN = {"id"}
#: How the first step of signing in was passed.
_FIRST_STEPS = {"password": "with their password", "organisation": "through their organisation's sign-in"}

#: Status codes of a refused request, in words.
_REFUSALS = {
    "401": "not signed in",
    "403": "not allowed for their role",
    "404": "not found, or not theirs to see",
    "405": "not a way that page is used",
    "429": "too many tries",
}
_REFUSED = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) (\S+) refused with (\d{3})$")
_MEETING_NUMBER = re.compile(r"\bmeeting (\d+)\b")
_SHOWN_ON = re.compile(r"^(agenda|minutes) of meeting (\d+)$")
_FILTER_ARG = re.compile(r"^flt\d+_(.+)$")
#: The longest value the list shows of one change (the entry's own page shows it whole).
SHORT = 300


def kind_of(table: str | None) -> str:
    """ "Referral": what one row of the table is called."""
    return RECORD_KINDS.get(table or "", ((table or "record").replace("_", " ").capitalize(), ""))[0]


def kinds_of(table: str | None) -> str:
    """ "referrals": what several rows of the table are called."""
    return RECORD_KINDS.get(table or "", ("", (table or "record").replace("_", " ") + "s"))[1]


def kind_choices() -> list[tuple[str, str]]:
    """(table, what one row is called) for the "kind of record" filter, alphabetical."""
    return sorted(((table, one) for table, (one, _) in RECORD_KINDS.items()), key=lambda pair: pair[1])


@cache
def _models() -> dict[str, type]:
    """Each table's model, for the tables whose rows have a single whole-number key."""
    found = {}
    for mapper in db.Model.registry.mappers:
        keys = mapper.primary_key
        if len(keys) == 1 and keys[0].name == "id":
            found[mapper.local_table.name] = mapper.class_
    return found


def _column(table: str | None, name: str):
    model = _models().get(table or "")
    return inspect(model).columns.get(name) if model is not None else None


def humanised(name: str) -> str:
    """ "received_on" -> "Received on", "patient_id" -> "Patient": a column's name when no screen labels it."""
    return name.removesuffix("_id").replace("_", " ").capitalize()


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One trail entry as a person reads it."""

    when: str
    who: str
    what: str
    record: str
    why: str
    detail: str
    changes: list[Change] = field(default_factory=list)


class _Names:
    """The rows a page of entries names, loaded once per kind of record (and once for the patients)."""

    def __init__(self):
        self.wanted: dict[str, set[int]] = defaultdict(set)
        self.rows: dict[tuple[str, int], object] = {}
        self.patients: dict[int, Patient] = {}

    def want(self, table: str | None, key) -> None:
        if table in _models() and isinstance(key, int) and not isinstance(key, bool):
            self.wanted[table].add(key)

    def load(self) -> None:
        """Two rounds, one query per kind each (the second for what the first rows point at), then the patients."""
        patient_ids = set(self.wanted.pop("patient", ()))
        for _ in range(2):
            wanted, self.wanted = self.wanted, defaultdict(set)
            for table, ids in wanted.items():
                ids -= {key for kind, key in self.rows if kind == table}
                patient_ids |= self._load(table, ids) if ids else set()
        if patient_ids:
            self.patients = {p.id: p for p in db.session.scalars(select(Patient).where(Patient.id.in_(patient_ids)))}

    def _load(self, table: str, ids: set[int]) -> set[int]:
        """Load one kind's rows; returns the patients they are about."""
        model, patient_ids = _models()[table], set()
        options = _NAME_LOADS.get(model, list)()
        for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)).unique():
            self.rows[(table, row.id)] = row
            if getattr(row, "patient_id", None):
                patient_ids.add(row.patient_id)
            for kind, key in _FOLLOW.get(model, lambda row: [])(row):
                self.want(kind, key)
        return patient_ids

    def patient(self, key) -> Patient | None:
        return self.patients.get(key) if isinstance(key, int) else None

    def name(self, table: str | None, key) -> str | None:
        """The record's name, or None when it is not (or no longer) kept."""
        if table == "patient":
            patient = self.patient(key)
            return str(patient) if patient else None
        row = self.rows.get((table or "", key))
        return _name_of(table, row, self.patient(getattr(row, "patient_id", None)), self) if row is not None else None


def _name_of(table: str, row, patient: Patient | None, names: _Names) -> str:
    kind = kind_of(table)
    if isinstance(row, User):
        return f"{row.name} ({row.role.label})"
    if isinstance(row, AgendaItem):
        return f"Case of {patient} at {row.meeting}"
    if isinstance(row, GeneratedDocument):
        about = names.rows.get(("meeting", row.meeting_id)) or patient
        return f"{row.kind.label} of {about}" if about else f"{row.kind.label} ({row.filename})"
    if patient is not None:
        return f"{kind} for {patient}"
    return str(row) if table in _SELF_NAMED else f"{kind}: {row}"


# --- values ---------------------------------------------------------------------------------------------------


def _old_file(text: str) -> str:
    """The bytes an older entry kept, as Python wrote them (b'PK\\x03…'), by their kind and size."""
    try:
        content = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError):
        return "a file"
    return describe_file(file_summary(content)) if isinstance(content, bytes) else "a file"


def _typed(column, value) -> str | None:
    """A value read by its column's type: an enum's label, a British date, a London time, yes or no."""
    kind = column.type
    enum_class = getattr(kind, "enum_class", None)
    if enum_class is not None:
        try:
            return enum_class(value).label
        except ValueError:
            return str(value)
    if isinstance(kind, UTCDateTime) and isinstance(value, str):
        return format_datetime(datetime.fromisoformat(value))
    if isinstance(kind, Date) and isinstance(value, str):
        return format_date(date.fromisoformat(value[:10]))
    if isinstance(kind, Boolean) or isinstance(value, bool):
        return "Yes" if value else "No"
    return None


def _value(table: str | None, name: str, value, names: _Names) -> str:
    """One before or after value as a person reads it."""
    if value is None or value == "":
        return "blank"
    column = _column(table, name)
    binary = column is not None and isinstance(column.type, LargeBinary)
    if isinstance(value, dict) and "file" in value:
        return describe_file(value)
    if binary and isinstance(value, str):
        return _old_file(value)  # an entry from before files were summarised: their bytes as Python wrote them
    if column is None:
        return str(value)
    for key in column.foreign_keys:
        target = key.column.table.name
        row = names.rows.get((target, value))
        if row is not None and not isinstance(row, User) and not names.patient(getattr(row, "patient_id", None)):
            return str(row)
        return names.name(target, value) or f"a {kind_of(target).lower()} no longer kept"
    try:
        typed = _typed(column, value)
    except ValueError:
        typed = None
    return typed if typed is not None else str(value)


def _changes(entry: AuditEntry) -> dict:
    try:
        changes = json.loads(entry.changes) if entry.changes else {}
    except ValueError:
        return {}
    return changes if isinstance(changes, dict) else {}


def _want_values(entry: AuditEntry, names: _Names) -> None:
    for name, pair in _changes(entry).items():
        column = _column(entry.table_name, name)
        if column is None or not isinstance(pair, list):
            continue
        for key in column.foreign_keys:
            for value in pair:
                names.want(key.column.table.name, value)


def _change_list(entry: AuditEntry, names: _Names, label: Callable[[str, str], str], short: bool) -> list[Change]:
    changes = []
    for name, pair in _changes(entry).items():
        if name in _HIDDEN:
            continue
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if name in audit.SECRET_COLUMNS:
            shown = ("not shown", "changed (not shown)")
        else:
            shown = tuple(_value(entry.table_name, name, v, names) for v in (before, after))
        if short:
            shown = tuple(v if len(v) <= SHORT else v[: SHORT - 1].rstrip() + "…" for v in shown)
        changes.append(Change(label(entry.table_name or "", name), *shown))
    return changes


# --- what was done, to which record ------------------------------------------------------------------------------


def _setting_name(entry: AuditEntry) -> str:
    key = _changes(entry).get("key", [None, None])
    key = (key[1] or key[0]) if isinstance(key, list) else None
    key = key or (entry.detail or "").removeprefix("key=")
    return f"Setting: {SETTING_LABELS.get(key, key.replace('_', ' '))}"


def _record_name(entry: AuditEntry, names: _Names) -> str:
    if entry.table_name == "setting":
        return _setting_name(entry)
    if entry.record_id is not None:
        name = names.name(entry.table_name, entry.record_id)
        return name or f"{kind_of(entry.table_name)} no longer kept"
    patient = names.patient(entry.patient_id)
    return str(patient) if patient else ""


def _opened(entry: AuditEntry, names: _Names) -> tuple[str, str]:
    patient = names.patient(entry.patient_id)
    shown_on = _SHOWN_ON.match(entry.detail or "")
    if shown_on:
        meeting = names.name("meeting", int(shown_on.group(2))) or "a meeting"
        return f"Opened the {shown_on.group(1)} of {meeting}, which names", str(patient or "")
    if entry.table_name == "patient":
        return "Opened the record of", str(patient or _record_name(entry, names))
    if entry.table_name == "care_plan" and patient:
        return "Opened the care plan of", str(patient)
    return "Opened", _record_name(entry, names)


def _document(entry: AuditEntry, names: _Names) -> tuple[str, str]:
    row = names.rows.get(("generated_document", entry.record_id))
    if entry.record_id is None:
        return "Downloaded a document naming", str(names.patient(entry.patient_id) or "")
    if isinstance(row, GeneratedDocument):
        about = names.rows.get(("meeting", row.meeting_id)) or names.patient(row.patient_id)
        if about is not None:
            return f"Downloaded the {row.kind.label.lower()} of", str(about)
    return "Downloaded", _record_name(entry, names)


_VERBS = {AuditAction.create: "Added", AuditAction.update: "Changed", AuditAction.delete: "Deleted"}


def _what(entry: AuditEntry, names: _Names) -> tuple[str, str]:
    """(what was done, to which record) in words."""
    action = entry.action
    if action in _VERBS:
        return _VERBS[action], _record_name(entry, names)
    if action is AuditAction.view:
        return _opened(entry, names)
    if action is AuditAction.document:
        return _document(entry, names)
    patient = str(names.patient(entry.patient_id) or "")
    if action is AuditAction.list:
        return (
            "Opened the KPI figures" if entry.table_name == "kpi" else f"Listed {kinds_of(entry.table_name)}"
        ), patient
    if action is AuditAction.export:
        return f"Exported {kinds_of(entry.table_name)}", patient
    if action is AuditAction.refused:
        return "Was refused", ""
    record = _record_name(entry, names) if entry.table_name else ""
    return action.label, record


# --- details: list filters, refusals, meetings by name -------------------------------------------------------


def _argument(name: str, value: str) -> str | None:
    """One query-string argument of a list in words; None for those that change only the view (sort, page size)."""
    if name == "search":
        return f"searched for “{value}”"
    if name == "page":
        page = whole_number(value)
        return f"page {page + 1}" if page is not None else None
    if name == "archived":
        return "archived records"
    found = _FILTER_ARG.match(name)
    if found:
        return f"{found.group(1).replace('_', ' ')}: {value}"
    return None if name in ("sort", "desc", "page_size", "url") else f"{name.replace('_', ' ')}: {value}"


def _list_detail(detail: str) -> str:
    """ "csv search=Ashdown&page=1 rows=1 of 3" -> "as CSV: searched for “Ashdown”, page 2; 1 row of 3"."""
    head, _, rows = detail.rpartition(" rows=")
    if not _:
        return detail
    kind, space, arguments = head.partition(" ")
    if kind in ("csv", "xlsx"):
        head = arguments
    shown, _, total = rows.partition(" of ")
    count = f"{plural(int(shown), 'row')} of {total}" if total else plural(int(shown), "row")
    words = [w for n, v in parse_qsl(head.removeprefix("intake search").strip(), keep_blank_values=True)
             if (w := _argument(n, v))]  # fmt: skip
    prefix = f"as {'a spreadsheet' if kind == 'xlsx' else 'CSV'}: " if kind in ("csv", "xlsx") else ""
    return f"{prefix}{', '.join(words) + '; ' if words else ''}{count}"


def _detail(entry: AuditEntry, names: _Names) -> str:
    detail = entry.detail or ""
    refused = _REFUSED.match(detail)
    if refused:
        method, path, status = refused.groups()
        asked = "opening" if method == "GET" else "sending a form to"
        return f"{asked} {path}: {_REFUSALS.get(status, 'refused')}"
    if entry.action in (AuditAction.list, AuditAction.export) and " rows=" in detail and entry.table_name != "kpi":
        try:
            return _list_detail(detail)
        except ValueError:
            return detail
    if detail.startswith("email="):
        return f"email address given: {detail.removeprefix('email=')}"
    if entry.action is AuditAction.first_step_passed:
        return _FIRST_STEPS.get(detail, detail)
    if _SHOWN_ON.match(detail) or detail.startswith("key="):
        return ""
    return _MEETING_NUMBER.sub(lambda m: names.name("meeting", int(m.group(1))) or m.group(0), detail)


def _want_detail(entry: AuditEntry, names: _Names) -> None:
    for number in _MEETING_NUMBER.findall(entry.detail or ""):
        names.want("meeting", int(number))


def _who(entry: AuditEntry) -> str:
    user = entry.user
    return f"{user.name} ({user.role.label})" if user else "Nobody signed in"


def in_words(
    entries: list[AuditEntry], label: Callable[[str, str], str] = lambda table, name: humanised(name), short=True
) -> dict[int, Entry]:
    """Each entry by id, in words; `label(table, column)` names a changed column as the record's screen does.

    The records the entries name are loaded together: one query per kind of record, one for the patients.
    """
    names = _Names()
    for entry in entries:
        names.want(entry.table_name, entry.record_id)
        names.want("patient", entry.patient_id)
        _want_values(entry, names)
        _want_detail(entry, names)
    names.load()
    words = {}
    for entry in entries:
        what, record = _what(entry, names)
        words[entry.id] = Entry(
            when=format_datetime(entry.at), who=_who(entry), what=what, record=record, why=entry.reason or "",
            detail=_detail(entry, names), changes=_change_list(entry, names, label, short),
        )  # fmt: skip
    return words
