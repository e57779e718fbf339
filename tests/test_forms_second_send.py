"""A create form sent twice (a double click, a browser's retry) saves once, and the second send lands calmly on what
the first one saved: the form token remembers it."""

from __future__ import annotations

import pytest

from formats.dates import today
from models import FormToken, Locality, Patient, Referral, Role, db
from services import forms
from services.forms import FormAlreadyUsed, Saved, new_form_token, remember_saved, use_form_token
from tests.conftest import FORM_TOKEN_INPUT, page_text
from tests.factories import shown


def _token(client, url: str) -> str:
    return FORM_TOKEN_INPUT.search(page_text(client.get(url))).group(1)


def _messages(client) -> str:
    """The messages the next page shows (the flashed ones)."""
    return shown(client.get("/admin/"))


def test_a_model_form_sent_twice_lands_on_what_the_first_saved(signed_in):
    lead = signed_in(Role.team_lead)
    form = {"name": "Medway East", "form_token": _token(lead, "/admin/locality/new/")}
    assert lead.submit("/admin/locality/new/", form).status_code == 302
    again = lead.submit("/admin/locality/new/", form)
    locality = db.session.scalars(db.select(Locality)).one()  # one row
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/admin/locality/details/?id={locality.id}")
    page = shown(lead.get(again.headers["Location"]))
    assert "Already saved — here it is:" in page and "alert-info" in page and "alert-danger" not in page
    assert f'href="/admin/locality/details/?id={locality.id}">Medway East</a>' in page
    token = db.session.scalars(db.select(FormToken)).one()
    assert (token.saved_table, token.saved_id) == ("locality", locality.id)


def _referral_form(locality: Locality, token: str) -> dict:
    return {
        "form_token": token, "locality_id": locality.id, "received_on": today().isoformat(),
        "referrer_name": "Dr Patel", "reason": "Repeated falls, lives alone", "consent": "given",
        "consent_by": "Patient", "consent_on": today().isoformat(), "sex": "female", "nhs_number": "999 000 0034",
        "given_name": "Mary", "family_name": "Seacole", "date_of_birth": "1940-03-04",
    }  # fmt: skip


def test_a_referral_sent_twice_is_recorded_once_and_the_second_send_is_shown_it(signed_in, create_locality):
    coordinator = signed_in("coordinator")
    form = _referral_form(create_locality(), _token(coordinator, "/admin/intake/"))
    first = coordinator.submit("/admin/intake/", form)
    again = coordinator.submit("/admin/intake/", form)
    referral = db.session.scalars(db.select(Referral)).one()
    assert db.session.scalar(db.select(db.func.count()).select_from(Patient)) == 1
    assert first.headers["Location"] == again.headers["Location"]
    assert again.headers["Location"].endswith(f"/admin/triage/details/?id={referral.id}")
    page = shown(coordinator.get(again.headers["Location"]))
    assert "Already saved — " in page and ">here is the referral</a> for SEACOLE, Mary" in page
    assert "alert-danger" not in page


def test_a_second_send_answers_before_the_fields_are_checked_again(signed_in, create_locality):
    """The first send added the patient: checked again, the second would be refused as a duplicate patient."""
    coordinator = signed_in("coordinator")
    form = _referral_form(create_locality(), _token(coordinator, "/admin/intake/"))
    coordinator.submit("/admin/intake/", form)
    again = coordinator.submit("/admin/intake/", form | {"reason": ""})  # even with a field now blank
    assert again.status_code == 302 and "/admin/triage/details/" in again.headers["Location"]


def test_a_second_send_of_a_token_used_before_tokens_remembered_says_nothing_more_was_added(signed_in):
    lead = signed_in(Role.team_lead)
    db.session.add(FormToken(token="used-long-ago"))
    db.session.commit()
    again = lead.submit("/admin/locality/new/", {"name": "Medway West", "form_token": "used-long-ago"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/admin/locality/")
    assert forms.ALREADY_SAVED in _messages(lead)
    assert db.session.scalar(db.select(db.func.count()).select_from(Locality)) == 0


def test_two_sends_racing_past_the_look_up_meet_the_constraint_and_the_second_is_shown_the_first(
    app, create_locality, monkeypatch
):
    """The first send committed between the second's look-up and its insert (two app workers, one double click)."""
    token = new_form_token()
    first = use_form_token(token)
    locality = create_locality(name="Saved by the first send")
    remember_saved(first, locality)
    db.session.commit()
    monkeypatch.setattr(forms, "check_form_token", lambda token: None)  # the second's look-up came too early
    with pytest.raises(FormAlreadyUsed) as raised:
        use_form_token(token)
    assert raised.value.saved == Saved("locality", locality.id)
    # The savepoint kept the second's transaction usable: it can still read and write.
    db.session.add(Locality(name="Still writable"))
    db.session.flush()
    db.session.rollback()
