"""What the tool keeps: generated documents, sent emails, availability polls, settings, sessions, a sign-in alert,
the letterhead, the audit entry."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from datetime import date, timedelta

from demo.context import Context, Locality
from exports import word
from models import (
    AuditAction,
    AuditEntry,
    AvailabilityPoll,
    BaseDocument,
    DocumentKind,
    EmailAttempt,
    EmailStatus,
    FormToken,
    GeneratedDocument,
    MeetingStatus,
    OutboxEmail,
    PollInvitation,
    PollSlot,
    PollStatus,
    Setting,
    SignInAlert,
    SignInMethod,
    UserSession,
    db,
)
from services import risk
from services.settings import AGENDA_CUTOFF, CHASE_INTERVAL, RISK_POINTS
from services.settings import DEFAULTS as SETTING_DEFAULTS
from services.sign_in_alerts import ALERT_AFTER_FAILURES

REJECTED = "550 5.1.1 Recipient address rejected"


def seed_system_records(ctx: Context) -> None:
    """A few sent emails and generated documents, availability polls, default settings, the team's last sessions
    and one audit entry."""
    rows = ctx.rows
    for loc in ctx.localities:
        _documents(ctx, loc)
        if loc.meeting_ids:
            upcoming = [i for i, s in enumerate(loc.meeting_status) if s == MeetingStatus.booked][:1]
            for index in upcoming:
                for contact_email in ("coordinator@ilr-demo.nhs.net", "lead@ilr-demo.nhs.net"):
                    sent_email(
                        ctx,
                        f"Invitation: {loc.name} Integrated Locality Review",
                        contact_email,
                        "invitation",
                        loc.meeting_days[index] - timedelta(days=20),
                        loc.meeting_ids[index],
                        False,
                    )
        _poll(ctx, loc)
    sent_email(
        ctx,
        "Action overdue: please update",
        "nobody@unreachable.example.org",
        "chase",
        ctx.today - timedelta(days=3),
        None,
        False,
        failed=True,
    )
    # The defaults are stored, not left implicit, so the settings page shows every value the demo runs on.
    stored = {RISK_POINTS: risk.DEFAULTS} | {key: SETTING_DEFAULTS[key] for key in (AGENDA_CUTOFF, CHASE_INTERVAL)}
    for key, value in stored.items():
        if db.session.get(Setting, key) is None:
            rows.add(Setting, key=key, value=json.dumps(value), updated_by_id=ctx.lead_id, **ctx.stamp(ctx.start))
    _sessions(ctx)
    _sign_in_alert(ctx)
    rows.flush()
    # Core inserts bypass the audit listener: one entry says what was loaded instead of a million.
    rows.add(
        AuditEntry,
        id=rows.next_id(AuditEntry),
        at=ctx.now,
        user_id=None,
        action=AuditAction.create,
        detail=f"Synthetic demo data loaded by flask seed-demo ({ctx.n} patients); "
        "bulk rows are not audited one by one.",
    )
    _letterhead(ctx)
    # A create form saved once: its token used up.
    rows.add(FormToken, id=rows.next_id(FormToken), token=secrets.token_urlsafe(32), used_at=ctx.now)


def _letterhead(ctx: Context) -> None:
    """The team's letterhead as the lead uploaded it: the tool's own A4 page with its header, so the demo's
    documents look as they would without one."""
    letterhead = word.new_document("Demo ILR team letterhead")
    for paragraph in letterhead.paragraphs:  # a letterhead is its page, header and styles: the body starts empty
        paragraph._element.getparent().remove(paragraph._element)
    buffer = io.BytesIO()
    letterhead.save(buffer)
    content = buffer.getvalue()
    ctx.rows.add(
        BaseDocument,
        id=ctx.rows.next_id(BaseDocument),
        filename="demo-ilr-letterhead.docx",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=ctx.lead_id,
        content=content,
        **ctx.stamp(ctx.start),
    )


def _sessions(ctx: Context) -> None:
    """The lead's and each coordinator's last session, signed out: from documentation addresses (RFC 5737)."""
    for n, user_id in enumerate([ctx.lead_id, *ctx.coordinators]):
        started = ctx.at(ctx.today - timedelta(days=1))
        ctx.rows.add(
            UserSession,
            id=ctx.rows.next_id(UserSession),
            key=secrets.token_urlsafe(32),
            user_id=user_id,
            created_at=started,
            last_seen_at=started + timedelta(minutes=40),
            address=f"203.0.113.{10 + n}",
            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/130.0",
            method=SignInMethod.password,
            ended_at=started + timedelta(minutes=45),
            ended_reason="signed out",
        )


def _sign_in_alert(ctx: Context) -> None:
    """A sign-in alert the lead looked into and closed last month: someone guessed at a coordinator's password."""
    raised = ctx.at(ctx.today - timedelta(days=30))
    ctx.rows.add(
        SignInAlert,
        id=ctx.rows.next_id(SignInAlert),
        user_id=ctx.coordinators[-1],
        failures=ALERT_AFTER_FAILURES,
        addresses=12,
        closed_at=raised + timedelta(hours=3),
        closed_by_id=ctx.lead_id,
        created_at=raised,
        updated_at=raised + timedelta(hours=3),
    )


