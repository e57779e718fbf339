"""What each role's home page lists: today's work, each list a capped count and its first rows (their ids read in the
list's own index, then those rows with their patients): a fixed number of bounded queries however large the data.

Plain data: each `HomeList` has a count, its first `SHOWN` lines and a `Target` (an endpoint and its arguments) for
the list where the work is done; the count is that list's count, because both read the same rule, said once in the
service that owns it (`services.actions.overdue`, `services.caseload.patients_held_by`, ...). Row scope is
`access.row_filters`, as on every list. A coordinator's lists are about their own patients (their open caseload)
where the list they link to can say so; the team lead's about everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import contains_eager

from access import row_filters
from admin.listing import COUNT_CAP
from formats.dates import format_date, format_datetime, today
from models import (
    Action,
    CarePlan,
    CarePlanForGp,
    ContactLogEntry,
    Episode,
    OnwardReferral,
    Organisation,
    OutboxEmail,
    Referral,
    SignInAlert,
    User,
    db,
)
from services.accounts import awaiting_set_up
from services.actions import overdue
from services.caseload import held_by, review_due_before
from services.chasing import last_chases
from services.contacts import awaiting_follow_up
from services.onward import waiting_onward_referrals
from services.outbox import failed_to_send, purpose_label
from services.referrals import OPEN_STATUSES
from services.sign_in_alerts import not_closed

#: Lines shown in each list; its count and link give the rest.
SHOWN = 10


@dataclass(frozen=True)
class Target:
    """Where something is dealt with: an endpoint and its URL arguments (the page builds the address)."""

    endpoint: str
    args: dict = field(default_factory=dict)


@dataclass
class Line:
    """One row of a home list: what it is, a detail (dates, days waiting), and where to open it."""

    text: str
    detail: str = ""
    target: Target | None = None
    #: Shown as a warning (overdue, passed its cut-off).
    flagged: bool = False
    #: A button beside the line, to the same place (a partner's "Update" on their action).
    button: str = ""


@dataclass
class HomeList:
    """A home page's list: its title, the count of the list it links to, its first lines."""

    key: str
    title: str
    count: int
    lines: list[Line]
    target: Target
    #: What the list says when there is nothing to do.
    empty: str = "Nothing to do."
    #: Whether the count is the linked list's (a list of meetings is one line per locality: no count shown).
    counted: bool = True
    #: The link's words when no count is shown.
    link_text: str = ""


def capped_count(query) -> int:
    """A query's rows counted up to one past `COUNT_CAP`, as the lists count (admin/listing.py)."""
    rows = query.with_only_columns(literal(1)).order_by(None).limit(COUNT_CAP + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(rows))


def first_rows(model, status, statuses, where: list, order: list):
    """The first `SHOWN` rows of `model` in `order` whose `status` is one of `statuses`, each with its patient: one
    query, each status's rows read in its own (status, date) index order and only then merged, rather than the whole
    table walked in date order past the rows of other statuses.
    """
    parts = [
        select(model.id).where(status == value, *where).order_by(*order).limit(SHOWN).subquery() for value in statuses
    ]
    ids = union_all(*(select(part.c.id) for part in parts))
    query = select(model).join(model.patient).where(model.id.in_(ids)).order_by(*order).limit(SHOWN)
    return list(db.session.scalars(query.options(_with_patient(model))))


def first_actions(query) -> list[Action]:
    """The first `SHOWN` open actions of `query` in due order, each with its patient: read in the partial index of
    open actions (`ix_action_open_due`), not by walking a million actions, most of them done, in due order."""
    return first_with_patient(query.order_by(Action.due_on, Action.id), Action)


def _record(patient_id: int) -> Target:
    return Target("record.patient", {"patient_id": patient_id})


def _held(model, holder_id: int | None):
    """Rows about the coordinator's own patients; everything when no coordinator is named (the team lead)."""
    return [] if holder_id is None else [held_by(model.patient_id, holder_id)]


def _held_args(holder_id: int | None) -> dict:
    return {} if holder_id is None else {"flt9_coordinator_is": str(holder_id)}


# --- the coordinator's lists (the team lead's with no coordinator named) ------------------------------------------


def awaiting_triage(user: User, on: date | None = None) -> HomeList:
    """Referrals awaiting triage or more information, oldest first, with days waiting (the triage queue's rows)."""
    on = on or today()
    where, order = row_filters(Referral, user), [Referral.received_on, Referral.id]
    query = select(Referral).where(Referral.untriaged(), *where)
    lines = [
        Line(
            str(r.patient),
            f"received {format_date(r.received_on)}, {(on - r.received_on).days} days waiting ({r.status.label})",
            Target("triage.details_view", {"id": r.id}),
        )
        for r in first_rows(Referral, Referral.status, OPEN_STATUSES, where, order)
    ]
    return HomeList("triage", "Referrals awaiting triage", capped_count(query), lines, Target("triage.index_view"),
                    "No referral is waiting for triage.")  # fmt: skip


