"""Signing in with the organisation's account through a real OpenID Connect provider on loopback (issue 16):
an existing active account matched by verified email then bound to (issuer, subject), never created; the
second factor asked unless the provider's MFA is trusted."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pyotp
import pytest

from models import AuditAction, AuditEntry, Role, SignInMethod, User, UserSession, db
from services.organisation_sign_in import NO_ACCOUNT
from tests.conftest import TOTP_SECRET, Client, base_config, page_text
from tests.identity_provider import identity_provider, person

PEOPLE = [
    person("sub-alice", "alice@example.nhs.net"),
    person("sub-impostor", "alice@example.nhs.net"),
    person("sub-nobody", "nobody@example.nhs.net"),
    person("sub-elsewhere", "eve@elsewhere.example.com"),
    person("sub-unverified", "una@example.nhs.net", verified=False),
]


@pytest.fixture(scope="module")
def provider():
    with identity_provider(PEOPLE) as running:
        yield running


@pytest.fixture
def organisation_app(app, another_app, provider):
    """`organisation_app(**settings)`: the app on the test's database with organisation sign-in configured."""

    def make(**extra):
        return another_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | provider.config(**extra))

    return make


def _through_provider(client: Client, provider, subject: str):
    start = client.get("/login/organisation")
    assert start.status_code == 302 and start.headers["Location"].startswith(provider.issuer), start.headers
    return client.get(provider.authorise(start.headers["Location"], subject))


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _flash_on_sign_in_page(client, answer) -> str:
    assert answer.status_code == 302 and answer.headers["Location"] == "/login", answer.headers
    return page_text(client.get("/login"))


def test_the_sign_in_page_offers_the_organisation_only_when_configured(client, organisation_app):
    assert "Sign in with NHSmail" not in page_text(client.get("/login"))
    assert client.get("/login/organisation").status_code == 404
    assert client.get("/login/organisation/callback").status_code == 404
    configured = Client(organisation_app().test_client())
    assert "Sign in with NHSmail" in page_text(configured.get("/login"))


def test_first_sign_in_binds_the_account_then_asks_for_the_second_factor(make_user, organisation_app, provider):
    alice = make_user(email="alice@example.nhs.net")
    client = Client(organisation_app().test_client())
    answer = _through_provider(client, provider, "sub-alice")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/code"
    assert not _signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, alice.id).oidc_subject is None  # nothing is bound until the sign-in finishes
    assert client.answer_code(pyotp.TOTP(TOTP_SECRET).now()).headers["Location"] == "/admin/"
    assert _signed_in(client)
    db.session.expire_all()
    bound = db.session.get(User, alice.id)
    assert (bound.oidc_issuer, bound.oidc_subject) == (provider.issuer, "sub-alice")
    session = db.session.scalars(db.select(UserSession).where(UserSession.user_id == alice.id)).one()
    assert session.method == SignInMethod.identity_provider
    linked = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.identity_linked)).one()
    assert (linked.user_id, linked.detail) == (alice.id, f"issuer={provider.issuer}")


def test_later_sign_ins_match_on_issuer_and_subject_never_on_email_alone(
    make_user, organisation_app, provider, next_code_step
):
    alice = make_user(email="alice@example.nhs.net")
    app = organisation_app()
    first = Client(app.test_client())
    _through_provider(first, provider, "sub-alice")
    first.answer_code(pyotp.TOTP(TOTP_SECRET).now())
    # Someone else at the provider with the same address (reissued, or a second directory entry) is refused.
    impostor = Client(app.test_client())
    page = _flash_on_sign_in_page(impostor, _through_provider(impostor, provider, "sub-impostor"))
    assert "linked to another sign-in at your organisation" in page and not _signed_in(impostor)
    # The bound pair signs in even after the account's address changes here.
    db.session.get(User, alice.id).email = "alice.renamed@example.nhs.net"
    db.session.commit()
    next_code_step()
    again = Client(app.test_client())
    assert _through_provider(again, provider, "sub-alice").headers["Location"] == "/login/code"
    assert again.answer_code(pyotp.TOTP(TOTP_SECRET).now()).headers["Location"] == "/admin/"


def test_signing_in_never_creates_an_account(organisation_app, provider):
    client = Client(organisation_app().test_client())
    before = db.session.scalar(db.select(db.func.count()).select_from(User))
    page = _flash_on_sign_in_page(client, _through_provider(client, provider, "sub-nobody"))
    assert NO_ACCOUNT.replace("'", "&#39;") in page
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == before
    refused = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_in_failed)).one()
    # Not the password throttle's key ("email=…"): a stranger's refused sign-ins must not slow the owner's.
    assert refused.detail == "organisation email=nobody@example.nhs.net"


