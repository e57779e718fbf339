"""The patient's page as the hub (issue 31): a collated note, a hospital event, a frailty update, an action outside a
meeting and "put on the next agenda", each with the patient already chosen, saved and audited in one unit of work,
then back to the page; a refusal answers with the page, the message and what was typed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from formats.dates import LONDON, today
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    AuditAction,
    AuditEntry,
    CollatedNote,
    HospitalEvent,
    HospitalEventKind,
    MeetingStatus,
    NoteSource,
    OrganisationType,
    Patient,
    RiskBand,
    db,
    utcnow,
)
from tests.factories import shown, working_day


def _rows(model) -> list:
    db.session.expire_all()
    return db.session.scalars(db.select(model).order_by(model.id)).all()


def _created_entry(table: str, record_id: int) -> AuditEntry:
    return db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.table_name == table, AuditEntry.record_id == record_id, AuditEntry.action == AuditAction.create
        )
    ).one()


@pytest.fixture
def coordinator(signed_in):
    return signed_in("coordinator")


@pytest.fixture
def patient(create_patient):
    return create_patient()


def _page(patient) -> str:
    return f"/admin/record/{patient.id}/"


# --- a collated note -------------------------------------------------------------------------------------------


def test_a_collated_note_is_added_checked_by_the_recorder_today_audited_and_back_to_the_page(coordinator, patient):
    form = {"source": "emis", "summary": "Seen by GP for falls; bloods normal.", "checked_by_id": "",
            "checked_on": today().isoformat()}  # fmt: skip
    response = coordinator.submit(f"{_page(patient)}collated-note/", form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{_page(patient)}#notes-heading")
    [note] = _rows(CollatedNote)
    assert (note.patient_id, note.source, note.summary, note.checked_by_id, note.checked_on) == (
        patient.id, NoteSource.emis, "Seen by GP for falls; bloods normal.", coordinator.user.id, today(),
    )  # fmt: skip
    entry = _created_entry("collated_note", note.id)
    assert (entry.user_id, entry.patient_id, entry.reason) == (
        coordinator.user.id, patient.id, f"Collated note added by {coordinator.user.name}",
    )  # fmt: skip
    page = shown(coordinator.get(_page(patient)))
    assert "EMIS note added." in page and "Seen by GP for falls; bloods normal." in page


def test_a_collated_note_names_who_checked_it_from_the_team(coordinator, patient, make_user):
    colleague = make_user("team_lead", name="Lee Lead")
    form = {"source": "rio", "summary": "Community nursing visits weekly.", "checked_by_id": str(colleague.id),
            "checked_on": (today() - timedelta(days=1)).isoformat()}  # fmt: skip
    assert coordinator.submit(f"{_page(patient)}collated-note/", form).status_code == 302
    [note] = _rows(CollatedNote)
    assert (note.checked_by_id, note.checked_on) == (colleague.id, today() - timedelta(days=1))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source": ""}, "Choose the system the note was collated from."),
        ({"summary": "   "}, "Summarise what the note says."),
        ({"checked_on": ""}, "Enter the date it was checked."),
        ({"checked_on": (today() + timedelta(days=1)).isoformat()}, "The date cannot be in the future."),
    ],
)
def test_a_collated_note_without_what_it_needs_is_refused_and_what_was_typed_stays(
    coordinator, patient, change, message
):
    form = {"source": "ibis", "summary": "Typed summary kept", "checked_by_id": str(coordinator.user.id),
            "checked_on": today().isoformat(), **change}  # fmt: skip
    response = coordinator.submit(f"{_page(patient)}collated-note/", form)
    assert response.status_code == 200
    page = shown(response)
    assert message in page
    if change.get("summary") is None:
        assert "Typed summary kept</textarea>" in page
    assert '<details class="mb-3 hub-form" open id="note_form">' in page  # the refused form is shown open
    assert _rows(CollatedNote) == []


# --- a hospital event ------------------------------------------------------------------------------------------


def test_a_hospital_admission_is_recorded_and_the_priority_follows(coordinator, patient):
    before = (patient.risk_score, patient.risk_band)
    form = {"kind": "admission", "occurred_on": (today() - timedelta(days=10)).isoformat(),
            "discharged_on": (today() - timedelta(days=4)).isoformat(), "hospital": "Medway Maritime",
            "notes": "Fall at home"}  # fmt: skip
    response = coordinator.submit(f"{_page(patient)}hospital-event/", form)
    assert response.headers["Location"].endswith(f"{_page(patient)}#hospital-heading")
    [event] = _rows(HospitalEvent)
    assert (event.patient_id, event.kind, event.hospital, event.notes) == (
        patient.id, HospitalEventKind.admission, "Medway Maritime", "Fall at home",
    )  # fmt: skip
    assert _created_entry("hospital_event", event.id).reason == f"Hospital event recorded by {coordinator.user.name}"
    patient = db.session.get(Patient, patient.id)
    # one admission in 12 months (2) and a discharge within 30 days (2): the rule that runs at the flush
    assert before == (0, RiskBand.low) and (patient.risk_score, patient.risk_band) == (4, RiskBand.medium)
    page = shown(coordinator.get(_page(patient)))
    assert "Non-elective admission on" in page and "Medway Maritime" in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": ""}, "Choose an admission or an A&E attendance."),
        ({"occurred_on": ""}, "Enter the date of the admission or attendance."),
        (
            {"discharged_on": (today() - timedelta(days=20)).isoformat()},
            "The discharge cannot be before the admission.",
        ),
        ({"occurred_on": "1900-01-01", "discharged_on": ""}, "A hospital event cannot be before the patient's date"),
        ({"occurred_on": (today() + timedelta(days=2)).isoformat()}, "The date cannot be in the future."),
    ],
)
def test_a_hospital_event_that_cannot_be_is_refused_and_what_was_typed_stays(coordinator, patient, change, message):
    form = {"kind": "admission", "occurred_on": (today() - timedelta(days=10)).isoformat(),
            "discharged_on": (today() - timedelta(days=4)).isoformat(), "hospital": "Typed hospital kept",
            **change}  # fmt: skip
    response = coordinator.submit(f"{_page(patient)}hospital-event/", form)
    assert response.status_code == 200
    page = shown(response)
    assert message in page and 'value="Typed hospital kept"' in page
    assert _rows(HospitalEvent) == []


def test_the_hospital_events_screen_keeps_the_same_rule(coordinator, patient):
    """The record screen checks its hospital events by the service's rules too (services/patient_facts.py)."""
    form = {"patient": str(patient.id), "kind": "ae_attendance", "occurred_on": "1900-01-01"}
    response = coordinator.submit("/admin/hospital_event/new/", form)
    assert "A hospital event cannot be before the patient's date of birth" in shown(response)
    assert _rows(HospitalEvent) == []


