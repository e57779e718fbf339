"""Factory fixtures for the record screens' tests: `create_patient(**overrides)` and friends.

Each makes one valid row, committed, with sensible defaults; pass a field to change it. The
conftest loads this module as a pytest plugin, so a test names the fixture as an argument and
imports nothing; only the plain helpers (`nhs_number`, `working_day`, `shown`, `refused`) are imported.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from formats.dates import LONDON, today
from formats.nhs import with_check_digit
from models import (
    Action,
    AgendaItem,
    CarePlan,
    Consent,
    Contact,
    ContactLogEntry,
    ContactMethod,
    ContactParty,
    DirectoryService,
    Episode,
    Locality,
    Meeting,
    MeetingStatus,
    OnwardMethod,
    OnwardReferral,
    OrganisationType,
    Patient,
    Referral,
    SafeguardingCategory,
    SafeguardingConcern,
    SignpostedTo,
    Signposting,
    db,
    utcnow,
)
from services.calendar import bank_holidays

_numbers = count(1)


def nhs_number() -> str:
    """A fresh valid test NHS number (999 range)."""
    while True:
        number = with_check_digit(f"999{next(_numbers):06d}")
        if number:
            return number


def working_day(days: int, hour: int = 10) -> datetime:
    """`hour`:00 London time on the `days`-th working day after today (before it, when negative), weekends and England
    & Wales bank holidays skipped: a meeting time no form asks to confirm, in the order the days are counted."""
    closed = bank_holidays(today().year - 1, today().year + 2)
    working = lambda day: day.weekday() < 5 and day not in closed  # noqa: E731
    day, step, left = today(), 1 if days >= 0 else -1, abs(days)
    while left:
        day += timedelta(days=step)
        left -= working(day)
    while not working(day):  # the 0th on a day off: the next working day
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


def _default(values: dict, relation: str, make, **arguments) -> None:
    """Make the related row only when the caller gave neither it nor its id."""
    if relation not in values and f"{relation}_id" not in values:
        values[relation] = make(**arguments)


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def create_locality(app):
    names = count(1)

    def create(**overrides) -> Locality:
        return _save(Locality(**{"name": f"Locality {next(names)}", **overrides}))

    return create


@pytest.fixture
def create_patient(app):
    def create(**overrides) -> Patient:
        values = dict(given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 2), nhs_number=nhs_number())
        return _save(Patient(**{**values, **overrides}))

    return create


@pytest.fixture
def create_referral(create_patient, create_locality):
    def create(**overrides) -> Referral:
        values = dict(
            received_on=today() - timedelta(days=10),
            referrer_name="Dr Jones",
            reason="Falls",
            consent=Consent.given,
            consent_by="Patient",
            consent_on=today() - timedelta(days=11),
            signposting_tried="Age UK",
        )
        values.update(overrides)
        _default(values, "patient", create_patient)
        _default(values, "locality", create_locality)
        return _save(Referral(**values))

    return create


@pytest.fixture
def create_episode(create_patient, create_locality):
    def create(**overrides) -> Episode:
        values = dict(opened_on=today() - timedelta(days=5))
        values.update(overrides)
        _default(values, "patient", create_patient)
        _default(values, "locality", create_locality)
        return _save(Episode(**values))

    return create


@pytest.fixture
def create_contact(make_org):
    def create(**overrides) -> Contact:
        values = dict(name="Sam Social", email="sam@example.nhs.net")
        values.update(overrides)
        _default(values, "organisation", make_org, type=OrganisationType.social_services)
        return _save(Contact(**values))

    return create


@pytest.fixture
def create_meeting(create_locality):
    def create(**overrides) -> Meeting:
        day = today() + timedelta(days=7)
        values = dict(
            starts_at=datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON), status=MeetingStatus.planned
        )
        values.update(overrides)
        _default(values, "locality", create_locality)
        return _save(Meeting(**values))

    return create


@pytest.fixture
def create_agenda_item(create_meeting, create_patient):
    def create(**overrides) -> AgendaItem:
        values = dict(overrides)
        _default(values, "meeting", create_meeting)
        _default(values, "patient", create_patient)
        return _save(AgendaItem(**values))

    return create


@pytest.fixture
def create_action(create_patient, make_org):
    def create(**overrides) -> Action:
        values = dict(description="Review medicines", due_on=today() + timedelta(days=14))
        values.update(overrides)
        _default(values, "patient", create_patient)
        _default(values, "owner_organisation", make_org, type=OrganisationType.pharmacy)
        return _save(Action(**values))

    return create


@pytest.fixture
def create_care_plan(create_patient):
    def create(**overrides) -> CarePlan:
        values = dict(number=1, about_me="Likes gardening")
        values.update(overrides)
        _default(values, "patient", create_patient)
        return _save(CarePlan(**values))

    return create


@pytest.fixture
def create_directory_service(app):
    def create(**overrides) -> DirectoryService:
        values = dict(name="Falls prevention service", offers="Strength and balance classes", area="Medway")
        return _save(DirectoryService(**{**values, **overrides}))

    return create


@pytest.fixture
def create_onward_referral(create_patient):
    def create(**overrides) -> OnwardReferral:
        values = dict(service="Falls clinic", referred_on=today() - timedelta(days=7), method=OnwardMethod.email)
        values.update(overrides)
        _default(values, "patient", create_patient)
        return _save(OnwardReferral(**values))

    return create


@pytest.fixture
def create_signposting(create_patient):
    def create(**overrides) -> Signposting:
        values = dict(
            service="Carers' support and breaks",
            given_on=today() - timedelta(days=7),
            given_to=SignpostedTo.carer,
            what="Carers' assessment and short breaks: the number given to her daughter",
        )
        values.update(overrides)
        _default(values, "patient", create_patient)
        return _save(Signposting(**values))

    return create


@pytest.fixture
def create_concern(create_patient):
    def create(**overrides) -> SafeguardingConcern:
        values = dict(
            concern="Unexplained bruising",
            raised_on=today() - timedelta(days=2),
            category=SafeguardingCategory.physical,
        )
        values.update(overrides)
        _default(values, "patient", create_patient)
        return _save(SafeguardingConcern(**values))

    return create


@pytest.fixture
def create_contact_entry(create_patient):
    def create(**overrides) -> ContactLogEntry:
        values = dict(
            contacted_at=utcnow() - timedelta(hours=2),
            party=ContactParty.patient,
            method=ContactMethod.phone,
            summary="Checked in",
        )
        values.update(overrides)
        _default(values, "patient", create_patient)
        return _save(ContactLogEntry(**values))

    return create


def shown(response) -> str:
    """The page as a person reads it: HTML entities decoded (an apostrophe arrives as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


def refused(client, url: str, form: dict, message: str) -> str:
    """Post a form that must be refused: the form comes back (200) with `message`; returns the page as shown."""
    response = client.submit(url, form)
    assert response.status_code == 200, f"expected the form back, got {response.status_code}"
    page = shown(response)
    assert message in page, page
    return page
