"""Sign-in fit for patient data: server-side sessions that end, time-outs, throttling, passwords, transport."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import current_app

from models import AuditAction, AuditEntry, Role, SignInAlert, User, UserSession, db, utcnow
from services import accounts
from services.sessions import FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS
from services.sign_in_alerts import ALERT_AFTER_FAILURES, close_sign_in_alert, open_sign_in_alerts
from tests.conftest import CSRF_INPUT, PASSWORD, TOTP_SECRET, Client, base_config, page_text

HOME = "/admin/"


def _signed_in_to(client) -> bool:
    response = client.get(HOME)
    return response.status_code == 200 and 'action="/logout"' in page_text(response)


def _sessions(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)))


# --- server-side sessions ------------------------------------------------------------------------


def test_signing_in_makes_a_session_record_and_the_cookie_carries_only_its_key(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.sign_in(user)
    (record,) = _sessions(user)
    assert record.ended_at is None and record.address == "127.0.0.1" and record.method.value == "password"
    cookie = client.http.get_cookie("session").value
    carried = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert carried["sid"] == record.key and len(record.key) >= 40  # a random key the server looks up each time


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.sign_in(user)
    copied = client.http.get_cookie("session").value
    client.sign_out()
    thief = Client(app.test_client())
    thief.http.set_cookie("session", copied)
    response = thief.get(HOME)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _sessions(user)[0].ended_reason == "signed out"


@pytest.mark.parametrize("change", ["password", "deactivate", "role"])
def test_a_password_change_deactivation_or_role_change_ends_every_session(app, make_user, change, next_code_step):
    user, lead = make_user(), make_user(Role.team_lead)
    browsers = [Client(app.test_client()) for _ in range(2)]
    for browser in browsers:
        browser.sign_in(user)
        next_code_step()
    if change == "password":
        accounts.update_account(user, lead, is_new=False, new_password="a different long passphrase")
    elif change == "deactivate":
        accounts.deactivate_user(user, lead)
    else:
        user.role = Role.read_only
        accounts.update_account(user, lead, is_new=False)
    db.session.commit()
    assert not any(_signed_in_to(browser) for browser in browsers)
    assert all(s.ended_at is not None for s in _sessions(user))


def test_last_seen_is_written_at_most_once_a_minute_and_is_not_audited(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.sign_in(user)
        first = _sessions(user)[0].last_seen_at
        clock.shift(timedelta(seconds=30))
        client.get(HOME)
        assert _sessions(user)[0].last_seen_at == first
        clock.shift(timedelta(seconds=40))
        client.get(HOME)
        assert _sessions(user)[0].last_seen_at > first
    assert db.session.scalar(db.select(db.func.count()).where(AuditEntry.table_name == "user_session")) == 0


def test_people_end_their_own_other_sessions_and_the_team_lead_anyones(app, make_user, next_code_step):
    user, lead_user = make_user(name="Uma User"), make_user(Role.team_lead, name="Lee Lead")
    phone, laptop, lead = (Client(app.test_client()) for _ in range(3))
    phone.sign_in(user)
    next_code_step()
    laptop.sign_in(user)
    lead.sign_in(lead_user)
    phone_session = _sessions(user)[0]
    assert "This browser" in page_text(phone.get("/admin/sessions/"))
    laptop.submit(f"/admin/sessions/{phone_session.id}/end")
    assert not _signed_in_to(phone) and _signed_in_to(laptop)
    laptop_session = next(s for s in _sessions(user) if s.ended_at is None)
    other = make_user()
    stranger = Client(app.test_client())
    stranger.sign_in(other)
    assert stranger.submit(f"/admin/sessions/{laptop_session.id}/end").status_code == 403
    assert "Uma User" in page_text(lead.get("/admin/sessions/"))
    lead.submit(f"/admin/sessions/{laptop_session.id}/end")
    assert not _signed_in_to(laptop)
    ended = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.session_ended)).one()
    assert (ended.user_id, ended.record_id, ended.detail) == (lead_user.id, laptop_session.id, "ended by Lee Lead")


# --- time-outs -----------------------------------------------------------------------------------------


def test_an_idle_session_ends_after_thirty_minutes(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.sign_in(user)
        clock.shift(timedelta(minutes=29))
        assert _signed_in_to(client)
        clock.shift(timedelta(minutes=31))
        assert not _signed_in_to(client)
    assert _sessions(user)[0].ended_reason == "timed out"


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.sign_in(user)
        for _ in range(47):  # every quarter of an hour for 11 hours 45 minutes
            clock.shift(timedelta(minutes=15))
            assert _signed_in_to(client)
        clock.shift(timedelta(minutes=16))
        assert not _signed_in_to(client)


def test_pages_carry_the_idle_warning_and_stay_signed_in_moves_the_time_out(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.sign_in(user)
        page = page_text(client.get(HOME))
        assert 'data-idle-seconds="1800"' in page and "Stay signed in" in page
        clock.shift(timedelta(minutes=25))
        assert client.submit("/admin/sessions/keep-alive").get_json() == {"signed_in": True, "idle_seconds": 1800}
        clock.shift(timedelta(minutes=25))  # 50 minutes after signing in, 25 after "stay signed in"
        assert _signed_in_to(client)


# --- throttling -------------------------------------------------------------------------------------------


def _fail(client, email: str, environ: dict | None = None):
    data = {"email": email, "password": "not the right one at all", "csrf_token": client.csrf_token()}
    return client.http.post("/login", data=data, environ_base=environ or {})


def test_repeated_failures_for_an_account_slow_it_for_a_while_never_for_good(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(FAILURES_PER_ACCOUNT):
            assert _fail(client, user.email).status_code == 200
        throttled = _fail(client, user.email)
        assert throttled.status_code == 429 and "Too many attempts to sign in" in page_text(throttled)
        assert client.attempt_sign_in(user).status_code == 429  # even the right password waits
        clock.shift(timedelta(minutes=16))
        client.sign_in(user)  # the window has slid past: signing in works again
        assert _signed_in_to(client)


def test_failures_from_one_address_slow_that_address(app, make_user):
    client = Client(app.test_client())
    office = {"REMOTE_ADDR": "198.51.100.7"}
    for n in range(FAILURES_PER_ADDRESS):
        _fail(client, f"nobody{n}@example.nhs.net", office)
    assert _fail(client, "someone.else@example.nhs.net", office).status_code == 429
    assert _fail(client, "someone.else@example.nhs.net", {"REMOTE_ADDR": "198.51.100.8"}).status_code == 200


def _from(app, address: str) -> Client:
    """A browser at another client address."""
    flask_client = app.test_client()
    flask_client.environ_base["REMOTE_ADDR"] = address
    return Client(flask_client)


def test_a_guesser_never_locks_the_owner_out(app, make_user):
    """Failures for the team lead's address from elsewhere pause that address, not the owner at their desk."""
    lead = make_user(Role.team_lead)
    guesser = _from(app, "203.0.113.66")
    for _ in range(3 * FAILURES_PER_ACCOUNT):
        answer = _fail(guesser, lead.email)
    assert answer.status_code == 429
    assert guesser.attempt_sign_in(lead).status_code == 429  # the right password from there waits too
    owner = _from(app, "198.51.100.7")
    owner.sign_in(lead)  # the password and the code, from the owner's own address
    assert _signed_in_to(owner)


