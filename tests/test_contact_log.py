"""The contact log: logged from the patient's page (with whom, named; how; a summary; a follow-up due), on the
timeline, and the follow-ups awaited: on the caseload, on the contact log's filter, and marked done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from formats.dates import today
from models import ContactLogEntry, ContactMethod, ContactParty, DomainError, Episode, db, utcnow
from services.contacts import awaiting_follow_up, complete_follow_up, log_contact
from services.patient_record import timeline
from tests.factories import shown


def _all() -> list[ContactLogEntry]:
    db.session.expire_all()
    return db.session.scalars(db.select(ContactLogEntry).order_by(ContactLogEntry.id)).all()


def test_a_contact_is_logged_from_the_patients_page_and_shows_on_the_timeline(signed_in, create_patient):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    due = today() + timedelta(days=7)
    form = {
        "party": "carer",
        "with_name": "Jo Lovelace (daughter)",
        "method": "phone",
        "summary": "Worried about nights; discussed telecare.",
        "follow_up_on": due.isoformat(),
    }
    assert coordinator.submit(f"/admin/record/{patient.id}/contact/", form).status_code == 302
    [entry] = _all()
    assert (entry.party, entry.with_name, entry.method, entry.follow_up_on, entry.followed_up_on, entry.by_id) == (
        ContactParty.carer,
        "Jo Lovelace (daughter)",
        ContactMethod.phone,
        due,
        None,
        coordinator.user.id,
    )
    assert utcnow() - entry.contacted_at < timedelta(minutes=1)  # now, unless another time is given
    [event] = timeline(patient)
    assert (event.kind, event.title, event.detail, event.flag) == (
        "Contact",
        f"Phone with Jo Lovelace (daughter) (follow-up due {due:%d/%m/%Y})",
        "Worried about nights; discussed telecare.",
        "follow-up",
    )
    page = shown(coordinator.get(f"/admin/record/{patient.id}/"))
    assert "Contact logged." in page and "Worried about nights; discussed telecare." in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"party": "referrer", "with_name": ""}, "Name the person or service the contact was with (the referrer)."),
        ({"summary": "  "}, "Summarise the contact."),
        ({"contacted_at": "2099-01-01T10:00"}, "The contact cannot be in the future: log it once it has happened."),
        ({"follow_up_on": "2020-01-01"}, "The follow-up cannot be due before the contact."),
        ({"method": "pigeon"}, "Choose how the contact was made."),
    ],
)
def test_a_contact_without_what_it_needs_is_refused(signed_in, create_patient, change, message):
    patient = create_patient()
    coordinator = signed_in("coordinator")
    form = {"party": "patient", "method": "visit", "summary": "Home visit", **change}
    coordinator.submit(f"/admin/record/{patient.id}/contact/", form)
    assert message in shown(coordinator.get(f"/admin/record/{patient.id}/"))
    assert _all() == []


def test_a_contact_with_the_patient_needs_no_name(create_patient, make_user):
    entry = ContactLogEntry(
        patient=create_patient(), contacted_at=utcnow(), party="patient", method="teams", summary="Checked in"
    )
    log_contact(entry, make_user())
    db.session.commit()
    assert _all()[0].with_name is None


def test_the_database_refuses_an_unnamed_carer(create_patient):
    db.session.add(
        ContactLogEntry(
            patient=create_patient(),
            contacted_at=utcnow(),
            party=ContactParty.carer,
            method=ContactMethod.phone,
            summary="x",
            with_name="",
        )
    )
    with pytest.raises(IntegrityError, match="ck_contact_log_named_unless_patient|CHECK constraint failed"):
        db.session.commit()
    db.session.rollback()


def test_a_follow_up_is_marked_done_from_the_patients_page(signed_in, create_contact_entry):
    entry = create_contact_entry(follow_up_on=today())
    coordinator = signed_in("coordinator")
    response = coordinator.submit(f"/admin/record/{entry.patient_id}/contact/{entry.id}/followed-up/", {})
    assert response.status_code == 302
    assert _all()[0].followed_up_on == today()
    assert "Follow-up done." in shown(coordinator.get(f"/admin/record/{entry.patient_id}/"))


def test_a_follow_up_is_done_once_and_only_when_one_was_due(create_contact_entry, make_user):
    nothing_due = create_contact_entry()
    with pytest.raises(DomainError, match="This contact has no follow-up due."):
        complete_follow_up(nothing_due, make_user())
    done = create_contact_entry(follow_up_on=today(), followed_up_on=today())
    with pytest.raises(DomainError, match=f"already followed up on {today():%d/%m/%Y}"):
        complete_follow_up(done, make_user())


def test_follow_ups_awaited_are_those_due_and_not_done_earliest_first_on_the_coordinators_caseload(
    create_contact_entry, create_episode, create_patient, make_user
):
    me, colleague = make_user(), make_user()
    mine, theirs = create_patient(family_name="Mine"), create_patient(family_name="Theirs")
    create_episode(patient=mine, coordinator=me)
    create_episode(patient=theirs, coordinator=colleague)
    later = create_contact_entry(patient=mine, follow_up_on=today() + timedelta(days=5))
    sooner = create_contact_entry(patient=mine, follow_up_on=today() - timedelta(days=1))
    create_contact_entry(patient=mine, follow_up_on=today(), followed_up_on=today())  # done
    create_contact_entry(patient=mine)  # nothing to follow up
    elsewhere = create_contact_entry(patient=theirs, follow_up_on=today())
    assert list(db.session.scalars(awaiting_follow_up(me.id))) == [sooner, later]
    assert list(db.session.scalars(awaiting_follow_up())) == [sooner, elsewhere, later]


def test_the_contact_log_filters_those_awaiting_follow_up_and_marks_them_done_in_bulk(
    signed_in, create_contact_entry, create_patient
):
    awaiting = create_contact_entry(patient=create_patient(family_name="Awaiting"), follow_up_on=today())
    create_contact_entry(patient=create_patient(family_name="Nothingdue"))
    coordinator = signed_in("coordinator")
    page = shown(coordinator.get("/admin/contact_log/?flt0_awaiting_followup_is=1"))
    assert "AWAITING" in page and "NOTHINGDUE" not in page
    coordinator.submit("/admin/contact_log/action/", {"action": "followed_up", "rowid": str(awaiting.id)})
    assert [e.followed_up_on for e in _all()] == [today(), None]


def test_the_caseload_shows_the_coordinators_follow_ups_awaited_and_links_to_them_all(
    signed_in, create_episode, create_contact_entry, create_patient, make_user
):
    coordinator = signed_in("coordinator")
    mine, theirs = create_patient(family_name="Mine"), create_patient(family_name="Theirs")
    create_episode(patient=mine, coordinator=coordinator.user)
    create_episode(patient=theirs, coordinator=make_user())
    overdue = today() - timedelta(days=3)
    create_contact_entry(patient=mine, party=ContactParty.carer, with_name="Jo (daughter)", follow_up_on=overdue)
    create_contact_entry(patient=theirs, follow_up_on=today())
    page = shown(coordinator.get("/admin/caseload/"))
    start = page.index("Contacts awaiting follow-up, earliest due first")
    panel = page[start : page.index("</ul>", start)]
    assert "MINE, Ada" in panel and "THEIRS" not in panel
    assert "Phone with Jo (daughter)" in panel and f"{overdue:%d/%m/%Y} (overdue)" in panel
    assert '<a href="/admin/contact_log/?flt0_awaiting_followup_is=1">Contacts awaiting follow-up</a>' in page


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_observers_and_partners_cannot_log_contacts(signed_in, create_patient, role):
    patient = create_patient()
    form = {"party": "patient", "method": "visit", "summary": "Home visit"}
    assert signed_in(role).submit(f"/admin/record/{patient.id}/contact/", form).status_code == 403
    assert _all() == []
    assert db.session.scalars(db.select(Episode)).all() == []