# --- a frailty update ------------------------------------------------------------------------------------------


def test_a_frailty_update_records_the_scores_and_the_efis_date_and_the_priority_follows(coordinator, patient):
    calculated = today() - timedelta(days=3)
    form = {"cfs": "7", "efi": "0.41", "efi_on": calculated.isoformat()}
    response = coordinator.submit(f"{_page(patient)}frailty/", form)
    assert response.headers["Location"].endswith(f"{_page(patient)}#frailty")
    patient = db.session.get(Patient, patient.id)
    assert (patient.cfs, patient.efi, patient.efi_on) == (7, Decimal("0.410"), calculated)
    assert (patient.risk_score, patient.risk_band) == (6, RiskBand.medium)  # CFS 7-9 (3) + eFI severe (3)
    reasons = db.session.scalars(
        db.select(AuditEntry.reason).where(AuditEntry.table_name == "patient", AuditEntry.record_id == patient.id)
    ).all()
    assert f"Frailty updated by {coordinator.user.name}" in reasons
    page = shown(coordinator.get(_page(patient)))
    assert (
        "Frailty updated: CFS not recorded → 7; eFI not recorded → 0.41; "
        f"eFI date not recorded → {calculated:%d/%m/%Y}." in page
    )
    assert f"calculated {calculated:%d/%m/%Y}" in page


@pytest.mark.parametrize(
    "form, message",
    [
        ({"cfs": "5", "efi": "0.3"}, "Enter the date the eFI was calculated."),
        ({"cfs": "5", "efi": "1.3", "efi_on": today().isoformat()}, "The eFI is a number from 0 to 1"),
        ({"cfs": "5", "efi": "about a third", "efi_on": today().isoformat()}, "The eFI is a number from 0 to 1"),
        ({"cfs": "12", "efi": "", "efi_on": ""}, "Choose a score from the Clinical Frailty Scale, 1 to 9."),
        ({"cfs": "", "efi": "", "efi_on": ""}, "These are the scores already recorded: nothing to change."),
    ],
)
def test_a_frailty_update_that_cannot_be_is_refused_and_what_was_typed_stays(coordinator, patient, form, message):
    response = coordinator.submit(f"{_page(patient)}frailty/", form)
    assert response.status_code == 200
    page = shown(response)
    assert message in page
    if form["efi"]:
        assert f'value="{form["efi"]}"' in page
    patient = db.session.get(Patient, patient.id)
    assert (patient.cfs, patient.efi, patient.efi_on) == (None, None, None)


