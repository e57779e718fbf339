"""Saving an imported list (services/case_finding.py checks it): all of it or none, in batches of rows a flush.

A row changes its patient only where the list knows better: an eFI or CFS whose date is newer than the one held (a
value typed on a screen is dated by the patient's last change), a hospital event not already held on that date,
a long-term condition not already listed. What each import changed is counted on it; the patients it changed point
to it (`PatientListFigures.import_id`: "the import they came from").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from formats.dates import today
from models import (
    DomainError,
    HospitalEvent,
    ListImport,
    ListImportRefusal,
    ListSource,
    Patient,
    PatientListFigures,
    User,
    among,
    db,
    utcnow,
)
from services import audit, risk
from services.case_finding import BATCH, ListRow, Preview, preview_list, read_list, remember_mapping
from services.caseload import copy_case_scores
from services.kpis import tallies

Progress = Callable[[int, int], None]

#: Rows above which an import leaves the KPI tallies to the nightly rebuild (`flask rebuild-kpi-tallies
#: --if-out-of-date`): keeping them in step costs two counts of every touched patient's rows a flush (a 100,000-row
#: list, minutes); until the rebuild the dashboard counts from the records, more slowly, and says so.
TALLIED_ROWS = 2000


def import_list(
    data: bytes,
    filename: str,
    source: ListSource,
    mapping: dict[str, str],
    by: User,
    *,
    create_new: bool = False,
    figures_on: date | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ListImport:
    """Check the file as the preview does, then save every usable row (or, on any failure, the caller's unit of
    work saves none). `figures_on` dates the eFI and CFS of a list without date columns for them (today)."""
    preview = preview_list(read_list(data, filename), mapping, create_new=create_new)
    return save_preview(preview, filename, source, mapping, by, figures_on=figures_on, progress=progress, batch=batch)


def save_preview(
    preview: Preview,
    filename: str,
    source: ListSource,
    mapping: dict[str, str],
    by: User,
    *,
    figures_on: date | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ListImport:
    """Save what a preview found usable: the people not held are added when the preview was made to add them."""
    session, create_new = db.session(), preview.create_new
    if figures_on is not None and figures_on > today():
        raise DomainError("The date of the list's eFI and CFS cannot be in the future.")
    why = f"List {filename[:150]} ({source.label}) imported by {by.name}"
    with audit.reason(why):
        remember_mapping(source, mapping, by)
        record = ListImport(
            filename=filename[:200],
            source=source,
            imported_by_id=by.id,
            imported_at=utcnow(),
            column_mapping=json.dumps(mapping, sort_keys=True),
            figures_on=figures_on or today(),
            created_new=create_new,
            rows_read=preview.rows_read,
            matched=len(preview.matched),
            new=len(preview.new),
            refused=len(preview.refusals),
        )
        session.add(record)
        session.flush()
        audit.insert_audited(
            ListImportRefusal,
            [
                {
                    "import_id": record.id,
                    "row_number": r.row_number,
                    "reason": r.reason,
                    "raw_values": json.dumps(r.values),
                }
                for r in preview.refusals
            ],  # fmt: skip
        )
        rows = preview.matched + (preview.new if create_new else [])
        if len(rows) > TALLIED_ROWS and tallies.is_built(session):
            tallies.mark_out_of_date(session)  # counted afresh by the nightly rebuild, not a patient at a time
        saver = _Saver(record, preview.patient_ids, bulk=len(rows) > TALLIED_ROWS)
        for first in range(0, len(rows), batch):
            saver.save(rows[first : first + batch])
            session.flush()  # the batch; the risk rule recomputes its patients after it
            risk.recompute_noted(session, None)  # those whose hospital events alone changed (written in bulk)
            session.flush()  # their new priority
            if progress:
                progress(min(first + batch, len(rows)), len(rows))
        record.figures_changed, record.events_added = saver.figures_changed, saver.events_added
        session.flush()
    return record


class _Saver:
    """Saves one batch of rows at a time: three queries to read what is held, then the changes.

    A large import (`bulk`, the KPI tallies left to the nightly rebuild) writes the new hospital events and the new
    marks of where a patient came from with one audited write a batch (COPY on PostgreSQL), and the patients' changed
    figures with one audited UPDATE a batch (`audit.insert_audited`, `audit.update_audited`: the trail entries the
    flush would write), not an object each; the patients whose events alone changed are noted for the risk rule as
    a flush would.
    """

    def __init__(self, record: ListImport, patient_ids: dict[str, int], *, bulk: bool = False):
        self.record, self.patient_ids, self.bulk = record, patient_ids, bulk
        self.figures_changed = self.events_added = 0
        self.pending_events: list[dict] = []
        self.pending_marks: dict[int, dict] = {}
        #: The batch's patients, held until the next batch: the risk rule reads them after the flush.
        self.held: list[Patient] = []
        self.points = risk.current_points(db.session())

    def _write_pending(self) -> None:
        """The batch's new events and marks, in bulk (without flushing the patients' changes first)."""
        session = db.session()
        with session.no_autoflush:
            if self.pending_events:
                audit.insert_audited(HospitalEvent, self.pending_events)
                noted = {row["patient_id"] for row in self.pending_events}
                session.info.setdefault("risk_recompute", set()).update(noted)
            if self.pending_marks:
                audit.insert_audited(PatientListFigures, list(self.pending_marks.values()))
        self.pending_events, self.pending_marks = [], {}

    def save(self, rows: list[ListRow]) -> None:
        session = db.session()
        ids = [self.patient_ids[r.nhs_number] for r in rows if r.nhs_number in self.patient_ids]
        patients = {p.id: p for p in session.scalars(select(Patient).where(among(Patient.id, ids)))} if ids else {}
        marks = select(PatientListFigures).where(among(PatientListFigures.patient_id, ids))
        figures = {f.patient_id: f for f in session.scalars(marks)} if ids else {}
        held_events = set()
        if ids:
            query = select(HospitalEvent.patient_id, HospitalEvent.kind, HospitalEvent.occurred_on).where(
                among(HospitalEvent.patient_id, ids), HospitalEvent.archived_at.is_(None)
            )
            held_events = {tuple(row) for row in session.execute(query)}
        created = []
        for row in rows:
            pid = self.patient_ids.get(row.nhs_number)
            if pid is None:
                created.append((row, self._new_patient(row)))
                continue
            patient = patients[pid]
            mark = figures.get(pid)
            taken = self._figures(patient, mark, row)
            changed = self._conditions(patient, row)
            changed |= self._events(pid, row, held_events)
            if taken or changed:
                self._point_to_import(pid, mark, taken)
        self.held = [*patients.values(), *(patient for _, patient in created)]
        if self.bulk:
            self._write_pending()
            self._score(list(patients.values()))
            copy_case_scores(session.connection(), patients)  # the flush that would have copied them sees none
        if created:
            session.flush()  # the new patients' ids
            for row, patient in created:
                self.patient_ids[row.nhs_number] = patient.id
                self._events(patient.id, row, set())
                taken = {
                    n: self._dated(row, getattr(row, f"{n}_on")) for n in ("efi", "cfs") if getattr(row, n) is not None
                }
                self._point_to_import(patient.id, None, taken)
            if self.bulk:
                self._write_pending()
                self._score([patient for _, patient in created])

    def _score(self, patients: list[Patient]) -> None:
        """In bulk: the patients' new priority, from what this batch wrote, goes out with their new figures a batch at
        a time with their trail entries; the risk rule's own recompute after the flush then has nothing left to do for
        them (for the new patients, it would have written each one's priority with a statement of its own)."""
        session = db.session()
        ids = [patient.id for patient in patients]  # read before they are written and expired
        risk.recompute_patients(patients, session, self.points)
        audit.update_audited(patients)
        session.info.get("risk_recompute", set()).difference_update(ids)

    def _new_patient(self, row: ListRow) -> Patient:
        patient = Patient(
            nhs_number=row.nhs_number,
            given_name=row.given_name,
            family_name=row.family_name,
            date_of_birth=row.date_of_birth,
            gp_practice_id=row.practice_id,
            efi=row.efi,
            efi_on=self._dated(row, row.efi_on) if row.efi is not None else None,
            cfs=row.cfs,
            long_term_conditions="\n".join(row.conditions) or None,
        )
        db.session.add(patient)
        self.figures_changed += row.efi is not None or row.cfs is not None
        return patient

    def _dated(self, row: ListRow, on: date | None) -> date:
        return on or self.record.figures_on

    @staticmethod
    def _held_on(patient: Patient, mark: PatientListFigures | None, name: str) -> date | None:
        """The date of the value held: the eFI's own date, else the date an import set it (the CFS has no date of its
        own), else the patient's last change; None when nothing is held."""
        if getattr(patient, name) is None:
            return None
        own = patient.efi_on if name == "efi" else None
        return own or getattr(mark, f"{name}_on", None) or (patient.updated_at.date() if patient.updated_at else None)

    def _figures(self, patient: Patient, mark: PatientListFigures | None, row: ListRow) -> dict[str, date]:
        """eFI and CFS, each only when the list's value is newer than the one held: {name: date} of those taken."""
        taken, changed = {}, False
        for name in ("efi", "cfs"):
            value = getattr(row, name)
            if value is None:
                continue
            on, held_on = self._dated(row, getattr(row, f"{name}_on")), self._held_on(patient, mark, name)
            if held_on is not None and on <= held_on:
                continue
            taken[name] = on
            if getattr(patient, name) != value:
                setattr(patient, name, value)
                changed = True
            if name == "efi" and patient.efi_on != on:
                patient.efi_on = on  # the eFI's date goes with it
        self.figures_changed += changed
        return taken

    @staticmethod
    def _conditions(patient: Patient, row: ListRow) -> bool:
        held = [line.strip() for line in (patient.long_term_conditions or "").splitlines() if line.strip()]
        known = {line.lower() for line in held}
        added = [c for c in row.conditions if c.lower() not in known]
        if not added:
            return False
        text = "\n".join(held + added)
        if len(text) > 2000:
            return False
        patient.long_term_conditions = text
        return True

    def _events(self, pid: int, row: ListRow, held: set) -> bool:
        added = False
        for kind, day in row.events:
            if (pid, kind, day) in held:
                continue
            held.add((pid, kind, day))
            if self.bulk:
                now = utcnow()
                # Only what is known: the columns left out take their defaults (empty), and fewer values a row
                # make a shorter statement for PostgreSQL's driver to read (a batch's INSERT is read afresh each time).
                self.pending_events.append(dict(patient_id=pid, kind=kind, occurred_on=day, created_at=now,
                                                updated_at=now))  # fmt: skip
            else:
                db.session.add(HospitalEvent(patient_id=pid, kind=kind, occurred_on=day))
            self.events_added += 1
            added = True
        return added

    def _point_to_import(self, pid: int, mark: PatientListFigures | None, taken: dict[str, date]) -> None:
        """The patient now came from this import; the dates of the eFI and CFS it set are kept with it."""
        if mark is None and self.bulk:
            dates = {f"{name}_on": taken.get(name) for name in ("efi", "cfs")}
            self.pending_marks[pid] = {"patient_id": pid, "import_id": self.record.id, **dates}
            return
        if mark is None:
            mark = PatientListFigures(patient_id=pid)
            db.session.add(mark)
        mark.import_id = self.record.id
        for name, on in taken.items():
            setattr(mark, f"{name}_on", on)