def test_an_office_behind_one_address_is_not_locked_out_by_guesses_for_made_up_accounts(app, make_user):
    colleague, clumsy = make_user(), make_user()
    office = {"REMOTE_ADDR": "198.51.100.7"}
    nobody = _from(app, "198.51.100.7")
    _fail(nobody, clumsy.email, office)  # one mistake of their own, from the office
    for n in range(FAILURES_PER_ADDRESS):
        _fail(nobody, f"nobody{n}@example.nhs.net", office)
    assert _fail(nobody, "made.up@example.nhs.net", office).status_code == 429  # unknown accounts wait
    assert _fail(nobody, clumsy.email, office).status_code == 429  # and one that has failed from there
    desk = _from(app, "198.51.100.7")
    desk.sign_in(colleague)  # a colleague with no failure from the office signs in as usual
    assert _signed_in_to(desk)


def test_failures_far_past_a_persons_mistakes_alert_the_team_lead_and_lock_nothing(app, make_user):
    lead = make_user(Role.team_lead)
    for n in range(ALERT_AFTER_FAILURES - 1):  # from many addresses: no one address is paused
        assert _fail(_from(app, f"203.0.113.{n + 1}"), lead.email).status_code == 200
    assert open_sign_in_alerts() == []
    _fail(_from(app, "203.0.113.200"), lead.email)
    (alert,) = open_sign_in_alerts()
    assert (alert.user_id, alert.failures, alert.addresses) == (lead.id, ALERT_AFTER_FAILURES, ALERT_AFTER_FAILURES)
    raised = db.session.scalars(db.select(AuditEntry).where(AuditEntry.table_name == "sign_in_alert")).one()
    assert raised.action == AuditAction.create and f"{ALERT_AFTER_FAILURES} failed sign-ins for {lead.email}" in (
        raised.reason
    )
    _fail(_from(app, "203.0.113.201"), lead.email)
    assert len(open_sign_in_alerts()) == 1  # one alert per attack, however long it goes on
    owner = _from(app, "198.51.100.7")
    owner.sign_in(lead)
    assert _signed_in_to(owner)
    listed = page_text(owner.get("/admin/sign_in_alert/"))
    assert lead.name in listed and f">{ALERT_AFTER_FAILURES}<" in listed.replace(" ", "").replace("\n", "")
    owner.submit("/admin/sign_in_alert/action/", {"action": "close", "rowid": alert.id})
    db.session.expire_all()
    assert open_sign_in_alerts() == [] and db.session.get(SignInAlert, alert.id).closed_by_id == lead.id
    with pytest.raises(accounts.DomainError, match="already been closed"):
        close_sign_in_alert(db.session.get(SignInAlert, alert.id), by=lead)


