"""The demo data looks like a real ILR service (issue 27): actions done within weeks and a handful overdue by days or
weeks, frailty rising with age and nobody under 50 living with frailty, postcodes and practices of one area, and
varied names, conditions and stories."""

from __future__ import annotations

import re
from decimal import Decimal
from statistics import mean

import pytest
from sqlalchemy import func, select

from demo.reference import LOCALITY_AREAS
from formats.dates import today
from models import Action, ActionStatus, Goal, Locality, Organisation, Patient, Referral, db
from services.patient_record import age_on

PATIENTS = 300
OPEN = (ActionStatus.open, ActionStatus.in_progress)
#: A UK postcode: outward code (area, district), a space, inward code.
POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?) [0-9][A-Z]{2}")


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--patients", str(PATIENTS)])
    assert result.exit_code == 0, result.output


def test_no_action_is_overdue_by_more_than_120_days_and_most_are_done_within_weeks(seeded):
    on = today()
    overdue = db.session.scalars(select(Action).where(Action.status.in_(OPEN), Action.due_on < on)).all()
    assert overdue, "a handful of actions are overdue"
    assert max((on - a.due_on).days for a in overdue) <= 120
    total = db.session.scalar(select(func.count()).select_from(Action))
    assert len(overdue) < total * 0.05  # a handful, not a backlog
    done = db.session.scalars(select(Action).where(Action.status == ActionStatus.done)).all()
    within_weeks = [a for a in done if (a.completed_on - a.due_on).days <= 28]
    assert len(within_weeks) > 0.9 * len(done)


def test_frailty_rises_with_age_and_nobody_under_50_lives_with_frailty(seeded):
    on = today()
    patients = db.session.scalars(select(Patient)).all()
    aged = [(age_on(p.date_of_birth, on), p) for p in patients]
    assert [p.cfs for age, p in aged if age < 50 and p.cfs is not None and p.cfs >= 5] == []
    assert [p.efi for age, p in aged if age < 50 and p.efi is not None and p.efi > Decimal("0.24")] == []
    younger = [p.cfs for age, p in aged if age < 65 and p.cfs]
    oldest = [p.cfs for age, p in aged if age >= 85 and p.cfs]
    assert younger and oldest and mean(oldest) > mean(younger) + 1
    assert mean(float(p.efi) for age, p in aged if age >= 85 and p.efi) > mean(
        float(p.efi) for age, p in aged if age < 65 and p.efi
    )
    assert sum(age >= 75 for age, _ in aged) > len(aged) / 2  # an ILR sees mostly older people
    assert [p.long_term_conditions for age, p in aged if age < 60 and "dementia" in p.long_term_conditions] == []


def test_every_postcode_and_practice_is_of_its_locality(seeded):
    rows = db.session.execute(
        select(Patient.postcode, Patient.address, Locality.name)
        .join(Organisation, Organisation.id == Patient.gp_practice_id)
        .join(Locality, Locality.id == Organisation.locality_id)
    ).all()
    assert len(rows) == PATIENTS
    for postcode, address, locality in rows:
        found = POSTCODE.fullmatch(postcode)
        assert found, postcode
        area = LOCALITY_AREAS[locality]
        assert found[1] in {district for _, district in area}, (postcode, locality)
        town = address.rsplit(", ", 1)[1]
        assert (town, found[1]) in area, (address, postcode, locality)
    practices = db.session.execute(
        select(Organisation.name, Locality.name).join(Locality, Locality.id == Organisation.locality_id)
    ).all()
    named_for_a_town = [p for p, loc in practices if any(town in p for town, _ in LOCALITY_AREAS[loc])]
    other_towns = {town for area in LOCALITY_AREAS.values() for town, _ in area}
    for practice, locality in practices:
        mine = {town for town, _ in LOCALITY_AREAS[locality]}
        assert not any(town in practice for town in other_towns - mine), (practice, locality)
    assert named_for_a_town


def test_names_conditions_and_stories_are_varied(seeded):
    patients = db.session.scalars(select(Patient)).all()
    assert len({(p.given_name, p.family_name) for p in patients}) > 0.95 * len(patients)
    conditions = {c for p in patients for c in p.long_term_conditions.split("\n")}
    assert len(conditions) >= 35
    reasons = set(db.session.scalars(select(Referral.reason)))
    assert len(reasons) >= 20
    assert len(set(db.session.scalars(select(Goal.description)))) >= 20
    # No plan holds the same goal twice.
    twice = db.session.execute(
        select(Goal.care_plan_id, Goal.description).group_by(Goal.care_plan_id, Goal.description)
        .having(func.count() > 1)
    ).all()  # fmt: skip
    assert twice == []
