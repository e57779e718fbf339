"""The second factor: set up at first sign-in, a code good once, recovery codes, the team lead's reset and the
commands (issue 16). Through the app's own pages, on the real database."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine

from models import AuditAction, AuditEntry, RecoveryCode, Role, User, UserSession, db, utcnow
from services import accounts
from services.second_factor import reset_second_factor
from tests.conftest import PASSWORD, TOTP_SECRET, Client, page_text

RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
SECRET_SHOWN = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _entries(action) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def test_the_password_alone_does_not_sign_in(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    first = client.attempt_sign_in(user)
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    assert not _signed_in(client)
    page = page_text(client.get("/login/code"))
    assert "Code from your authenticator app" in page and user.email in page
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 0  # no session yet


def test_a_wrong_code_is_refused_on_the_page_and_counts_towards_the_throttle(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.attempt_sign_in(user)
    wrong = f"{(int(pyotp.TOTP(TOTP_SECRET).now()) + 1) % 1_000_000:06d}"
    answer = client.answer_code(wrong)
    assert answer.status_code == 200 and "That code is not right" in page_text(answer)
    assert not _signed_in(client)
    failed = _entries(AuditAction.sign_in_failed)
    assert [(e.user_id, e.detail, e.reason) for e in failed] == [
        (user.id, f"email={user.email}", "Wrong or reused second-factor code")
    ]
    for _ in range(4):
        client.answer_code(wrong)
    assert client.answer_code(pyotp.TOTP(TOTP_SECRET).now()).status_code == 429  # even the right code waits


def test_a_code_is_good_once_and_the_next_one_signs_in(app, make_user):
    user = make_user()
    with time_machine.travel(utcnow(), tick=False) as clock:
        Client(app.test_client()).sign_in(user)
        again = Client(app.test_client())
        again.attempt_sign_in(user)
        reused = again.answer_code(pyotp.TOTP(TOTP_SECRET).now())
        assert "That code has been used already" in page_text(reused) and not _signed_in(again)
        clock.shift(timedelta(seconds=30))
        assert again.answer_code(pyotp.TOTP(TOTP_SECRET).now()).headers["Location"] == "/admin/"
        assert _signed_in(again)


def test_a_code_from_the_step_before_is_accepted_but_not_two_steps_back(app, make_user):
    """A phone's clock a little out still works; an old code does not."""
    user = make_user()
    client = Client(app.test_client())
    totp = pyotp.TOTP(TOTP_SECRET)
    with time_machine.travel(utcnow(), tick=False):  # not across a 30 s boundary between the two codes
        client.attempt_sign_in(user)
        assert "That code is not right" in page_text(client.answer_code(totp.at(utcnow() - timedelta(seconds=65))))
        assert client.answer_code(totp.at(utcnow() - timedelta(seconds=30))).status_code == 302


