"""KPI fixtures and helpers shared by tests/test_kpis.py and tests/test_kpis_tallies.py: October 2026 in London
time, a held meeting, and six meetings around October's edges with their cases and attendance."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from formats.dates import LONDON
from models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CaseStatus,
    Contact,
    Meeting,
    MeetingStatus,
    OrganisationType,
    Role,
    db,
)
from services.kpis.links import Link
from services.kpis.periods import Scope
from services.kpis.records import drill_rows
from services.kpis.report import Kpi, Report, Table

OCTOBER = Scope(date(2026, 10, 1), date(2026, 10, 31), on=date(2026, 12, 2))
ARCHIVED = datetime(2026, 11, 1, 9, 0, tzinfo=LONDON)


def figures(kpi: Kpi) -> dict[str, str]:
    return {f.label: f.text for f in kpi.figures}


def rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def count_of(target: Link, scope: Scope = OCTOBER) -> int:
    return drill_rows(target, scope)[0]


def save(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if len(rows) == 1 else rows


@pytest.fixture
def lead(make_user):
    return make_user(Role.team_lead)


@pytest.fixture
def locality(create_locality):
    return create_locality(name="Medway North")


def held_meeting(locality, when: datetime, status=MeetingStatus.held, **extra) -> Meeting:
    return save(Meeting(locality=locality, starts_at=when, status=status, **extra))


@pytest.fixture
def october_meetings(app, locality, create_patient, create_referral, make_org):
    """Two meetings held in October (at 00:00 on the 1st in summer time and at 23:59 on the 31st, after the clocks
    went back on the 25th), and four that are not in it."""
    first = held_meeting(locality, datetime(2026, 10, 1, 0, 0, tzinfo=LONDON))  # 30/09 23:00 UTC
    last = held_meeting(locality, datetime(2026, 10, 31, 23, 59, tzinfo=LONDON))
    september = held_meeting(locality, datetime(2026, 9, 30, 23, 59, tzinfo=LONDON))
    held_meeting(locality, datetime(2026, 11, 1, 0, 0, tzinfo=LONDON))
    held_meeting(locality, datetime(2026, 10, 26, 10, 0, tzinfo=LONDON), archived_at=ARCHIVED)
    held_meeting(locality, datetime(2026, 10, 20, 10, 0, tzinfo=LONDON), status=MeetingStatus.planned)

    r1 = create_referral(received_on=date(2026, 9, 1), locality=locality)
    r2 = create_referral(received_on=date(2026, 10, 20), locality=locality)
    r3 = create_referral(received_on=date(2026, 9, 10), locality=locality)

    def item(meeting, status, referral=None, **extra):
        patient_id = referral.patient_id if referral else create_patient().id
        save(AgendaItem(meeting=meeting, patient_id=patient_id, referral=referral, status=status, **extra))

    item(first, CaseStatus.discussed, r1)  # r1: first discussed 01/10, 30 days after 01/09
    item(first, CaseStatus.not_reached, r2)
    item(first, CaseStatus.withdrawn)  # withdrawn: not counted as listed
    item(first, CaseStatus.discussed, r3, late_addition=True)  # r3 was first discussed in September
    item(september, CaseStatus.discussed, r3)
    item(last, CaseStatus.rolled_over, late_addition=True)
    item(last, CaseStatus.discussed, r2)  # r2: first discussed 31/10, 11 days after 20/10
    item(last, CaseStatus.discussed, archived_at=ARCHIVED)

    social = make_org(name="Social Services", type=OrganisationType.social_services)
    surgery = make_org(name="Castle Surgery", type=OrganisationType.gp_practice)
    fire = make_org(name="Fire and Rescue", type=OrganisationType.fire_rescue)
    s1, s2 = (save(Contact(name=n, email=f"{n}@example.gov.uk", organisation=social)) for n in ("s1", "s2"))
    gp = save(Contact(name="gp", email="gp@example.nhs.net", organisation=surgery))
    firefighter = save(Contact(name="ff", email="ff@example.gov.uk", organisation=fire))
    for meeting, answers in (
        (first, {s1: AttendanceStatus.attended, s2: AttendanceStatus.absent, gp: AttendanceStatus.apologies,
                 firefighter: AttendanceStatus.invited}),
        (last, {s1: AttendanceStatus.apologies, s2: AttendanceStatus.attended, gp: AttendanceStatus.attended,
                firefighter: AttendanceStatus.absent}),
        (september, {firefighter: AttendanceStatus.attended}),
    ):  # fmt: skip
        for contact, status in answers.items():
            save(Attendance(meeting=meeting, contact=contact, status=status))
    return {"first": first, "last": last, "social": social, "surgery": surgery, "fire": fire}


def every_figure(report: Report):
    for kpi in report.kpis:
        yield from kpi.figures
        for table in kpi.tables:
            for row in table.rows:
                yield from row