@pytest.mark.parametrize(
    ("subject", "email", "expected"),
    [
        ("sub-elsewhere", "eve@elsewhere.example.com", "Addresses at elsewhere.example.com cannot sign in here"),
        ("sub-unverified", "una@example.nhs.net", "has not confirmed this email address"),
    ],
)
def test_other_domains_and_unverified_addresses_are_refused(
    make_user, organisation_app, provider, subject, email, expected
):
    make_user(email=email)
    client = Client(organisation_app().test_client())
    page = _flash_on_sign_in_page(client, _through_provider(client, provider, subject))
    assert expected in page and not _signed_in(client)
    assert db.session.scalar(db.select(db.func.count()).where(User.oidc_subject.is_not(None))) == 0


def test_a_deactivated_account_is_refused(make_user, organisation_app, provider):
    make_user(email="alice@example.nhs.net", active=False)
    client = Client(organisation_app().test_client())
    page = _flash_on_sign_in_page(client, _through_provider(client, provider, "sub-alice"))
    assert "no active ILR Coordinator account" in page and not _signed_in(client)


def test_the_providers_mfa_stands_in_for_the_second_factor_only_when_trusted(make_user, organisation_app, provider):
    alice = make_user(Role.team_lead, email="alice@example.nhs.net")
    client = Client(organisation_app(OIDC_TRUSTS_MFA=True).test_client())
    answer = _through_provider(client, provider, "sub-alice")
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    assert _signed_in(client)
    sign_in = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_in)).one()
    assert sign_in.user_id == alice.id


def test_an_account_without_a_second_factor_sets_one_up_after_the_provider(make_user, organisation_app, provider):
    make_user(email="alice@example.nhs.net", totp_secret=None, totp_enrolled_at=None)
    client = Client(organisation_app().test_client())
    assert _through_provider(client, provider, "sub-alice").headers["Location"] == "/login/set-up"


def test_a_token_for_another_sign_in_is_refused(make_user, organisation_app, provider):
    """The ID token's nonce must be the one this browser's sign-in asked for (here the stored one is changed)."""
    make_user(email="alice@example.nhs.net")
    client = Client(organisation_app().test_client())
    start = client.get("/login/organisation")
    callback = provider.authorise(start.headers["Location"], "sub-alice")
    with client.http.session_transaction() as cookie:
        for key in [key for key in cookie if key.startswith("_state_organisation_")]:
            state = cookie[key]
            state["data"]["nonce"] = "another-sign-ins-nonce"
            cookie[key] = state  # assigned again: a change inside a stored value is not noticed
    assert "did not complete" in _flash_on_sign_in_page(client, client.get(callback))
    assert not _signed_in(client)


def test_the_team_lead_unlinks_an_organisation_sign_in(make_user, organisation_app, provider, signed_in):
    alice = make_user(email="alice@example.nhs.net")
    client = Client(organisation_app().test_client())
    _through_provider(client, provider, "sub-alice")
    client.answer_code(pyotp.TOTP(TOTP_SECRET).now())
    lead = signed_in(Role.team_lead)
    answer = lead.submit("/admin/user/action/", {"action": "unlink_organisation_sign_in", "rowid": str(alice.id)})
    assert answer.status_code == 302
    assert "Organisation sign-in unlinked for 1 account" in page_text(lead.get("/admin/user/"))
    assert not _signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, alice.id).oidc_subject is None


def test_a_forged_or_replayed_callback_is_refused(make_user, organisation_app, provider):
    make_user(email="alice@example.nhs.net")
    app = organisation_app()
    client = Client(app.test_client())
    start = client.get("/login/organisation")
    callback = provider.authorise(start.headers["Location"], "sub-alice")
    other = Client(app.test_client())  # another browser, without this one's state
    assert "did not complete" in _flash_on_sign_in_page(other, other.get(callback))
    assert client.get(callback).headers["Location"] == "/login/code"
    assert "did not complete" in _flash_on_sign_in_page(client, client.get(callback))  # the code is used


def test_an_unreachable_provider_is_a_sentence_on_the_sign_in_page(app, another_app):
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {
        "OIDC_ISSUER": f"http://127.0.0.1:{port}",
        "OIDC_CLIENT_ID": "ilr",
        "OIDC_ALLOWED_DOMAINS": ["example.nhs.net"],
    }
    client = Client(another_app(config).test_client())
    assert "did not complete" in _flash_on_sign_in_page(client, client.get("/login/organisation"))


def test_every_control_character_in_next_falls_back_to_the_home_page_after_the_provider(
    make_user, organisation_app, provider
):
    make_user(email="alice@example.nhs.net")
    app = organisation_app(OIDC_TRUSTS_MFA=True)  # the provider's answer is the last step: it redirects to `next`
    for character in [chr(n) for n in range(32)] + ["\x7f", "\u0085", "\u2028", "\u2029"]:
        client = Client(app.test_client())
        start = client.get("/login/organisation?next=" + quote(f"/{character}//evil.example/", safe=""))
        answer = client.get(provider.authorise(start.headers["Location"], "sub-alice"))
        assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/"), repr(character)
