"""Every place the code builds HTML itself (`Markup`, `|safe`) is fed a hostile value: it arrives escaped.

The places, found with `grep -rn "Markup\\||safe" admin web services templates`: the patient link and column, the
priority and the acceptance gaps (formatters); the onward list's service link and its "not chased" message; the
action list's "not chased" message; the outbox's preformatted text; the audit trail's changes; the caseload board's
cells; and the list actions' confirmation data (`tojson|safe`).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from flask import render_template_string
from flask_admin import helpers

from admin.formatters import priority_column
from formats.dates import today
from models import ActionStatus, OutboxEmail, Patient, Referral, ReferralStatus, RiskBand, db
from services.referrals import record_referral
from tests.conftest import page_text

#: A value that would run if it reached the page unescaped.
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
RAW = ("<script>alert(", "<img src=x")
ESCAPED = "&lt;script&gt;alert("


def _escaped(html: str) -> bool:
    return ESCAPED in html and not any(raw in html for raw in RAW)


def _hostile_patient(create_patient) -> Patient:
    return create_patient(given_name=HOSTILE, family_name=HOSTILE)


def test_the_patient_link_and_column_escape_a_name(signed_in, create_patient, create_locality):
    patient = _hostile_patient(create_patient)
    record_referral(patient, received_on=today(), locality=create_locality(), referrer_name=HOSTILE, reason="Falls",
                    status=ReferralStatus.awaiting_triage)  # fmt: skip
    db.session.commit()
    coordinator = signed_in("coordinator")
    assert _escaped(page_text(coordinator.get("/admin/referral/")))  # patient_link
    assert _escaped(page_text(coordinator.get("/admin/triage/")))  # patient_column, priority and gaps


def test_the_priority_column_escapes_the_reasons(app):
    model = SimpleNamespace(patient=SimpleNamespace(risk_band=RiskBand.high, risk_score=9, risk_reasons=HOSTILE))
    assert _escaped(str(priority_column(None, None, model, "patient")))


def test_the_caseload_board_escapes_a_name(signed_in, create_episode, create_patient):
    coordinator = signed_in("coordinator")
    create_episode(patient=_hostile_patient(create_patient), coordinator=coordinator.user)
    assert _escaped(page_text(coordinator.get("/admin/caseload/")))


def test_the_onward_list_and_its_not_chased_message_escape_the_service(signed_in, create_onward_referral):
    referral = create_onward_referral(service=HOSTILE, referred_on=today() - timedelta(days=30))
    coordinator = signed_in("coordinator")
    assert _escaped(page_text(coordinator.get("/admin/onward-waiting/")))
    answer = coordinator.submit("/admin/onward-waiting/action/", {"action": "chase_email", "rowid": referral.id})
    shown = page_text(coordinator.get(answer.headers["Location"]))
    assert "Not chased" in shown and _escaped(shown)


def test_the_action_lists_not_chased_message_escapes_the_description(signed_in, create_action, create_patient):
    action = create_action(description=HOSTILE, patient=_hostile_patient(create_patient), status=ActionStatus.done,
                           completed_on=today())  # fmt: skip
    coordinator = signed_in("coordinator")
    answer = coordinator.submit("/admin/action/action/", {"action": "chase", "rowid": action.id})
    shown = page_text(coordinator.get(answer.headers["Location"]))
    assert "Not chased" in shown and _escaped(shown)


def test_the_outbox_escapes_the_email_text(signed_in):
    email = OutboxEmail(to_address="a@nhs.net", subject="Hello", body_text=HOSTILE, ics=HOSTILE, purpose="chase",
                        contains_patient_data=True)  # fmt: skip
    db.session.add(email)
    db.session.commit()
    assert _escaped(page_text(signed_in("coordinator").get(f"/admin/outbox_email/details/?id={email.id}")))


def test_the_audit_trail_escapes_a_changed_value(signed_in, create_patient):
    patient = create_patient()
    patient.family_name = HOSTILE
    db.session.commit()
    assert _escaped(page_text(signed_in("team_lead").get("/admin/audit/?search=&table=patient")))


def test_the_list_actions_confirmation_data_is_json_escaped(app):
    """`tojson|safe` in templates/admin/actions.html: the JSON itself escapes <, > and & for the page."""
    template = '{% import "admin/actions.html" as a with context %}{{ a.script(message, [("x", "y")], confirmations) }}'
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "action")
    with app.test_request_context("/admin/action/"):
        html = render_template_string(template, message=HOSTILE, confirmations={"x": HOSTILE}, admin_view=view,
                                      h=helpers, get_url=view.get_url, _gettext=lambda text, **_: text)  # fmt: skip
    assert "\\u003cscript\\u003e" in html and not any(raw in html for raw in RAW)


def test_a_referral_with_a_hostile_referrer_is_stored_as_typed(create_patient, create_locality):
    """The values are kept as typed: escaping happens on the page, not by changing what was recorded."""
    referral, _ = record_referral(create_patient(), received_on=today(), locality=create_locality(),
                                  referrer_name=HOSTILE, reason="Falls")  # fmt: skip
    db.session.commit()
    assert db.session.get(Referral, referral.id).referrer_name == HOSTILE
