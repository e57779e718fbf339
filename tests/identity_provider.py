"""A real OpenID Connect provider on loopback for the organisation sign-in tests: oidc-provider-mock, served in
a thread, with the people it can sign in (each one click on its page, or one POST here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import run_server_in_thread

#: The client the app is registered as (the mock accepts any client id, secret and redirect address).
CLIENT_ID = "ilr-coordinator-test"
CLIENT_SECRET = "test-client-secret"  # noqa: S105 - the loopback provider's, in tests only
ALLOWED_DOMAIN = "example.nhs.net"


@dataclass(frozen=True)
class Provider:
    issuer: str

    def config(self, **extra) -> dict:
        """The app's settings for signing in through this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ALLOWED_DOMAINS": [ALLOWED_DOMAIN],
            "OIDC_LABEL": "Sign in with NHSmail",
            **extra,
        }

    def authorise(self, authorize_url: str, subject: str) -> str:
        """The person `subject` signs in at the provider: returns the app's callback path with its code and state."""
        answer = httpx.post(authorize_url, data={"sub": subject}, follow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        return f"{back.path}?{back.query}"


def person(subject: str, email: str, *, verified: bool = True, **claims) -> ProviderUser:
    return ProviderUser(sub=subject, claims={"email": email, "email_verified": verified, **claims})


@contextmanager
def identity_provider(people: list[ProviderUser]) -> Iterator[Provider]:
    """The provider, listening on a free loopback port until the block ends. OAuth over plain http is allowed
    for it (Authlib refuses http unless AUTHLIB_INSECURE_TRANSPORT is set)."""
    before = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        with run_server_in_thread(user_claims=people, require_nonce=True) as server:
            yield Provider(f"http://localhost:{server.server_port}")
    finally:
        if before is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = before