def test_the_second_step_expires_and_a_password_reset_voids_it(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.attempt_sign_in(user)
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        late = client.get("/login/code")
        assert late.status_code == 302 and late.headers["Location"] == "/login"
        assert "Please sign in again" in page_text(client.get("/login"))
    client.attempt_sign_in(user)
    user.set_password("another long passphrase here")
    db.session.commit()
    voided = client.get("/login/code")
    assert voided.headers["Location"] == "/login" and not _signed_in(client)


@pytest.mark.parametrize("change", ["deactivated", "second factor reset"])
def test_a_deactivation_or_reset_between_the_steps_voids_the_first(app, make_user, change):
    user, lead = make_user(), make_user(Role.team_lead)
    client = Client(app.test_client())
    client.attempt_sign_in(user)
    if change == "deactivated":
        accounts.deactivate_user(user, lead)
    else:
        reset_second_factor(user, lead)
    db.session.commit()
    assert client.get("/login/code").headers["Location"] == "/login"
    assert not _signed_in(client)


def test_a_copy_of_a_finished_sign_in_step_is_worth_nothing(app, make_user, next_code_step):
    """The cookie between the two steps, copied before the code was typed, opens nothing once signed in."""
    user = make_user()
    client = Client(app.test_client())
    client.attempt_sign_in(user)
    copied = client.http.get_cookie("session").value
    client.answer_code(pyotp.TOTP(TOTP_SECRET).now())
    next_code_step()
    thief = Client(app.test_client())
    thief.http.set_cookie("session", copied)
    assert thief.get("/login/code").headers["Location"] == "/login"


def test_digits_of_other_scripts_are_refused_in_words(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.attempt_sign_in(user)
    answer = client.answer_code("\u0661\u0662\u0663\u0664\u0665\u0666")  # Arabic-Indic digits
    assert answer.status_code == 200 and "That recovery code is not right" in page_text(answer)


def test_after_signing_in_the_code_pages_go_home(app, make_user):
    user = make_user()
    client = Client(app.test_client())
    client.sign_in(user)
    for step in ("/login/code", "/login/set-up"):
        assert client.get(step).headers["Location"] == "/admin/"


def test_first_sign_in_sets_up_the_app_with_a_qr_code_and_gives_ten_recovery_codes(app, make_user):
    user = make_user(totp_secret=None, totp_enrolled_at=None)
    client = Client(app.test_client())
    first = client.attempt_sign_in(user)
    assert first.headers["Location"] == "/login/set-up"
    page = page_text(client.get("/login/set-up"))
    assert 'src="data:image/svg+xml' in page and 'alt="QR code' in page  # drawn here, nothing from the internet
    assert "https://" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    secret = SECRET_SHOWN.search(page).group(1).replace(" ", "")
    assert secret == db.session.get(User, user.id).totp_secret and len(secret) == 32
    assert SECRET_SHOWN.search(page_text(client.get("/login/set-up"))).group(1).replace(" ", "") == secret  # kept
    # Another password step (someone else with the password, say) draws a new key: the one seen here is void.
    other = Client(app.test_client())
    other.attempt_sign_in(user)
    assert SECRET_SHOWN.search(page_text(other.get("/login/set-up"))).group(1).replace(" ", "") != secret
    client.attempt_sign_in(user)
    secret = SECRET_SHOWN.search(page_text(client.get("/login/set-up"))).group(1).replace(" ", "")
    wrong = client.answer_code("12345", "/set-up")
    assert "Enter the six digits" in page_text(wrong) and not _signed_in(client)
    done = client.answer_code(pyotp.TOTP(secret).now(), "/set-up")
    codes = RECOVERY.findall(page_text(done))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert _signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).has_second_factor
    stored = list(db.session.scalars(db.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    assert [e.user_id for e in _entries(AuditAction.second_factor_enrolled)] == [user.id]
    assert not any(secret in (e.changes or "") for e in db.session.scalars(db.select(AuditEntry)))


def test_a_recovery_code_signs_in_once(app, make_user):
    user = make_user(totp_secret=None, totp_enrolled_at=None)
    client = Client(app.test_client())
    codes = RECOVERY.findall(page_text(client.sign_in(user)))
    client.sign_out()
    client.attempt_sign_in(user)
    used = client.answer_code(codes[3].upper().replace("-", " "))  # as typed from paper
    assert used.headers["Location"] == "/admin/"
    assert "9 of them are left" in page_text(client.get("/admin/"))
    client.sign_out()
    client.attempt_sign_in(user)
    again = client.answer_code(codes[3])
    assert "That recovery code has been used already" in page_text(again) and not _signed_in(client)
    assert "That recovery code is not right" in page_text(client.answer_code("abcde-fghjk"))
    assert [e.user_id for e in _entries(AuditAction.recovery_code_used)] == [user.id]


def test_the_team_lead_resets_a_second_factor_and_the_person_sets_up_again(app, make_user, signed_in):
    user = make_user()
    person = Client(app.test_client())
    person.sign_in(user)
    lead = signed_in(Role.team_lead)
    assert "Second factor set up" in page_text(lead.get("/admin/user/"))
    answer = lead.submit("/admin/user/action/", {"action": "reset_second_factor", "rowid": str(user.id)})
    assert answer.status_code == 302
    assert "Second factor reset for 1 account" in page_text(lead.get("/admin/user/"))
    enrolled, without = make_user(), make_user(totp_secret=None, totp_enrolled_at=None)
    rows = [str(enrolled.id), str(without.id)]
    both = lead.submit("/admin/user/action/", {"action": "reset_second_factor", "rowid": rows})
    assert both.status_code == 302 and "1 had none to reset" in page_text(lead.get("/admin/user/"))
    assert not _signed_in(person)  # signed out everywhere
    db.session.expire_all()
    reset = db.session.get(User, user.id)
    assert (reset.totp_secret, reset.totp_enrolled_at, reset.recovery_codes) == (None, None, [])
    entry = _entries(AuditAction.second_factor_reset)[0]
    assert (entry.user_id, entry.record_id) == (lead.user.id, user.id)
    assert entry.reason == f"Second factor reset by {lead.user.name}"
    assert person.attempt_sign_in(user).headers["Location"] == "/login/set-up"


def test_only_the_team_lead_resets_second_factors(app, make_user, signed_in):
    user = make_user()
    coordinator = signed_in(Role.coordinator)
    refused = coordinator.submit("/admin/user/action/", {"action": "reset_second_factor", "rowid": str(user.id)})
    assert refused.status_code == 403
    assert db.session.get(User, user.id).has_second_factor


def _create_user(runner, email: str, name: str, secret: str | None = None):
    """`flask create-user` for a coordinator with the test password (and a second-factor secret, when given)."""
    args = ["create-user", "--email", email, "--name", name, "--role", "coordinator", "--password", PASSWORD]
    return runner.invoke(args=args + (["--totp-secret", secret] if secret else []))


def test_the_commands_set_a_secret_and_reset_a_lost_one(app):
    runner = app.test_cli_runner()
    created = _create_user(runner, "Script@Example.nhs.net", "Scripted", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp")
    assert created.exit_code == 0, created.output
    assert (
        "Second factor set up" in created.output and len(re.findall(r"[a-z0-9]{5}-[a-z0-9]{5}", created.output)) == 10
    )
    user = db.session.scalars(db.select(User).where(User.email == "script@example.nhs.net")).one()
    assert user.totp_secret == TOTP_SECRET and user.has_second_factor
    client = Client(app.test_client())
    client.sign_in(user)
    bad = _create_user(runner, "bad@example.nhs.net", "Bad", "not base32!")
    assert bad.exit_code != 0 and "must be base32" in bad.output
    short = _create_user(runner, "bad@example.nhs.net", "Bad", "JBSWY3DPEHPK3PXP")
    assert short.exit_code != 0 and "at least 112 bits" in short.output
    assert db.session.scalars(db.select(User).where(User.email == "bad@example.nhs.net")).first() is None
    plain = _create_user(runner, "new@example.nhs.net", "New")
    assert "set up their second factor" in plain.output
    reset = runner.invoke(args=["reset-second-factor", "SCRIPT@example.nhs.net"])
    assert reset.exit_code == 0 and "is reset" in reset.output
    assert not _signed_in(client)
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_second_factor
    assert _entries(AuditAction.second_factor_reset)[0].reason == "Second factor reset by the command line"
    missing = runner.invoke(args=["reset-second-factor", "nobody@example.nhs.net"])
    assert missing.exit_code != 0 and "No account has the email" in missing.output


def test_the_helper_fails_a_sign_in_that_stops_at_the_code_page(app, make_user, monkeypatch):
    """The shared sign-in helper must not pass when the code is refused: answering from another secret fails it."""
    user = make_user()
    monkeypatch.setattr("tests.conftest.totp_secret_of", lambda _user: "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
    with pytest.raises(AssertionError, match="did not reach a signed-in page"):
        Client(app.test_client()).sign_in(user)


def test_secrets_never_reach_the_trail(app, make_user):
    user = make_user(totp_secret=None, totp_enrolled_at=None)
    client = Client(app.test_client())
    client.sign_in(user)
    secret = db.session.get(User, user.id).totp_secret
    trail = " ".join(f"{e.changes} {e.detail} {e.reason}" for e in db.session.scalars(db.select(AuditEntry)))
    assert secret and secret not in trail and "totp_secret" in trail  # the change is recorded, not its value
