"""The outbox: queued with the change that caused it, sent through a real SMTP server with STARTTLS,
retried after a failure; patient data only to the secure-domain allow-list."""

from __future__ import annotations

import socket
import ssl
import subprocess
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from models import DomainError, EmailAttempt, EmailStatus, Organisation, OrganisationType, OutboxEmail, db, utcnow
from services.outbox import SmtpSettings, is_secure_address, queue_email, send_pending


class Recorder:
    """An SMTP handler that keeps what it receives and can refuse the first N messages."""

    def __init__(self, refuse_first: int = 0):
        self.messages: list = []
        self.refuse = refuse_first

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def smtp_server(tls_files):
    """A real SMTP server on 127.0.0.1 that requires STARTTLS."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    started = []

    def start(refuse_first: int = 0):
        handler = Recorder(refuse_first)
        controller = Controller(
            handler, hostname="127.0.0.1", port=_free_port(), tls_context=context, require_starttls=True
        )
        controller.start()
        started.append(controller)
        return handler, SmtpSettings(
            host="127.0.0.1",
            port=controller.port,
            starttls=True,
            ca_file=str(cert),
            sender="ilr@example.nhs.net",
            timeout=5,
        )

    yield start
    for controller in started:
        controller.stop()


def test_pending_email_is_delivered_over_starttls(app, smtp_server):
    handler, settings = smtp_server()
    queue_email("gp@nhs.net", "Minutes", "The minutes are attached.", purpose="minutes", contains_patient_data=True)
    db.session.commit()
    assert send_pending(settings) == (1, 0)
    [message] = handler.messages
    assert message["To"] == "gp@nhs.net" and message["Subject"] == "Minutes"
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert email.status == EmailStatus.sent and email.sent_at is not None
    assert [a.succeeded for a in db.session.scalars(db.select(EmailAttempt))] == [True]


def test_a_failure_is_retried_with_back_off_then_sent(app, smtp_server):
    handler, settings = smtp_server(refuse_first=1)
    queue_email("member@nhs.net", "Availability", "Tick the times", purpose="availability", contains_patient_data=False)
    db.session.commit()
    assert send_pending(settings) == (0, 1)
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert email.status == EmailStatus.failed and "451" in email.last_error
    assert email.next_attempt_at > utcnow()
    assert send_pending(settings) == (0, 0)  # not due yet: nothing is tried
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_pending(settings) == (1, 0)
    assert len(handler.messages) == 1
    assert [a.succeeded for a in db.session.scalars(db.select(EmailAttempt).order_by(EmailAttempt.id))] == [False, True]


def test_an_unreachable_server_is_a_failure_not_a_crash(app):
    queue_email("member@nhs.net", "Hello", "Body", purpose="availability", contains_patient_data=False)
    db.session.commit()
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), starttls=False, timeout=2)
    assert send_pending(settings) == (0, 1)
    assert db.session.scalars(db.select(OutboxEmail)).one().status == EmailStatus.failed


def test_gives_up_after_the_last_retry(app, monkeypatch):
    from services import outbox

    monkeypatch.setattr(outbox, "RETRY_MINUTES", (0,))
    queue_email("member@nhs.net", "Hello", "Body", purpose="availability", contains_patient_data=False)
    db.session.commit()
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), starttls=False, timeout=2)
    send_pending(settings)
    send_pending(settings)
    assert db.session.scalars(db.select(OutboxEmail)).one().status == EmailStatus.given_up


def test_email_and_the_change_that_caused_it_commit_together(app):
    org = Organisation(name="Together", type=OrganisationType.other)
    db.session.add(org)
    queue_email("x@nhs.net", "About the change", "Body", purpose="chase", contains_patient_data=False)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0
    assert (
        db.session.scalar(db.select(db.func.count()).select_from(Organisation).where(Organisation.name == "Together"))
        == 0
    )


def test_patient_data_is_refused_outside_the_allow_list(app):
    with pytest.raises(DomainError, match="not a secure address"):
        queue_email("someone@gmail.com", "Minutes", "Patient details", purpose="minutes", contains_patient_data=True)
    queue_email(
        "someone@gmail.com", "Availability", "No patient data", purpose="availability", contains_patient_data=False
    )


@pytest.mark.parametrize(
    "address, secure",
    [
        ("gp@nhs.net", True),
        ("GP@NHS.NET", True),
        ("x@kent.nhs.net", True),
        ("x@fakenhs.net", False),
        ("x@nhs.net.evil.com", False),
    ],
)
def test_allow_list_matches_domains_and_subdomains(app, address, secure):
    assert is_secure_address(address) is secure


def test_without_smtp_the_emails_wait_and_are_counted(app, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    queue_email("x@nhs.net", "Waiting", "Body", purpose="chase", contains_patient_data=False)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert "1 email waits in the outbox" in result.output


@pytest.mark.parametrize("event", ["date_of_death", "consent_withdrawn_on"])
def test_nothing_is_sent_about_a_patient_who_died_or_withdrew_consent(app, event):
    from datetime import date

    from models import Patient

    patient = Patient(given_name="A", family_name="B", date_of_birth=date(1940, 1, 1))
    setattr(patient, event, date(2026, 11, 1))
    db.session.add(patient)
    db.session.flush()
    with pytest.raises(DomainError, match="Nothing is sent about"):
        queue_email(
            "gp@nhs.net", "Chaser", "About the patient", purpose="chase", contains_patient_data=True, patient=patient
        )