# --- an action outside a meeting -------------------------------------------------------------------------------


def test_an_action_outside_a_meeting_is_added_owned_by_an_agency_and_audited(coordinator, patient, make_org):
    agency = make_org(name="Medway Council adult social care", type=OrganisationType.social_services)
    due = today() + timedelta(days=14)
    form = {"description": "Assess for a package of care", "owner_organisation_id": str(agency.id),
            "owner_contact_id": "", "due_on": due.isoformat()}  # fmt: skip
    response = coordinator.submit(f"{_page(patient)}action/", form)
    assert response.headers["Location"].endswith(f"{_page(patient)}#actions-heading")
    [action] = _rows(Action)
    assert (action.patient_id, action.agenda_item_id, action.owner_organisation_id, action.due_on, action.status) == (
        patient.id, None, agency.id, due, ActionStatus.open,
    )  # fmt: skip
    reason = f"Action agreed outside a meeting, recorded by {coordinator.user.name}"
    assert _created_entry("action", action.id).reason == reason
    page = shown(coordinator.get(_page(patient)))
    assert "Action added for Medway Council adult social care." in page and "Assess for a package of care" in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"owner_organisation_id": ""}, "Choose the agency that owns the action."),
        ({"due_on": ""}, "Enter the due date."),
        ({"due_on": (today() - timedelta(days=1)).isoformat()}, "The due date cannot be in the past"),
        ({"owner_contact_id": "{stranger}"}, "does not work for"),
    ],
)
def test_an_action_without_what_it_needs_is_refused_and_what_was_typed_stays(
    coordinator, patient, make_org, create_contact, change, message
):
    agency = make_org(name="Pharmacy team", type=OrganisationType.pharmacy)
    stranger = create_contact(name="Someone Elsewhere")
    form = {"description": "Typed action kept", "owner_organisation_id": str(agency.id),
            "owner_contact_id": "", "due_on": (today() + timedelta(days=7)).isoformat()}  # fmt: skip
    form |= {key: value.format(stranger=stranger.id) for key, value in change.items()}
    response = coordinator.submit(f"{_page(patient)}action/", form)
    assert response.status_code == 200
    page = shown(response)
    assert message in page and "Typed action kept</textarea>" in page
    assert _rows(Action) == []


# --- put on the next agenda ------------------------------------------------------------------------------------


@pytest.fixture
def open_case(create_episode, create_locality, patient):
    return create_episode(patient=patient, locality=create_locality(name="Northdown"))


def _meeting(create_meeting, locality, days: int, **overrides):
    return create_meeting(locality=locality, starts_at=working_day(days), **overrides)


def test_put_on_the_next_agenda_lists_the_case_on_its_localitys_next_meeting(coordinator, open_case, create_meeting):
    locality = open_case.locality
    _meeting(create_meeting, locality, -1, status=MeetingStatus.booked)  # already begun: not the next
    later = _meeting(create_meeting, locality, 15, status=MeetingStatus.booked)
    nearest = _meeting(create_meeting, locality, 8, status=MeetingStatus.booked)
    _meeting(create_meeting, locality, 3, status=MeetingStatus.cancelled)
    patient = open_case.patient
    page = shown(coordinator.get(_page(patient)))
    assert f"Next meeting of Northdown: {nearest}" in page and "Put on the next agenda" in page
    response = coordinator.submit(f"{_page(patient)}next-agenda/", {})
    assert response.headers["Location"].endswith(f"{_page(patient)}#episode-heading")
    [item] = _rows(AgendaItem)
    assert (item.meeting_id, item.patient_id, item.episode_id, item.late_addition) == (
        nearest.id, patient.id, open_case.id, False,
    )  # fmt: skip
    assert _created_entry("agenda_item", item.id).reason == f"Listed by {coordinator.user.name}"
    page = shown(coordinator.get(_page(patient)))
    assert f"Added to the agenda of {nearest}." in page
    assert f'On the agenda of <a href="/admin/meeting-room/{nearest.id}/">{nearest}</a>.' in page
    assert later.id != item.meeting_id


def test_put_on_the_next_agenda_after_the_cut_off_is_a_late_addition(coordinator, open_case, create_meeting):
    tomorrow = _meeting(create_meeting, open_case.locality, 1, status=MeetingStatus.booked)
    response = coordinator.submit(f"{_page(open_case.patient)}next-agenda/", {})
    assert response.status_code == 302
    [item] = _rows(AgendaItem)
    assert item.meeting_id == tomorrow.id and item.late_addition
    assert "as a late addition (after the cut-off)" in shown(coordinator.get(_page(open_case.patient)))