def _with_patient(model):
    return contains_eager(model.patient)


def first_with_patient(query, model) -> list:
    """The first `SHOWN` rows of `query` (a list's rows, counted without its patients), each with its patient: the
    first ids read in the list's own index, then those rows with their patients. The row scope already leaves out
    archived patients' records; a query that joined the patient to find the rows was read by PostgreSQL over every
    patient (8-25 ms a list at 100,000 patients)."""
    ids = list(db.session.scalars(query.with_only_columns(model.id).limit(SHOWN)))
    if not ids:
        return []
    return list(db.session.scalars(query.where(model.id.in_(ids)).join(model.patient).options(_with_patient(model))))


def overdue_actions(user: User, holder_id: int | None, on: date | None = None) -> HomeList:
    """Open actions past their due date, most overdue first, with when each was last chased."""
    on = on or today()
    where = [overdue(on), *row_filters(Action, user), *_held(Action, holder_id)]
    query = select(Action).where(*where)  # counted in the index of open actions alone (the row scope names patients)
    rows = first_actions(query)
    chased = last_chases([a.id for a in rows])
    lines = []
    for action in rows:
        times, last = chased.get(action.id, (0, None))
        when = f"last chased {format_datetime(last)}" if times else "not chased yet"
        detail = f"due {format_date(action.due_on)}, {(on - action.due_on).days} days overdue; {when}"
        lines.append(Line(f"{action.description} — {action.patient}", detail,
                          Target("action.details_view", {"id": action.id}), flagged=True))  # fmt: skip
    target = Target("action.index_view", {"flt0_overdue_is": "1", **_held_args(holder_id)})
    return HomeList("overdue", "Overdue actions to chase", capped_count(query), lines, target, "No action is overdue.")


def review_args(on: date | None = None) -> dict:
    """The caseload board's filter for reviews due this week (or past), as its address carries it."""
    return {"flt0_next_review_before": format_date(review_due_before(on))}


def reviews_due(user: User, holder_id: int | None, on: date | None = None) -> HomeList:
    """Open cases whose next review falls this week (or has passed), earliest first."""
    before = review_due_before(on)
    query = (
        select(Episode)
        .where(Episode.closed_on.is_(None), Episode.review_on < before, *row_filters(Episode, user))
        .where(*([] if holder_id is None else [Episode.coordinator_id == holder_id]))
        .order_by(Episode.review_on, Episode.id)
    )
    lines = [
        Line(
            str(e.patient),
            f"review {format_date(e.review_on)}",
            _record(e.patient_id),
            flagged=e.review_on < (on or today()),
        )  # fmt: skip
        for e in first_with_patient(query, Episode)
    ]
    args = {**review_args(on), "coordinator": "" if holder_id is not None else "all"}
    return HomeList("reviews", "Reviews due this week", capped_count(query), lines, Target("caseload.index_view", args),
                    "No review is due this week.")  # fmt: skip


def follow_ups(user: User, holder_id: int | None) -> HomeList:
    """Contacts awaiting a follow-up, earliest due first (`services.contacts.awaiting_follow_up`)."""
    query = awaiting_follow_up(holder_id).where(*row_filters(ContactLogEntry, user))
    lines = [
        Line(
            f"{c.with_name or c.party.label} about {c.patient}",
            f"follow up by {format_date(c.follow_up_on)}",
            _record(c.patient_id),
            flagged=c.follow_up_on < today(),
        )  # fmt: skip
        for c in first_with_patient(query, ContactLogEntry)
    ]
    target = Target("contact_log.index_view", {"flt0_awaiting_followup_is": "1", **_held_args(holder_id)})
    return HomeList("follow_ups", "Contacts awaiting follow-up", capped_count(query), lines, target,
                    "No contact is awaiting a follow-up.")  # fmt: skip


def onward_waiting(user: User, holder_id: int | None, on: date | None = None) -> HomeList:
    """Onward referrals still waiting for the service's answer, longest waiting first."""
    on = on or today()
    base = select(OnwardReferral).where(*row_filters(OnwardReferral, user), *_held(OnwardReferral, holder_id))
    query = waiting_onward_referrals(base).order_by(OnwardReferral.referred_on, OnwardReferral.id)
    lines = [
        Line(f"{o.service} — {o.patient}", f"referred {format_date(o.referred_on)}, "
             f"{(on - o.referred_on).days} days waiting", Target("onward_referral.details_view", {"id": o.id}))
        for o in first_with_patient(query, OnwardReferral)
    ]  # fmt: skip
    return HomeList("onward", "Onward referrals waiting longest", capped_count(query), lines,
                    Target("onward_waiting.index_view", _held_args(holder_id)),
                    "No onward referral is waiting for an answer.")  # fmt: skip


