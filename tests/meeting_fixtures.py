"""A locality with members, accepted cases and a booked meeting: what the meeting tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from formats.dates import LONDON
from models import (
    Consent,
    Contact,
    Episode,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Organisation,
    OrganisationType,
    Patient,
    Referral,
    ReferralStatus,
    User,
    db,
)


@dataclass
class MeetingWorld:
    locality: Locality
    meeting: Meeting
    episodes: list[Episode]
    agencies: dict[str, Organisation]
    members: list[Contact]


def meeting_at(locality: Locality, when: datetime, **overrides) -> Meeting:
    meeting = Meeting(
        locality=locality,
        starts_at=when,
        status=MeetingStatus.booked,
        teams_link="https://teams.example/ilr",
        **overrides,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def build_world(
    coordinator: User, cases: int = 3, days_ahead: int = 10, names: list[str] | None = None
) -> MeetingWorld:
    locality = Locality(name="Medway North")
    practice = Organisation(
        name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="G82001", locality=locality
    )
    agencies = {
        "social": Organisation(
            name="Medway Social Services",
            type=OrganisationType.social_services,
            ods_code="SS001",
            secure_email="asc@medway.gov.uk",
        ),
        "mental": Organisation(
            name="KMPT", type=OrganisationType.mental_health, ods_code="RXY", secure_email="kmpt.ilr@nhs.net"
        ),
        "community": Organisation(
            name="Medway Community Healthcare", type=OrganisationType.community_health, ods_code="MCH01"
        ),
    }
    db.session.add_all([locality, practice, *agencies.values()])
    members = [
        Contact(name="Sam Social", email="sam@medway.gov.uk", organisation=agencies["social"]),
        Contact(name="Mo Mental", email="mo@nhs.net", organisation=agencies["mental"]),
        Contact(name="Cat Community", email="cat@nhs.net", organisation=agencies["community"]),
    ]
    db.session.add_all(members + [MeetingMember(locality=locality, contact=c) for c in members])
    names = names or [f"Case{n}" for n in range(1, cases + 1)]
    episodes = []
    for n, surname in enumerate(names, start=1):
        patient = Patient(
            given_name="Pat",
            family_name=surname,
            date_of_birth=date(1930 + n % 50, 1 + n % 12, 1 + n % 28),
            nhs_number=None,
            gp_practice=practice,
        )
        referral = Referral(
            patient=patient,
            locality=locality,
            received_on=date(2026, 11, 1),
            referrer_name="Dr Jones",
            reason="Falls",
            consent=Consent.given,
            consent_by="Patient",
            consent_on=date(2026, 11, 1),
            signposting_tried="Age UK",
            status=ReferralStatus.accepted,
        )
        episodes.append(
            Episode(
                patient=patient,
                referral=referral,
                locality=locality,
                coordinator=coordinator,
                opened_on=date(2026, 11, 2),
            )
        )
    db.session.add_all(episodes)
    db.session.commit()
    day = (datetime.now(LONDON) + timedelta(days=days_ahead)).date()
    meeting = meeting_at(locality, datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON))
    return MeetingWorld(locality, meeting, episodes, agencies, members)
