"""Sign-in, sign-out, deactivated accounts, safe redirects, cookies and CSRF on the sign-in form."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pyotp
import pytest
import time_machine

from models import Role, db, utcnow
from tests.conftest import PASSWORD, TOTP_SECRET, page_text
from web.auth import safe_next


def test_sign_in_and_out(client, make_user):
    user = make_user(Role.coordinator)
    response = client.sign_in(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "Signed in as" in page_text(client.get("/admin/"))
    db.session.refresh(user)
    assert user.last_sign_in_at is not None and user.last_sign_in_at.tzinfo is not None

    response = client.sign_out()
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_with_one_plain_message(client, make_user):
    user = make_user()
    response = client.attempt_sign_in(user, "not-the-password")
    assert response.status_code == 200
    assert "The email address or password is not right" in page_text(response)
    unknown = client.attempt_sign_in("nobody@example.nhs.net")
    assert "The email address or password is not right" in page_text(unknown)
    assert client.get("/admin/").status_code == 302


def test_deactivated_account_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    response = client.attempt_sign_in(user)
    assert response.status_code == 200
    assert "not active" in page_text(response)


def test_deactivation_ends_an_open_session(client, make_user):
    user = make_user()
    client.sign_in(user)
    assert client.get("/admin/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_password_reset_ends_open_sessions(client, make_user):
    user = make_user()
    client.sign_in(user)
    user.set_password("another-long-password")
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_sign_in_form_needs_its_csrf_token(client, make_user):
    user = make_user()
    response = client.http.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_sign_out_is_a_post_with_csrf(client, make_user):
    client.sign_in(make_user())
    assert client.http.get("/logout").status_code == 405
    assert client.http.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/user/", "/admin/user/"),
        ("/admin/organisation/?search=x", "/admin/organisation/?search=x"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/", "/admin/"),
        ("/\\evil.example/", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
        ("admin/user/", "/admin/"),
        ("", "/admin/"),
    ],
)
def test_next_accepts_only_local_paths(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_next_is_followed_after_sign_in(client, make_user):
    user = make_user()
    first = client.get("/admin/organisation/")
    assert first.status_code == 302 and "/login?next=/admin/organisation/" in first.headers["Location"]
    response = client.http.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": client.csrf_token()},
    )
    assert response.headers["Location"] == "/login/code"
    assert client.answer_code(pyotp.TOTP(TOTP_SECRET).now()).headers["Location"] == "/admin/"
    client.sign_out()
    client.http.post(
        "/login?next=/admin/organisation/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": client.csrf_token()},
    )
    with time_machine.travel(utcnow() + timedelta(seconds=30)):
        assert client.answer_code(pyotp.TOTP(TOTP_SECRET).now()).headers["Location"] == "/admin/organisation/"


#: Every character a `next` may never carry: ASCII controls (0-31, 127) and the Unicode line breaks.
UNSAFE_CHARACTERS = [chr(n) for n in range(32)] + ["\x7f", "\u0085", "\u2028", "\u2029"]


def hostile_next(character: str) -> str:
    """`/login?next=` with a path that holds `character` (percent-encoded, as a link would carry it)."""
    return "/login?next=" + quote(f"/{character}//evil.example/admin/{character}x", safe="")


def test_every_control_character_and_line_separator_in_next_falls_back_to_the_home_page(client, make_user):
    """Signed in, the sign-in page sends a person on at once: the redirect must never carry the character."""
    client.sign_in(make_user())
    for character in UNSAFE_CHARACTERS:
        answer = client.get(hostile_next(character))
        assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/"), repr(character)


def test_every_control_character_in_next_is_dropped_through_both_sign_in_steps(client, make_user):
    for character in UNSAFE_CHARACTERS:
        user = make_user()  # a new account each time: a code is good once
        first = client.http.post(
            hostile_next(character), data={"email": user.email, "password": PASSWORD, "csrf_token": client.csrf_token()}
        )
        assert first.headers["Location"] == "/login/code", repr(character)
        answer = client.answer_code(pyotp.TOTP(TOTP_SECRET).now())
        assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/"), repr(character)
        client.sign_out()


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = client.sign_in(user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_is_configurable(app, another_app):
    from tests.conftest import base_config

    secure = another_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {"SESSION_COOKIE_SECURE": True})
    assert secure.config["SESSION_COOKIE_SECURE"] is True


def test_csrf_token_does_not_expire(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
