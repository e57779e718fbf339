"""A practice's frailty search imported through the real service, so the case-finding list is not empty: people the
team holds but nobody has referred, at high figures with a recent admission (they reach the list), a few others, and
two rows the import refuses, as a real search has; then one of them suggested to their practice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from demo.context import Context
from demo.reference import DEMO_ACCOUNTS
from formats.nhs import format_nhs_number
from models import (
    DomainError,
    ListColumnMapping,
    ListImport,
    ListImportRefusal,
    ListSource,
    Organisation,
    Patient,
    PatientListFigures,
    PracticeSuggestion,
    User,
    db,
)
from services.case_finding_list import case_finding_list, on_the_list, suggest_to_practice
from services.list_import import import_list

FILENAME = "EMIS frailty search (demo).csv"
HEADINGS = ["NHS Number", "Forename", "Surname", "Date of Birth", "Usual GP Practice Code", "eFI Score", "Rockwood CFS",
            "Last Emergency Admission"]  # fmt: skip
MAPPING = {
    "nhs_number": "NHS Number",
    "given_name": "Forename",
    "family_name": "Surname",
    "date_of_birth": "Date of Birth",
    "practice_ods": "Usual GP Practice Code",
    "efi": "eFI Score",
    "cfs": "Rockwood CFS",
    "admissions": "Last Emergency Admission",
}
#: People on the search at high figures whom nobody has referred, and others.
FOUND, OTHERS = 12, 6


def _rows(ctx: Context, practice_codes: list[str]) -> list[list[str]]:
    """High figures and a recent admission for people the team holds but nobody has referred (they reach the
    case-finding list), ordinary ones for a few others, and two rows the import refuses."""
    rng, rows = ctx.rng, []
    unreferred = on_the_list()[1:]  # all but "in the high band": the search puts them there
    # Severe frailty (CFS 7-8) only where it is plausible: people of 65 and over, as the rest of the demo data.
    over_65 = Patient.date_of_birth <= ctx.today - timedelta(days=round(65 * 365.25))
    found = (
        select(Patient).where(Patient.nhs_number.is_not(None), over_65, *unreferred).order_by(Patient.id).limit(FOUND)
    )
    for patient in db.session.scalars(found):
        admitted = ctx.today - timedelta(days=rng.randint(3, 25))
        rows.append([format_nhs_number(patient.nhs_number), patient.given_name, patient.family_name,
                     f"{patient.date_of_birth:%d/%m/%Y}", "", f"{rng.randint(37, 58) / 100:.2f}",
                     str(rng.randint(7, 8)), f"{admitted:%d/%m/%Y}"])  # fmt: skip
    others = select(Patient).where(Patient.nhs_number.is_not(None)).order_by(Patient.id.desc()).limit(OTHERS)
    for patient in db.session.scalars(others):
        rows.append([patient.nhs_number, patient.given_name, patient.family_name, f"{patient.date_of_birth:%d/%m/%Y}",
                     "", f"{rng.randint(10, 30) / 100:.2f}", "", ""])  # fmt: skip
    rows.append(["999 000 0000", "Test", "Row", "01/01/1940", practice_codes[0], "0.30", "5", ""])
    rows.append([rows[0][0] if rows else "", "Same", "Person", "", "", "", "", ""])
    return rows


def seed_case_finding(ctx: Context) -> None:
    """Import the search as the demo coordinator would (audited, priorities recomputed); counted in the report."""
    codes = sorted(db.session.scalars(select(Organisation.ods_code).where(Organisation.type == "gp_practice")))
    coordinator = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0][0]))
    if not codes or coordinator is None:
        return
    lines = [",".join(HEADINGS)] + [",".join(row) for row in _rows(ctx, codes)]
    import_list("\r\n".join(lines).encode(), FILENAME, ListSource.practice_search, MAPPING, coordinator,
                figures_on=ctx.today)  # fmt: skip
    _suggest_one(coordinator)
    for model in (ListImport, ListImportRefusal, ListColumnMapping, PatientListFigures, PracticeSuggestion):
        ctx.rows.counts[model.__tablename__] += db.session.scalar(select(func.count()).select_from(model))


def _suggest_one(coordinator: User) -> None:
    """The first person on the list suggested to their practice (its email waits in the outbox)."""
    for candidate in case_finding_list(limit=20):
        practice = candidate.patient.gp_practice
        if practice is not None and practice.secure_email:
            try:
                suggest_to_practice(practice, [candidate.patient.id], coordinator)
            except DomainError:
                continue
            return