def plans_for_the_gp(user: User, holder_id: int | None) -> HomeList:
    """Agreed care plans not yet shared with the patient's GP practice, oldest first: counted and ordered among the
    few kept waiting (`services.plans_for_the_gp`), then the first plans read by id."""
    waiting = select(CarePlanForGp).where(*_held(CarePlanForGp, holder_id))
    order = (CarePlanForGp.agreed_on, CarePlanForGp.care_plan_id)
    first = waiting.with_only_columns(CarePlanForGp.care_plan_id, func.count().over()).order_by(*order).limit(SHOWN)
    found = db.session.execute(first).all()
    plans = (
        select(CarePlan)
        .join(CarePlan.patient)
        .where(CarePlan.id.in_([row[0] for row in found]), *row_filters(CarePlan, user))
        .order_by(CarePlan.agreed_on, CarePlan.id)
        .options(_with_patient(CarePlan))
    )
    lines = [
        Line(
            str(p.patient),
            f"version {p.number} agreed {format_date(p.agreed_on)}",
            Target("care_plan_page.patient", {"patient_id": p.patient_id}),
        )  # fmt: skip
        for p in (db.session.scalars(plans) if found else [])
    ]
    target = Target("care_plan.index_view", {"flt0_waiting_to_go_to_the_gp_is": "1", **_held_args(holder_id)})
    return HomeList("gp", "Care plans agreed, not yet shared with the GP", found[0][-1] if found else 0, lines,
                    target, "Every agreed care plan has gone to the GP.")  # fmt: skip


def failed_emails(user: User) -> HomeList:
    """Emails that failed to send (retrying, or given up), newest first."""
    query = (
        select(OutboxEmail)
        .where(failed_to_send(), *row_filters(OutboxEmail, user))
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    )
    lines = [
        Line(
            f"{purpose_label(e.purpose)} to {e.to_address}",
            f"{e.status.label}, queued {format_datetime(e.created_at)}",
            Target("outbox_email.details_view", {"id": e.id}),
            flagged=True,
        )  # fmt: skip
        for e in db.session.scalars(query.limit(SHOWN))
    ]
    return HomeList("emails", "Emails that failed to send", capped_count(query), lines,
                    Target("outbox_email.index_view", {"flt0_failed_to_send_is": "1"}),
                    "Every email has gone.")  # fmt: skip


# --- the team lead's own ---------------------------------------------------------------------------------------


def sign_in_alerts(user: User) -> HomeList:
    query = (
        select(SignInAlert)
        .join(SignInAlert.user)
        .where(not_closed())
        .order_by(SignInAlert.created_at.desc(), SignInAlert.id.desc())
    )
    lines = [
        Line(
            a.user.name,
            f"{a.failures} failed sign-ins, {format_datetime(a.created_at)}",
            Target("sign_in_alert.details_view", {"id": a.id}),
            flagged=True,
        )  # fmt: skip
        for a in db.session.scalars(query.options(_with_user()).limit(SHOWN))
    ]
    return HomeList("alerts", "Sign-in alerts", capped_count(query), lines,
                    Target("sign_in_alert.index_view", {"flt0_open_is": "1"}), "No sign-in alert is open.")  # fmt: skip


def _with_user():
    return contains_eager(SignInAlert.user)


def accounts_to_set_up(user: User) -> HomeList:
    query = select(User).where(awaiting_set_up()).order_by(User.created_at, User.id)
    lines = [
        Line(u.name, f"{u.role.label}, added {format_date(u.created_at)}", Target("user.details_view", {"id": u.id}))
        for u in db.session.scalars(query.limit(SHOWN))
    ]
    return HomeList("accounts", "Accounts awaiting set-up", capped_count(query), lines,
                    Target("user.index_view", {"flt0_awaiting_setup_is": "1"}),
                    "Everyone has signed in.")  # fmt: skip


# --- a partner's -----------------------------------------------------------------------------------------------


def partner_actions(user: User, on: date | None = None) -> HomeList:
    """The partner's organisation's open actions, overdue first (the action list's rows, opened to update)."""
    on = on or today()
    where = row_filters(Action, user)
    query = select(Action).where(Action.still_open(), *where)
    lines = [
        Line(
            f"{a.description} — {a.patient}",
            f"due {format_date(a.due_on)}" + (", overdue" if a.due_on < on else "") + f" ({a.status.label})",
            Target("action.details_view", {"id": a.id}),
            flagged=a.due_on < on,
            button="Update",
        )  # fmt: skip
        for a in first_actions(query)
    ]
    organisation = db.session.get(Organisation, user.organisation_id)
    return HomeList("partner_actions", f"Open actions for {organisation.name}", capped_count(query), lines,
                    Target("action.index_view"), "Your organisation has no open action.")  # fmt: skip