def test_put_on_the_next_agenda_is_refused_in_words_when_there_is_none_or_already_listed_or_not_open(
    coordinator, open_case, create_meeting, create_patient
):
    patient = open_case.patient
    refused = coordinator.submit(f"{_page(patient)}next-agenda/", {})
    assert refused.status_code == 200
    assert "Northdown has no meeting booked: book one under Meetings (Scheduling), then list the case." in shown(
        refused
    )
    meeting = _meeting(create_meeting, open_case.locality, 8)
    assert coordinator.submit(f"{_page(patient)}next-agenda/", {}).status_code == 302
    again = coordinator.submit(f"{_page(patient)}next-agenda/", {})
    assert f"{patient} is already on this agenda." in shown(again)
    assert len(_rows(AgendaItem)) == 1 and meeting.id == _rows(AgendaItem)[0].meeting_id
    closed = create_patient(given_name="Mary", family_name="Somerville")
    not_open = coordinator.submit(f"{_page(closed)}next-agenda/", {})
    assert f"{closed} is not open to the ILR: only open cases can be listed." in shown(not_open)


def test_a_patient_who_withdrew_consent_is_not_listed(coordinator, open_case, create_meeting):
    _meeting(create_meeting, open_case.locality, 8)
    patient = open_case.patient
    patient.consent_withdrawn_on = today()
    db.session.commit()
    response = coordinator.submit(f"{_page(patient)}next-agenda/", {})
    assert "cannot be listed: consent has been withdrawn." in shown(response)
    assert _rows(AgendaItem) == []


# --- who may, and the guards every form keeps ------------------------------------------------------------------

HUB_POSTS = ("collated-note/", "hospital-event/", "frailty/", "action/", "next-agenda/")


@pytest.mark.parametrize("path", HUB_POSTS)
def test_a_patient_out_of_scope_is_not_found(coordinator, create_patient, path):
    archived = create_patient(archived_at=utcnow())
    assert coordinator.submit(f"{_page(archived)}{path}", {}).status_code == 404
    assert coordinator.submit(f"/admin/record/999999/{path}", {}).status_code == 404


@pytest.mark.parametrize("path", HUB_POSTS)
def test_every_hub_form_needs_its_csrf_token(coordinator, patient, path):
    response = coordinator.http.post(f"{_page(patient)}{path}", data={"source": "emis", "summary": "No token"})
    assert response.status_code == 400
    assert _rows(CollatedNote) == []


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_see_no_hub_controls_and_cannot_post(signed_in, patient, role, make_org):
    reader = signed_in(role)
    page = shown(reader.get(_page(patient)))
    for control in ("Add a collated note", "Add a hospital event", "Update frailty", "Add an action",
                    "Put on the next agenda"):  # fmt: skip
        assert control not in page
    for path in HUB_POSTS:
        assert reader.submit(f"{_page(patient)}{path}", {}).status_code in (403, 404)


def test_the_staff_page_offers_every_hub_form_with_the_patient_chosen(coordinator, patient):
    page = shown(coordinator.get(_page(patient)))
    for control in ("Add a collated note", "Add a hospital event", "Update frailty",
                    "Add an action (outside a meeting)"):  # fmt: skip
        assert control in page
    for path in HUB_POSTS[:4]:
        assert f'action="{_page(patient)}{path}"' in page
    assert "No meeting of" not in page and "Not open to the ILR at present." in page


def test_the_meeting_rooms_actions_keep_their_rules_through_the_one_service(coordinator, create_agenda_item, make_org):
    """The live minutes' action uses the same service: due before its meeting is refused there."""
    item = create_agenda_item()
    agency = make_org(name="Community nursing", type=OrganisationType.community_health)
    day = item.meeting.starts_at.astimezone(LONDON).date()
    form = {"description": "Visit", "owner_organisation_id": str(agency.id),
            "due_on": (day - timedelta(days=1)).isoformat()}  # fmt: skip
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/action", form)
    assert _rows(Action) == []
    form["due_on"] = day.isoformat()
    coordinator.submit(f"/admin/meeting-room/case/{item.id}/action", form)
    [action] = _rows(Action)
    assert action.agenda_item_id == item.id
    reason = f"Action agreed at the meeting, recorded by {coordinator.user.name}"
    assert _created_entry("action", action.id).reason == reason
