"""Safeguarding concerns: what the concern is (required), the three s42 answers, the flag on the patient's page, the
caseload, the agenda and the minutes, its effect on priority, and need-to-know for every role."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document

from access import row_filters
from formats.dates import today
from models import (
    AgendaItem,
    DocumentKind,
    DomainError,
    Role,
    SafeguardingCategory,
    SafeguardingConcern,
    db,
)
from services import documents
from services.safeguarding import raise_concern, update_concern
from tests.factories import refused, shown
from tests.meeting_fixtures import build_world

FLAG = "Open safeguarding concern"


def _all() -> list[SafeguardingConcern]:
    db.session.expire_all()
    return db.session.scalars(db.select(SafeguardingConcern).order_by(SafeguardingConcern.id)).all()


def _concern_form(patient, **overrides) -> dict:
    form = {
        "patient": patient.id,
        "concern": "Neighbour holds the bank card; pension withdrawn without the patient knowing.",
        "raised_on": (today() - timedelta(days=3)).isoformat(),
        "category": "financial",
        "s42_care_needs": "yes",
        "s42_at_risk": "yes",
        "s42_unable_to_protect": "",
        "referred_to": "Medway adult safeguarding",
    }
    form.update(overrides)
    return form


# --- raising and editing ------------------------------------------------------------------------------------


def test_staff_raise_a_concern_with_what_it_is_and_three_s42_answers(signed_in, create_patient):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    response = coordinator.submit(
        "/admin/safeguarding_concern/new/", _concern_form(patient, referred_on=today().isoformat())
    )
    assert response.status_code == 302, shown(response)
    [concern] = _all()
    assert concern.concern == "Neighbour holds the bank card; pension withdrawn without the patient knowing."
    assert (concern.s42_care_needs, concern.s42_at_risk, concern.s42_unable_to_protect) == (True, True, None)
    assert concern.raised_by_id == coordinator.user.id and concern.category == SafeguardingCategory.financial
    page = shown(coordinator.get(f"/admin/safeguarding_concern/details/?id={concern.id}"))
    assert "s42(1)(c): because of those needs, cannot protect themselves" in page and "Not recorded" in page


def test_the_form_offers_not_recorded_for_each_s42_answer(signed_in):
    page = shown(signed_in("coordinator").get("/admin/safeguarding_concern/new/"))
    assert page.count('<option selected value="">Not recorded</option>') == 3


def test_what_the_concern_is_is_required_on_the_form(signed_in, create_patient):
    form = _concern_form(create_patient(), concern="")
    refused(signed_in("coordinator"), "/admin/safeguarding_concern/new/", form, "Say what the concern is.")
    assert _all() == []


def test_a_concern_recorded_before_it_was_asked_must_say_what_it_is_when_edited(signed_in, create_concern):
    old = create_concern(concern=None, notes="Care Act s42 criteria met (the one answer ...): Yes.")
    coordinator = signed_in("coordinator")
    form = _concern_form(old.patient, concern="", expected_version=str(old.version))
    refused(coordinator, f"/admin/safeguarding_concern/edit/?id={old.id}", form, "Say what the concern is.")
    form["concern"] = "Unexplained bruising noticed by the district nurse."
    assert coordinator.submit(f"/admin/safeguarding_concern/edit/?id={old.id}", form).status_code == 302
    assert _all()[0].concern == "Unexplained bruising noticed by the district nurse."


def test_the_service_refuses_a_concern_without_what_it_is(create_patient, make_user):
    concern = SafeguardingConcern(
        patient=create_patient(), raised_on=today(), category=SafeguardingCategory.neglect, concern="   "
    )
    with pytest.raises(DomainError) as refusal:
        raise_concern(concern, make_user())
    assert str(refusal.value) == "Say what the concern is."


def test_a_concern_referred_before_it_was_raised_is_refused(signed_in, create_patient):
    form = _concern_form(create_patient(), referred_on=(today() - timedelta(days=10)).isoformat())
    message = "The referral cannot be before the concern was raised."
    refused(signed_in("coordinator"), "/admin/safeguarding_concern/new/", form, message)
    assert _all() == []


def test_closing_needs_the_outcome(signed_in, create_concern):
    concern = create_concern()
    form = _concern_form(concern.patient, closed_on=today().isoformat(), expected_version=str(concern.version))
    coordinator = signed_in("coordinator")
    refused(
        coordinator, f"/admin/safeguarding_concern/edit/?id={concern.id}", form, "Record the outcome before closing"
    )
    form["outcome"] = "Section 42 enquiry: protection plan agreed."
    assert coordinator.submit(f"/admin/safeguarding_concern/edit/?id={concern.id}", form).status_code == 302
    assert _all()[0].closed_on == today()


def test_the_list_filters_by_category_and_searches_what_the_concern_is(signed_in, create_patient, create_concern):
    create_concern(patient=create_patient(family_name="Neglected"), category=SafeguardingCategory.self_neglect)
    create_concern(
        patient=create_patient(family_name="Defrauded"),
        category=SafeguardingCategory.financial,
        concern="Pension taken",
    )
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/safeguarding_concern/?flt0_category_equals=financial"))
    assert "DEFRAUDED" in page and "NEGLECTED" not in page
    page = shown(reader.get("/admin/safeguarding_concern/?search=pension"))
    assert "DEFRAUDED" in page and "NEGLECTED" not in page


# --- the flag, and the priority ----------------------------------------------------------------------------------


def test_raising_adds_to_the_priority_and_closing_takes_it_away(create_patient, make_user):
    patient = create_patient(cfs=6)  # 2 points for frailty
    coordinator = make_user()
    concern = raise_concern(
        SafeguardingConcern(
            patient=patient, concern="Bruising", raised_on=today(), category=SafeguardingCategory.physical
        ),
        coordinator,
    )
    db.session.commit()
    db.session.refresh(patient)
    assert (patient.risk_score, patient.risk_reasons) == (
        4,
        "CFS 6 living with moderate frailty (2)\nopen safeguarding concern (2)",
    )
    concern.closed_on, concern.outcome = today(), "No further action: family support in place."
    update_concern(concern, coordinator)
    db.session.commit()
    db.session.refresh(patient)
    assert (patient.risk_score, patient.risk_reasons) == (2, "CFS 6 living with moderate frailty (2)")


def test_the_flag_is_on_the_patients_page(signed_in, create_concern):
    concern = create_concern(concern="Unexplained bruising to both wrists")
    page = shown(signed_in("coordinator").get(f"/admin/record/{concern.patient_id}/"))
    assert FLAG in page and "Physical concern raised" in page


def test_a_closed_concern_is_no_flag(signed_in, create_concern):
    concern = create_concern(closed_on=today(), outcome="Resolved")
    page = shown(signed_in("coordinator").get(f"/admin/record/{concern.patient_id}/"))
    assert FLAG not in page


def test_the_flag_is_on_the_caseload(signed_in, create_episode, create_concern, create_patient):
    flagged, quiet = create_patient(family_name="Flagged"), create_patient(family_name="Quiet")
    create_concern(patient=flagged)
    for patient in (flagged, quiet):
        create_episode(patient=patient)
    page = shown(signed_in("team_lead").get("/admin/caseload/"))
    flagged_row = page[page.index("FLAGGED") : page.index("</tr>", page.index("FLAGGED"))]
    quiet_row = page[page.index("QUIET") : page.index("</tr>", page.index("QUIET"))]
    assert FLAG in flagged_row and FLAG not in quiet_row


def test_the_flag_is_on_the_agenda_and_the_minutes(signed_in, make_user, create_concern):
    coordinator = signed_in("coordinator")
    world = build_world(coordinator.user, names=["Flagged", "Quiet"])
    for episode in world.episodes:
        db.session.add(AgendaItem(meeting=world.meeting, patient=episode.patient, episode=episode))
    db.session.commit()
    create_concern(patient=world.episodes[0].patient, concern="Carer not giving medicines")
    for url in (f"/admin/meeting-room/{world.meeting.id}/", f"/admin/meeting-room/{world.meeting.id}/minutes"):
        page = shown(coordinator.get(url))
        assert page.count(FLAG) == 1, url
        assert "Carer not giving medicines" not in page  # the flag, not the details


@pytest.mark.documents
@pytest.mark.parametrize("kind", [DocumentKind.agenda, DocumentKind.minutes])
def test_the_word_agenda_and_minutes_carry_the_flag_never_the_details(make_user, create_concern, kind):
    coordinator = make_user()
    world = build_world(coordinator, names=["Flagged", "Quiet"])
    for episode in world.episodes:
        db.session.add(AgendaItem(meeting=world.meeting, patient=episode.patient, episode=episode))
    db.session.commit()
    create_concern(patient=world.episodes[0].patient, concern="Carer not giving medicines")
    generated = documents.generate(kind, world.meeting, coordinator)
    text = "\n".join(p.text for p in Document(io.BytesIO(generated.content)).paragraphs)
    text += "\n".join(
        cell.text for t in Document(io.BytesIO(generated.content)).tables for r in t.rows for cell in r.cells
    )
    assert FLAG in text
    assert "Carer not giving medicines" not in text and "Physical" not in text


# --- need-to-know ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, list_status, create_status",
    [("coordinator", 200, 200), ("team_lead", 200, 200), ("read_only", 200, 403), ("partner", 403, 403)],
)
def test_who_may_see_and_raise_concerns(signed_in, create_concern, role, list_status, create_status):
    concern = create_concern()
    client = signed_in(role)
    assert client.get("/admin/safeguarding_concern/").status_code == list_status
    assert client.get(f"/admin/safeguarding_concern/details/?id={concern.id}").status_code == list_status
    assert client.get("/admin/safeguarding_concern/new/").status_code == create_status


def test_partners_are_given_no_concern_even_of_a_patient_on_their_own_meeting(
    app, signed_in, make_user, make_org, create_concern
):
    coordinator = make_user()
    world = build_world(coordinator, names=["Flagged"])
    patient = world.episodes[0].patient
    db.session.add(AgendaItem(meeting=world.meeting, patient=patient, episode=world.episodes[0]))
    db.session.commit()
    create_concern(patient=patient, concern="Carer not giving medicines")
    partner = signed_in(Role.partner, organisation=world.agencies["social"])
    world.members[0].user_id = partner.user.id  # Sam Social sits on the meeting and signs in
    db.session.commit()
    assert (
        db.session.scalars(db.select(SafeguardingConcern).where(*row_filters(SafeguardingConcern, partner.user))).all()
        == []
    )
    page = shown(partner.get(f"/admin/record/{patient.id}/"))
    assert "FLAGGED" in page  # they may see the patient on their meeting's agenda...
    assert "Carer not giving medicines" not in page and "safeguarding" not in page.lower()  # ...but nothing of this


def test_the_old_single_s42_answer_is_kept_in_the_notes_by_the_migration(tmp_path):
    """Migration 0009 on a database holding concerns from before: three answers not recorded, the old one in notes."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(
            text(
                "INSERT INTO patient (id, given_name, family_name, date_of_birth, sex, risk_score, risk_band, version) "
                "VALUES (1, 'Ada', 'Lovelace', '1940-01-02', 'unknown', 0, 'low', 1)"
            )
        )
        for n, answer in enumerate(("1", "0", "NULL"), start=1):
            db.session.execute(
                text(
                    "INSERT INTO safeguarding_concern (id, patient_id, raised_on, category, s42_criteria_met, version) "
                    f"VALUES ({n}, 1, '2026-01-0{n}', 'neglect', {answer}, 1)"
                )
            )
        db.session.commit()
        upgrade(revision="0009")
        rows = db.session.execute(
            text(
                "SELECT id, concern, s42_care_needs, s42_at_risk, s42_unable_to_protect, notes "
                "FROM safeguarding_concern ORDER BY id"
            )
        ).all()
        db.session.remove()
        db.engine.dispose()
    note = "Care Act s42 criteria met (the one answer recorded before the three criteria were asked separately): {}."
    assert [tuple(row) for row in rows] == [
        (1, None, None, None, None, note.format("Yes")),
        (2, None, None, None, None, note.format("No")),
        (3, None, None, None, None, None),
    ]
