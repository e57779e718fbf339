"""Signing in with the organisation's account (OpenID Connect: NHSmail, Microsoft Entra ID).

Configured by environment (app.py): OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ALLOWED_DOMAINS,
OIDC_TRUSTS_MFA and OIDC_LABEL. Signing in never creates an account: the team lead opens accounts. The first
sign-in matches the provider's verified email to an active account and binds the provider's (issuer,
subject) to it; later sign-ins match on that pair only, never on email alone (an address can be reissued).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from models import AuditAction, DomainError, User, db
from services import audit
from services.sessions import end_all_sessions


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...]
    #: The provider's own MFA is taken as the second factor (Entra v2 tokens carry no `amr` to check).
    trusts_mfa: bool
    #: The provider marks every address it gives as verified (an organisation's own directory).
    emails_verified: bool
    label: str

    @classmethod
    def current(cls) -> ProviderSettings | None:
        """The configured provider, or None when organisation sign-in is off."""
        config = current_app.config
        if not config.get("OIDC_ISSUER"):
            return None
        return cls(
            issuer=config["OIDC_ISSUER"].rstrip("/"),
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config.get("OIDC_CLIENT_SECRET") or "",
            allowed_domains=tuple(config.get("OIDC_ALLOWED_DOMAINS") or ()),
            trusts_mfa=bool(config.get("OIDC_TRUSTS_MFA")),
            emails_verified=bool(config.get("OIDC_EMAILS_VERIFIED")),
            label=config.get("OIDC_LABEL") or "Sign in with your organisation's account",
        )

    def allows(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return any(domain == allowed or domain.endswith("." + allowed) for allowed in self.allowed_domains)


#: One answer for every refusal that could tell someone which accounts exist.
NO_ACCOUNT = (
    "Your organisation signed you in, but there is no active ILR Coordinator account for you. "
    "Ask the ILR team lead to open one with your work email address."
)


def account_for_identity(settings: ProviderSettings, claims: dict) -> tuple[User, tuple[str, str] | None]:
    """The account the provider's verified ID token names: by (issuer, subject) when bound, else by verified
    email within the allowed domains. Returns it with the (issuer, subject) to bind once the sign-in is finished
    (None when bound already): an unfinished sign-in binds nothing. Refusals are in words; nothing is written."""
    issuer, subject = str(claims.get("iss") or "").rstrip("/"), str(claims.get("sub") or "")
    if not subject or issuer != settings.issuer:
        raise DomainError("The sign-in came back from an identity provider this service does not use.")
    bound = db.session.scalars(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)).first()
    if bound is not None:
        if not bound.is_active:
            raise DomainError(NO_ACCOUNT)
        return bound, None
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise DomainError("Your organisation's sign-in did not give an email address, so no account can be matched.")
    if not settings.allows(email):
        raise DomainError(
            f"Addresses at {email.rpartition('@')[2]} cannot sign in here with the organisation's account. "
            "Sign in with your email and password instead."
        )
    if not (claims.get("email_verified") is True or settings.emails_verified):
        raise DomainError("Your organisation has not confirmed this email address, so no account can be matched.")
    user = db.session.scalars(select(User).where(func.lower(User.email) == email, User.active.is_(True))).first()
    if user is None:
        raise DomainError(NO_ACCOUNT)
    if user.oidc_subject is not None:
        raise DomainError(LINKED_ELSEWHERE)
    return user, (issuer, subject)


#: The refusal when an account is bound to another person at the provider.
LINKED_ELSEWHERE = (
    "This account is linked to another sign-in at your organisation. Ask the ILR team lead to check it "
    "(they can unlink it on the accounts screen)."
)


def link_identity(user: User, issuer: str, subject: str) -> None:
    """Bind the provider's (issuer, subject) to the account, as a sign-in through it finishes (audited)."""
    if user.oidc_subject is not None:
        if (user.oidc_issuer, user.oidc_subject) == (issuer, subject):
            return
        raise DomainError(LINKED_ELSEWHERE)
    user.oidc_issuer, user.oidc_subject = issuer, subject
    audit.record(AuditAction.identity_linked, table="user_account", record_id=user.id, user_id=user.id,
                 detail=f"issuer={issuer}")  # fmt: skip
    db.session.flush()


def unlink_identity(user: User, by: User) -> None:
    """Forget the account's organisation sign-in (a wrong link, a reissued address): its sessions end, and the
    next sign-in through the provider matches by email again."""
    if user.oidc_subject is None:
        raise DomainError(f"{user.name} has no organisation sign-in linked.")
    with audit.reason(f"Organisation sign-in unlinked by {by.name}"):
        user.oidc_issuer = user.oidc_subject = None
        end_all_sessions(user, "organisation sign-in unlinked")
        db.session.flush()


def record_refused_identity(claims: dict, why: str) -> None:
    """A refused organisation sign-in, in the trail (the email the provider gave, if any)."""
    email = str(claims.get("email") or "").strip().lower()
    # Not "email=…": that is the password throttle's key, and a stranger's refusals must not slow the owner.
    audit.record(AuditAction.sign_in_failed, detail=f"organisation email={email}" if email else "organisation sign-in",
                 reason=why[:1000])  # fmt: skip