def test_unknown_and_known_accounts_get_the_same_message_and_the_same_hash_check(app, make_user, monkeypatch):
    user = make_user()
    checks = []
    import werkzeug.security

    real = werkzeug.security.check_password_hash
    monkeypatch.setattr("services.accounts.check_password_hash", lambda h, p: checks.append("dummy") or real(h, p))
    monkeypatch.setattr("models.people.check_password_hash", lambda h, p: checks.append("real") or real(h, p))
    client = Client(app.test_client())
    known, unknown = _fail(client, user.email), _fail(client, "no.such.person@example.nhs.net")
    message = "The email address or password is not right, or the account is not active."
    assert message in page_text(known) and message in page_text(unknown)
    assert checks == ["real", "dummy"]


# --- passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("short-one", "at least 12 characters long"),
        ("x" * 129, "at most 128 characters"),
        ("passwordpassword", "too easy to guess"),
        ("Medway2026!!!!", "too easy to guess"),
        ("ILR-Coordinator-2026", "too easy to guess"),
        ("123456789012", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_by_the_account_services(app, make_user, password, refusal):
    user, lead = make_user(), make_user(Role.team_lead)
    with pytest.raises(accounts.DomainError, match=refusal):
        accounts.update_account(user, lead, is_new=False, new_password=password)
    with pytest.raises(accounts.DomainError, match=refusal):
        accounts.create_user("new.person@example.nhs.net", "New Person", Role.coordinator, password)


def test_a_passphrase_is_welcome_and_the_model_itself_does_not_judge(app, make_user):
    user, lead = make_user(), make_user(Role.team_lead)
    accounts.update_account(user, lead, is_new=False, new_password="correct horse battery staple")
    user.set_password("passwordpassword")  # fixtures and demo data set passwords on the model directly
    assert user.check_password("passwordpassword")


def test_hashes_are_upgraded_on_sign_in_when_the_parameters_change(app, make_user):
    user = make_user()
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"
    Client(app.test_client()).sign_in(user)
    db.session.refresh(user)
    assert user.password_hash.startswith("pbkdf2:sha256:2000$") and user.check_password(PASSWORD)


# --- transport and cross-site requests -------------------------------------------------------------------------


def _production(make, url: str, **extra):
    config = base_config(url) | {"ILR_ENV": "production", "MEETING_ORGANISER": "ilr.team@nhs.net"}
    config["ILR_SECRET_KEYS"] = current_app.config["ILR_SECRET_KEYS"]  # the test database's secrets are under them
    config.pop("TESTING")
    return make(config | extra)


def test_outside_development_cookies_are_secure_host_only_and_hsts_is_sent(app, another_app):
    secure = _production(another_app, app.config["SQLALCHEMY_DATABASE_URI"])
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert secure.config["SESSION_COOKIE_NAME"] == "__Host-session"
    response = secure.test_client().get("/login", base_url="https://ilr.example.nhs.uk")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    relaxed = _production(another_app, app.config["SQLALCHEMY_DATABASE_URI"], ALLOW_HTTP=True)
    assert relaxed.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in relaxed.test_client().get("/login").headers


def test_behind_proxyfix_https_posts_pass_the_csrf_referrer_check_and_the_real_address_is_audited(
    app, another_app, make_user
):
    behind = another_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {"PROXY_COUNT": 1})
    user = make_user()
    client = Client(behind.test_client()).http  # commits the test's own transaction before each request
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "ilr.example.nhs.uk",
        "X-Forwarded-For": "203.0.113.9",
    }
    page = client.get("/login", headers=forwarded)
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    refused = client.post("/login", data=form, headers=forwarded)  # HTTPS without a Referer: Flask-WTF refuses
    assert refused.status_code == 400
    referred = forwarded | {"Referer": "https://ilr.example.nhs.uk/login"}
    first = client.post("/login", data=form, headers=referred)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    page = client.get("/login/code", headers=forwarded)
    code = {"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": CSRF_INPUT.search(page_text(page)).group(1)}
    signed = client.post("/login/code", data=code, headers=referred)
    assert signed.status_code == 302 and signed.headers["Location"] == "/admin/"
    db.session.expire_all()
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_in)).one()
    assert entry.client_address == "203.0.113.9"


