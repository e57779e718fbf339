"""Your details (issue 26): every signed-in person keeps their own job title, team, telephone and secure email, and
the letters they make are signed with them."""

from __future__ import annotations

import pytest

from models import AuditAction, AuditEntry, Role, User, db
from services.accounts import missing_details, signatory
from tests.factories import refused, shown


@pytest.mark.parametrize("role", list(Role))
def test_everyone_keeps_their_own_details(signed_in, role):
    person = signed_in(role, name="Casey Coordinator")
    page = shown(person.get("/admin/account/"))
    assert "Your details" in page and 'name="phone"' in page
    answer = person.submit(
        "/admin/account/",
        {
            "job_title": "ILR coordinator",
            "team": "Medway North ILR team",
            "phone": "01634 123456 ext 205",
            "secure_email": "Casey.Coordinator@NHS.net",
        },
    )
    assert answer.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, person.user.id)
    assert (user.job_title, user.team, user.phone, user.secure_email) == (
        "ILR coordinator",
        "Medway North ILR team",
        "01634 123456 ext 205",
        "casey.coordinator@nhs.net",
    )
    after = shown(person.get("/admin/account/"))
    assert "Your details are saved." in after
    assert "Casey Coordinator<br>ILR coordinator<br>Medway North ILR team<br>Telephone: 01634 123456 ext 205" in after


def test_a_change_is_audited_and_touches_only_the_signed_in_person(signed_in, make_user):
    other = make_user(job_title="Team lead")
    person = signed_in()
    person.submit("/admin/account/", {"job_title": "ILR coordinator", "user_id": other.id, "name": "Someone Else"})
    db.session.expire_all()
    assert db.session.get(User, other.id).job_title == "Team lead"
    mine = db.session.get(User, person.user.id)
    assert mine.job_title == "ILR coordinator" and mine.name != "Someone Else"
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == AuditAction.update, AuditEntry.table_name == "user_account")
    ).one()
    assert entry.record_id == mine.id and entry.reason == f"Own details updated by {mine.name}"
    assert "job_title" in entry.changes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("secure_email", "casey@gmail.com", "casey@gmail.com is not a secure address for patient details"),
        ("secure_email", "not an address", "Enter a valid email address."),
        ("phone", "call me", "Enter the telephone number as digits"),
        ("job_title", "x" * 201, "Enter at most 200 characters (this has 201)."),
    ],
)
def test_a_detail_that_cannot_sign_a_letter_is_refused_in_words(signed_in, field, value, message):
    person = signed_in()
    refused(person, "/admin/account/", {field: value}, message)
    db.session.expire_all()
    assert getattr(db.session.get(User, person.user.id), field) is None


def test_the_signature_leaves_out_what_is_not_given(make_user):
    user = make_user(Role.coordinator, name="Casey Coordinator")
    assert signatory(user).lines == ["Casey Coordinator", "Coordinator", user.organisation.name]
    assert missing_details(user) == "job title, telephone and secure email"
    user.job_title, user.phone, user.team = "ILR coordinator", "01634 123456", "Medway North ILR team"
    assert signatory(user).lines == [
        "Casey Coordinator",
        "ILR coordinator",
        "Medway North ILR team",
        "Telephone: 01634 123456",
    ]
    assert missing_details(user) == "secure email"