def _documents(ctx: Context, loc: Locality) -> None:
    """The agenda and minutes of the locality's last three held meetings, each emailed to the lead."""
    held = [i for i, s in enumerate(loc.meeting_status) if s == MeetingStatus.held][-3:]
    for index in held:
        meeting_id, day = loc.meeting_ids[index], loc.meeting_days[index]
        for kind in (DocumentKind.agenda, DocumentKind.minutes):
            doc_id = ctx.rows.next_id(GeneratedDocument)
            # Recorded, as every generated document is; the bytes are not kept for demo rows.
            ctx.rows.add(
                GeneratedDocument,
                id=doc_id,
                kind=kind,
                filename=f"{kind.value}-{loc.name.lower().replace(' ', '-')}-{day:%Y-%m-%d}.docx",
                generated_by_id=loc.coordinator_id,
                meeting_id=meeting_id,
                **ctx.stamp(day),
            )
            sent_email(
                ctx,
                f"ILR {kind.label.lower()}: {loc.name}, {day:%d/%m/%Y}",
                "lead@ilr-demo.nhs.net",
                kind.value,
                day,
                meeting_id,
                True,
                doc_id,
            )


def sent_email(
    ctx: Context,
    subject: str,
    to: str,
    purpose: str,
    day: date,
    meeting_id: int | None,
    patient_data: bool,
    document_id: int | None = None,
    failed: bool = False,
    patient_id: int | None = None,
) -> int:
    """An email already sent (or given up), its id: nothing here is waiting for `flask send-outbox`."""
    rows = ctx.rows
    email_id = rows.next_id(OutboxEmail)
    sent_at = ctx.at(min(day, ctx.today))
    attempts = 5 if failed else 1
    rows.add(
        OutboxEmail,
        id=email_id,
        to_address=to,
        subject=subject,
        body_text=f"{subject}\n\nThis is synthetic demo data.\n\nILR Coordinator",
        contains_patient_data=patient_data,
        status=EmailStatus.given_up if failed else EmailStatus.sent,
        attempts=attempts,
        last_error=REJECTED if failed else None,
        next_attempt_at=None,
        sent_at=None if failed else min(sent_at, ctx.now),
        meeting_id=meeting_id,
        purpose=purpose,
        document_id=document_id,
        patient_id=patient_id,
        **ctx.stamp(min(day, ctx.today)),
    )
    for n in range(attempts):
        rows.add(
            EmailAttempt,
            id=rows.next_id(EmailAttempt),
            email_id=email_id,
            at=min(sent_at + timedelta(minutes=n * 20), ctx.now),
            succeeded=not failed,
            error=REJECTED if failed else None,
        )
    return email_id


def _poll(ctx: Context, loc: Locality) -> None:
    """An open availability poll for an extra complex-case meeting, some members already answered."""
    rng, rows = ctx.rng, ctx.rows
    opened_on = ctx.today - timedelta(days=2)
    poll_id = rows.next_id(AvailabilityPoll)
    rows.add(
        AvailabilityPoll,
        id=poll_id,
        locality_id=loc.id,
        title=f"{loc.name}: extra complex-case review",
        duration_minutes=90,
        closes_at=ctx.now + timedelta(days=7),
        status=PollStatus.open,
        created_by_id=loc.coordinator_id,
        **ctx.stamp(opened_on),
    )
    slot_ids = []
    for day in ctx.working_days_from(ctx.today + timedelta(days=21), 3):  # no weekend or bank holiday offered
        slot_ids.append(rows.next_id(PollSlot))
        rows.add(PollSlot, id=slot_ids[-1], poll_id=poll_id, starts_at=ctx.at(day, 14, 0), **ctx.stamp(opened_on))
    for contact_id, _, _ in loc.members:
        answered = rng.random() < 0.5
        rows.add(
            PollInvitation,
            id=rows.next_id(PollInvitation),
            poll_id=poll_id,
            contact_id=contact_id,
            token=secrets.token_urlsafe(24),
            sent_count=1,
            available_slot_ids=",".join(str(s) for s in slot_ids if rng.random() < 0.6) if answered else None,
            answered_at=ctx.now - timedelta(hours=rng.randint(1, 40)) if answered else None,
            **ctx.stamp(opened_on),
        )
