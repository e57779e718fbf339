"""The team lead's screens for user accounts and organisations, and `flask create-user`."""

from __future__ import annotations

from models import Organisation, Role, User, db
from tests.conftest import Client, page_text


def _user(email):
    return db.session.scalars(db.select(User).where(User.email == email)).first()


def test_team_lead_creates_an_account_that_can_sign_in(app, signed_in, make_org):
    org = make_org(name="Social Services")
    lead = signed_in("team_lead")
    response = lead.submit(
        "/admin/user/new/",
        {
            "name": "Sam Social",
            "email": "Sam.Social@Example.gov.uk",
            "role": "partner",
            "organisation": org.id,
            "active": "y",
            "new_password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302, page_text(response)
    user = _user("sam.social@example.gov.uk")
    assert user.role == Role.partner and user.organisation_id == org.id
    newcomer = Client(app.test_client())
    # No second factor yet: the first sign-in sets one up and shows the recovery codes.
    assert "Your recovery codes" in page_text(newcomer.sign_in("sam.social@example.gov.uk", "a-long-enough-password"))


def test_new_account_needs_a_long_password(signed_in, make_org):
    org = make_org()
    lead = signed_in("team_lead")
    for password, message in [("", "Set a password"), ("short", "at least 12 characters")]:
        response = lead.submit(
            "/admin/user/new/",
            {
                "name": "No Pw",
                "email": "nopw@example.nhs.net",
                "role": "coordinator",
                "organisation": org.id,
                "new_password": password,
            },
        )
        assert message in page_text(response)
        assert 'value="No Pw"' in page_text(response)
    assert _user("nopw@example.nhs.net") is None


def test_team_lead_changes_role_and_resets_password(app, signed_in, make_user):
    person = make_user(Role.coordinator)
    lead = signed_in("team_lead")
    response = lead.submit(
        f"/admin/user/edit/?id={person.id}",
        {
            "name": person.name,
            "email": person.email,
            "role": "team_lead",
            "organisation": person.organisation_id,
            "active": "y",
            "new_password": "brand-new-password-1",
        },
    )
    assert response.status_code == 302, page_text(response)
    db.session.refresh(person)
    assert person.role == Role.team_lead
    assert Client(app.test_client()).sign_in(person.email, "brand-new-password-1").status_code == 302


def test_edit_without_password_keeps_the_old_one(app, signed_in, make_user):
    person = make_user(Role.coordinator)
    old_hash = person.password_hash
    lead = signed_in("team_lead")
    lead.submit(
        f"/admin/user/edit/?id={person.id}",
        {
            "name": "Renamed",
            "email": person.email,
            "role": "coordinator",
            "organisation": person.organisation_id,
            "active": "y",
        },
    )
    db.session.refresh(person)
    assert person.name == "Renamed" and person.password_hash == old_hash


def test_team_lead_deactivates_accounts_in_bulk(app, signed_in, make_user):
    one, two = make_user(), make_user()
    lead = signed_in("team_lead")
    lead.submit("/admin/user/action/", {"action": "deactivate", "rowid": [one.id, two.id]})
    db.session.refresh(one)
    db.session.refresh(two)
    assert not one.active and not two.active
    assert Client(app.test_client()).attempt_sign_in(one).status_code == 200  # refused: the page comes back


def test_team_lead_cannot_deactivate_themselves(signed_in):
    lead = signed_in("team_lead")
    lead.submit("/admin/user/action/", {"action": "deactivate", "rowid": [lead.user.id]})
    assert db.session.get(User, lead.user.id).active
    response = lead.submit(
        f"/admin/user/edit/?id={lead.user.id}",
        {
            "name": lead.user.name,
            "email": lead.user.email,
            "role": "team_lead",
            "organisation": lead.user.organisation_id,
        },
    )
    assert "You cannot deactivate your own account" in page_text(response)
    assert db.session.get(User, lead.user.id).active


def test_user_pages_never_show_password_hashes(signed_in, make_user):
    person = make_user()
    lead = signed_in("team_lead")
    for url in [
        "/admin/user/",
        f"/admin/user/details/?id={person.id}",
        f"/admin/user/edit/?id={person.id}",
        "/admin/user/export/csv/",
    ]:
        text = page_text(lead.get(url))
        assert person.password_hash not in text and "pbkdf2" not in text and person.session_token not in text


def test_coordinator_cannot_manage_accounts(signed_in, make_user):
    person = make_user()
    coordinator = signed_in("coordinator")
    assert coordinator.get("/admin/user/").status_code == 403
    assert (
        coordinator.submit(f"/admin/user/edit/?id={person.id}", {"name": "x", "role": "team_lead"}).status_code == 403
    )
    assert coordinator.submit("/admin/user/action/", {"action": "deactivate", "rowid": person.id}).status_code == 403
    assert db.session.get(User, person.id).role == Role.coordinator


def test_coordinator_adds_an_organisation(signed_in):
    coordinator = signed_in("coordinator")
    response = coordinator.submit(
        "/admin/organisation/new/",
        {"name": "Kent Fire", "type": "fire_rescue", "ods_code": "kfr01", "secure_email": "safe@fire.gov.uk"},
    )
    assert response.status_code == 302
    org = db.session.scalars(db.select(Organisation).where(Organisation.name == "Kent Fire")).one()
    assert org.ods_code == "KFR01" and org.type.label == "Fire and rescue"


def test_organisation_form_shows_type_labels(signed_in):
    text = page_text(signed_in("coordinator").get("/admin/organisation/new/"))
    assert ">Fire and rescue<" in text and ">GP practice<" in text


def test_cli_create_user(app, make_org):
    make_org(ods_code="G82001", name="Practice")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "cli@example.nhs.net",
            "--name",
            "Cli User",
            "--role",
            "coordinator",
            "--password",
            "cli-password-long",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user("cli@example.nhs.net").organisation.ods_code == "ILR001"
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "gp@example.nhs.net",
            "--name",
            "Gp",
            "--role",
            "partner",
            "--organisation",
            "g82001",
            "--password",
            "cli-password-long",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user("gp@example.nhs.net").organisation.ods_code == "G82001"


def test_cli_create_user_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "p@example.nhs.net", "--name", "P", "--role", "read_only"],
        input="prompted-password-1\nprompted-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert _user("p@example.nhs.net").check_password("prompted-password-1")


def test_cli_create_user_refuses_bad_input(app, make_user):
    existing = make_user()
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "s@example.nhs.net",
            "--name",
            "S",
            "--role",
            "coordinator",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    dup = runner.invoke(
        args=[
            "create-user",
            "--email",
            existing.email,
            "--name",
            "D",
            "--role",
            "coordinator",
            "--password",
            "long-enough-pass",
        ]
    )
    assert dup.exit_code != 0 and "already exists" in dup.output
    org = runner.invoke(
        args=[
            "create-user",
            "--email",
            "o@example.nhs.net",
            "--name",
            "O",
            "--role",
            "coordinator",
            "--organisation",
            "NOPE1",
            "--password",
            "long-enough-pass",
        ]
    )
    assert org.exit_code != 0 and "No organisation has the ODS code" in org.output


def test_seed_demo_and_logins(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "not empty" in again.output
    assert "already has data" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    logins = runner.invoke(args=["demo-logins"]).output
    assert "lead@ilr-demo.nhs.net" in logins
    lead = db.session.scalars(db.select(User).where(User.email == "lead@ilr-demo.nhs.net")).one()
    assert f"add the key {lead.totp_secret} to an authenticator app" in logins and lead.has_second_factor
    client = Client(app.test_client())
    assert client.sign_in("lead@ilr-demo.nhs.net", "demo-password-2026").status_code == 302
