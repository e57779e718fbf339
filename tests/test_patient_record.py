"""The patient record's read model: the timeline of everything known (newest first, archived rows left out)
and the patient's actions (open ones first)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models import (
    ActionStatus,
    CarePlanShare,
    CarePlanState,
    DocumentKind,
    GeneratedDocument,
    OnwardOutcome,
    OnwardReferral,
    OrganisationType,
    db,
)
from services.patient_record import Event, actions_for, timeline

ARCHIVED = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)


def _save(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if len(rows) == 1 else rows


@pytest.fixture
def patient(create_patient):
    return create_patient()


@pytest.fixture
def other(create_patient):
    return create_patient(given_name="Grace", family_name="Hopper", date_of_birth=date(1936, 12, 9))


@pytest.fixture
def practice(make_org):
    return make_org(name="Riverside Surgery", type=OrganisationType.gp_practice)


def test_timeline_has_care_plan_share_onward_referral_and_document_rows_newest_first(
    patient, other, practice, create_care_plan, make_user
):
    coordinator = make_user()
    agreed = create_care_plan(patient=patient, number=1, state=CarePlanState.agreed, agreed_on=date(2026, 5, 10))
    create_care_plan(patient=patient, number=2, created_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    _, onward, *_ = _save(
        CarePlanShare(
            care_plan_id=agreed.id, shared_on=date(2026, 5, 12), shared_by_id=coordinator.id, shared_with_id=practice.id
        ),
        OnwardReferral(
            patient_id=patient.id,
            service="Community falls service",
            referred_on=date(2026, 4, 2),
            reason="Three falls since March",
        ),
        # 23:30 UTC on 30 June is 1 July in London: the row's day is the London one
        GeneratedDocument(
            kind=DocumentKind.gp_letter,
            filename="gp-letter-lovelace.docx",
            patient_id=patient.id,
            created_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
        ),
        # another patient's rows stay on their own timeline
        OnwardReferral(patient_id=other.id, service="Memory clinic", referred_on=date(2026, 4, 3)),
        GeneratedDocument(kind=DocumentKind.gp_letter, filename="gp-letter-hopper.docx", patient_id=other.id),
    )
    assert timeline(patient) == [
        Event(date(2026, 7, 1), "Document", "GP outcome letter: gp-letter-lovelace.docx"),
        Event(date(2026, 6, 1), "Care plan", "Care plan version 2 (draft)"),
        Event(date(2026, 5, 12), "Care plan", "Version 1 shared with Riverside Surgery"),
        Event(date(2026, 5, 10), "Care plan", "Care plan version 1 (agreed)"),
        Event(
            date(2026, 4, 2),
            "Onward referral",
            "Referred to Community falls service: waiting",
            "Three falls since March",
            ("onward_referral.details_view", onward.id),
        ),
    ]


def test_onward_outcome_is_shown_in_lower_case(patient):
    onward = _save(
        OnwardReferral(
            patient_id=patient.id,
            service="Age UK befriending",
            referred_on=date(2026, 4, 2),
            outcome=OnwardOutcome.accepted,
            outcome_on=date(2026, 4, 20),
        )
    )
    assert timeline(patient) == [
        Event(
            date(2026, 4, 2),
            "Onward referral",
            "Referred to Age UK befriending: accepted",
            link=("onward_referral.details_view", onward.id),
        ),
    ]


def test_timeline_leaves_out_archived_rows(patient, practice, create_care_plan, make_user):
    coordinator = make_user()
    archived_plan = create_care_plan(
        patient=patient, number=1, state=CarePlanState.agreed, agreed_on=date(2026, 5, 10), archived_at=ARCHIVED
    )
    create_care_plan(patient=patient, number=2, state=CarePlanState.agreed, agreed_on=date(2026, 6, 10))
    _save(
        CarePlanShare(
            care_plan_id=archived_plan.id,
            shared_on=date(2026, 5, 12),
            shared_by_id=coordinator.id,
            shared_with_id=practice.id,
        ),
        OnwardReferral(
            patient_id=patient.id, service="Archived service", referred_on=date(2026, 4, 2), archived_at=ARCHIVED
        ),
        OnwardReferral(patient_id=patient.id, service="Live service", referred_on=date(2026, 4, 3)),
    )
    assert [(e.on, e.title) for e in timeline(patient)] == [
        (date(2026, 6, 10), "Care plan version 2 (agreed)"),
        (date(2026, 4, 3), "Referred to Live service: waiting"),
    ]


def test_an_empty_record_has_an_empty_timeline(patient):
    assert timeline(patient) == []


def test_actions_for_puts_open_actions_first_by_due_date(patient, other, create_action):
    later = create_action(patient=patient, description="Later", due_on=date(2026, 12, 20))
    sooner = create_action(
        patient=patient, description="Sooner", due_on=date(2026, 12, 10), status=ActionStatus.in_progress
    )
    done = create_action(
        patient=patient,
        description="Done",
        due_on=date(2026, 11, 1),
        status=ActionStatus.done,
        completed_on=date(2026, 11, 5),
    )
    cancelled = create_action(
        patient=patient, description="Cancelled", due_on=date(2026, 11, 20), status=ActionStatus.cancelled
    )
    create_action(patient=patient, description="Archived", due_on=date(2026, 12, 15), archived_at=ARCHIVED)
    create_action(patient=other, description="Someone else's", due_on=date(2026, 12, 1))
    assert [a.description for a in actions_for(patient)] == ["Sooner", "Later", "Cancelled", "Done"]
    assert [a.id for a in actions_for(patient)] == [sooner.id, later.id, cancelled.id, done.id]