def test_a_post_from_another_site_is_refused_even_with_a_valid_token(app, make_user, create_locality):
    client = Client(app.test_client())
    client.sign_in(make_user(Role.team_lead))
    form = {"name": "From elsewhere", "csrf_token": client.csrf_token()}
    assert (
        client.http.post("/admin/locality/new/", data=form, headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    assert (
        client.http.post("/admin/locality/new/", data=form, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    )
    ok = client.submit("/admin/locality/new/", form, headers={"Origin": "http://localhost"})
    assert ok.status_code == 302  # our own origin (and "null", which browsers send from some pages) pass


def test_the_csrf_token_is_renewed_at_sign_in_and_at_sign_out(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    before = CSRF_INPUT.search(page_text(client.get("/login"))).group(1)
    client.sign_in(user)
    during = client.csrf_token()
    client.sign_out()
    after = CSRF_INPUT.search(page_text(client.get("/login"))).group(1)
    strip = lambda token: token.split(".")[0]  # noqa: E731 - the token's value, without its signature
    assert len({strip(before), strip(during), strip(after)}) == 3


def test_the_referrer_policy_lets_the_browser_name_our_own_pages(client):
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"
    assert re.search(r"default-src 'self'", client.get("/login").headers["Content-Security-Policy"])


def test_demo_and_fixture_accounts_keep_their_passwords(app):
    user = User(email="fixture@example.nhs.net", name="Fixture", role=Role.coordinator)
    user.set_password("demo-password-2026")
    assert user.check_password("demo-password-2026")
