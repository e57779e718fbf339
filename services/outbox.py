"""Outbound email: queued in the same transaction as the change that caused it, sent later with retries."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, g
from sqlalchemy import or_, select

from models import (
    DocumentKind,
    DomainError,
    EmailAttempt,
    EmailStatus,
    Meeting,
    OutboxEmail,
    Patient,
    SecureDomain,
    db,
    utcnow,
)

#: What each kind of email (`OutboxEmail.purpose`) is called on screen; a document sent is called by its kind.
PURPOSES: dict[str, str] = {
    "availability": "Availability request",
    "invitation": "Meeting invitation",
    "cancellation": "Meeting cancellation",
    "chase": "Chase",
    "gp_feedback": "Letter to the GP",
} | {kind.value: kind.label for kind in DocumentKind}


#: Statuses of an email that failed to send: still retrying, or given up.
NOT_SENT = (EmailStatus.failed, EmailStatus.given_up)


def failed_to_send():
    """An email that failed to send (a clause on OutboxEmail): the home page's list and the outbox filter."""
    return OutboxEmail.status.in_(NOT_SENT)


def purpose_label(purpose: str | None) -> str:
    """ "Letter to the GP" for `gp_feedback`: an email's kind in words."""
    return PURPOSES.get(purpose or "", (purpose or "").replace("_", " ").capitalize())


#: Minutes to wait before each retry; after the last, the email is given up (and stays readable).
RETRY_MINUTES = (1, 5, 15, 60, 240)


def secure_domains() -> list[str]:
    """The configured allow-list (SECURE_EMAIL_DOMAINS) plus the domains the team lead has recorded as accredited
    to the NHS secure email standard (DCB1596): by domain, never by organisation."""
    if "secure_domains" not in g:  # read once per request or command, however many addresses are checked
        configured = current_app.config.get("SECURE_EMAIL_DOMAINS", ["nhs.net"])
        accredited = db.session.scalars(select(SecureDomain.domain).where(SecureDomain.archived_at.is_(None)))
        g.secure_domains = [*configured, *accredited]
    return g.secure_domains


def is_secure_address(address: str) -> bool:
    """On the allow-list: the address's domain is a listed domain or a subdomain of one."""
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return any(domain == allowed or domain.endswith("." + allowed) for allowed in secure_domains())


def queue_email(
    to: str,
    subject: str,
    body: str,
    *,
    purpose: str,
    contains_patient_data: bool,
    ics: str | None = None,
    patient: Patient | None = None,
    meeting: Meeting | None = None,
) -> OutboxEmail:
    """Write an email to the outbox (sent after commit, by `flask send-outbox`).

    Patient-identifiable email only goes to the secure-domain allow-list: anything else is refused
    here, so the change that would have caused it is refused with it.
    """
    to = (to or "").strip()
    if "@" not in to:
        raise DomainError(f"There is no valid email address for this recipient ({to or 'none'}).")
    if patient is not None and not patient.may_be_contacted:
        # DESIGN.md §3: after a death no letters or chasers go out; after consent is withdrawn, no sharing.
        raise DomainError(f"Nothing is sent about {patient}: {patient.contact_barrier}")
    if contains_patient_data and not is_secure_address(to):
        raise DomainError(
            f"{to} is not a secure address: email with patient details only goes to {', '.join(secure_domains())} "
            "addresses. Ask for the person's secure address, or share the document another way."
        )
    email = OutboxEmail(
        to_address=to,
        subject=subject,
        body_text=body,
        ics=ics,
        purpose=purpose,
        contains_patient_data=contains_patient_data,
        patient_id=patient.id if patient else None,
        meeting_id=meeting.id if meeting else None,
        next_attempt_at=utcnow(),
    )
    db.session.add(email)
    db.session.flush()
    return email


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "ilr-coordinator@localhost"
    timeout: float = 30
    #: A CA bundle for the server's certificate, when it is not signed by a public CA.
    ca_file: str | None = None

    @classmethod
    def from_environment(cls) -> SmtpSettings | None:
        """From SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS (1/0), SMTP_CA_FILE and MAIL_FROM.

        None without a host: emails then wait in the outbox.
        """
        host = os.environ.get("SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("SMTP_PORT", "587")),
            username=os.environ.get("SMTP_USERNAME"),
            password=os.environ.get("SMTP_PASSWORD"),
            starttls=os.environ.get("SMTP_STARTTLS", "1") == "1",
            sender=os.environ.get("MAIL_FROM", "ilr-coordinator@localhost"),
            ca_file=os.environ.get("SMTP_CA_FILE"),
        )


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """The MIME message: plain text, a text/calendar part (with its METHOD) for invitations, and every document."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(idstring=f"ilr-{email.id}")
    message.set_content(email.body_text)
    if email.ics:
        method = "CANCEL" if "METHOD:CANCEL" in email.ics else "REQUEST"
        message.add_alternative(email.ics, subtype="calendar", params={"method": method})
    for document in email.documents:  # the one `document`, and any further attachments
        message.add_attachment(
            document.content,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=document.filename,
        )
    return message


def _due(now):
    return (
        select(OutboxEmail)
        .where(
            OutboxEmail.status.in_([EmailStatus.pending, EmailStatus.failed]),
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        )
        .order_by(OutboxEmail.id)
        .with_for_update(skip_locked=True)  # several workers on PostgreSQL never send one email twice
    )


def send_pending(settings: SmtpSettings, limit: int = 500) -> tuple[int, int]:
    """Send what is due, one commit per email; returns (sent, failed).

    Each email is claimed while it is sent (`_due`: `FOR UPDATE SKIP LOCKED` on PostgreSQL): another server's
    sender skips it and takes the next, so two timers firing at once never send one email twice.
    """
    sent = failed = 0
    for _ in range(limit):
        now = utcnow()
        email = db.session.scalars(_due(now).limit(1)).first()
        if email is None:
            break
        try:
            _deliver(build_message(email, settings.sender), settings)
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            _record_failure(email, now, f"{type(exc).__name__}: {exc}"[:1000])
        else:
            sent += 1
            email.status, email.sent_at, email.last_error = EmailStatus.sent, now, None
            email.attempts += 1
            db.session.add(EmailAttempt(email_id=email.id, at=now, succeeded=True))
        db.session.commit()
    return sent, failed


def _record_failure(email: OutboxEmail, now, error: str) -> None:
    email.attempts += 1
    email.last_error = error
    db.session.add(EmailAttempt(email_id=email.id, at=now, succeeded=False, error=error))
    if email.attempts > len(RETRY_MINUTES):
        email.status, email.next_attempt_at = EmailStatus.given_up, None
    else:
        email.status = EmailStatus.failed
        email.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[email.attempts - 1])


def _deliver(message: EmailMessage, settings: SmtpSettings) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)
