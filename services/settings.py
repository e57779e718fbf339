"""Team-lead settings, stored as JSON in the Setting table: one typed way to read and write them."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Setting, User, db
from services import audit

#: The risk rule's points and band limits, over `risk.DEFAULTS` (a dict).
RISK_POINTS = "risk_rule"
#: Working days before a meeting after which an agenda addition counts as late (an int).
AGENDA_CUTOFF = "agenda_cutoff_working_days"

#: Days before an overdue action is chased again by the daily job (an int).
CHASE_INTERVAL = "chase_interval_days"

#: Minutes without a request after which a session ends (an int).
IDLE_MINUTES = "session_idle_minutes"
#: Hours after signing in after which a session ends whatever happens (an int).
ABSOLUTE_HOURS = "session_absolute_hours"

#: KPI: an agency attending fewer of the period's meetings than this (a percentage) is highlighted.
ATTENDANCE_THRESHOLD = "attendance_threshold_percent"
#: KPI: working days after a patient's first discussion within which the care plan should reach the GP.
CARE_PLAN_SHARE_DAYS = "care_plan_share_working_days"

#: Case finding: a patient discussed at a meeting in this many months is left off the case-finding list (an int).
CASE_FINDING_MONTHS = "case_finding_not_discussed_months"

#: What each setting is called, on the settings form and in the audit trail.
LABELS: dict[str, str] = {
    RISK_POINTS: "Risk rule: points and bands",
    AGENDA_CUTOFF: "Agenda cut-off (working days before the meeting)",
    CHASE_INTERVAL: "Chase overdue actions again after (days)",
    IDLE_MINUTES: "Sign out after this many minutes without use",
    ABSOLUTE_HOURS: "Sign out this many hours after signing in, whatever happens",
    ATTENDANCE_THRESHOLD: "Attendance threshold (% of meetings an agency was invited to)",
    CARE_PLAN_SHARE_DAYS: "Care plan to the GP within (working days of the first discussion)",
    CASE_FINDING_MONTHS: "Case finding: leave off people discussed in the last (months)",
}

DEFAULTS: dict[str, object] = {
    RISK_POINTS: {},
    AGENDA_CUTOFF: 2,
    CHASE_INTERVAL: 7,
    IDLE_MINUTES: 30,
    ABSOLUTE_HOURS: 12,
    ATTENDANCE_THRESHOLD: 75,
    CARE_PLAN_SHARE_DAYS: 5,
    CASE_FINDING_MONTHS: 6,
}


def get_setting(key: str, session: Session | None = None):
    """The stored value, or the default when the team lead has not set one."""
    value = _stored(session or db.session()).get(key)
    return json.loads(value) if value is not None else DEFAULTS[key]


def _stored(session: Session) -> dict[str, str]:
    """{key: JSON} of every stored setting, read in one query once a transaction and kept with it: a page reads
    several (every request its session timeouts, the home page each meeting's agenda cut-off), and a setting the
    team lead has never set is not in the table, so a look-up by key could not be answered from the session's own
    map. A new transaction (the next request, or after a commit) reads them afresh; `set_setting` keeps it true."""
    held = session.info.get("settings")
    if held is None or held[0] is not session.get_transaction():
        values = dict(session.execute(select(Setting.key, Setting.value)).all())
        held = session.info["settings"] = (session.get_transaction(), values)
    return held[1]


def set_setting(key: str, value, by: User, session: Session | None = None) -> None:
    """Store a value (audited with who changed it)."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    session = session or db.session()
    row = session.get(Setting, key) or Setting(key=key)
    text = json.dumps(value, sort_keys=True)
    if row.value != text:
        with audit.reason(f"Settings changed by {by.name}", session):
            row.value, row.updated_by_id = text, by.id
            session.add(row)
            session.flush()
            _stored(session)[key] = text
