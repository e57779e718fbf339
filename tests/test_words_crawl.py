"""The app's own words on every page: signed in as each role, every page the role may open (every GET route of
tests/policy.py, on demo data so lists and records show rows) is read for Flask-Admin's default strings, raw
date-times, a file's bytes and "(s)" after a word."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

import demo
from access import row_filters
from models import (
    Action,
    ActionChase,
    AgendaItem,
    Attendance,
    AuditAction,
    AuditEntry,
    AvailabilityPoll,
    CarePlan,
    CarePlanShare,
    CollatedNote,
    Contact,
    ContactLogEntry,
    DirectoryService,
    Episode,
    GeneratedDocument,
    Goal,
    HospitalEvent,
    ListImport,
    Locality,
    Meeting,
    MeetingMember,
    MeetingStatus,
    OnwardReferral,
    Organisation,
    OutboxEmail,
    Patient,
    PollInvitation,
    PollSlot,
    Referral,
    SafeguardingConcern,
    SecureDomain,
    SignInAlert,
    Signposting,
    TriageDecision,
    User,
    UserSession,
    db,
)
from services import polls
from services.chasing import update_link
from tests.conftest import Client
from tests.policy import ANONYMOUS, CALLERS, POLICY

#: Flask-Admin's own words: none may appear anywhere on a page (its text, its attributes, its data for scripts).
FRAMEWORK_STRINGS = (
    "Please select model",
    "Record was successfully created",
    "Record was successfully saved",
    "Invalid Filter Value",
    "Save and Add Another",
    "Save and Continue Editing",
    "List (",
)
#: What a person must never read: a raw date-time, a file's bytes, "(s)" after a word.
UNREADABLE = {
    "a raw date-time": re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"),
    "a file's bytes": re.compile(r"b'PK|b'\\x"),
    '"(s)" after a word': re.compile(r"\w\(s\)"),
}
_HIDDEN = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<template\b.*?</template>|<[^>]+>", re.S | re.I)

#: The record each name in tests/policy.py stands for (the newest the role may see).
RECORDS = {
    "organisation": Organisation, "user": User, "patient": Patient, "referral": Referral, "poll": AvailabilityPoll,
    "invitation": PollInvitation, "slot": PollSlot, "episode": Episode, "item": AgendaItem, "locality": Locality,
    "contact": Contact, "hospital_event": HospitalEvent, "collated_note": CollatedNote,
    "triage_decision": TriageDecision, "meeting_member": MeetingMember, "attendance": Attendance, "action": Action,
    "action_chase": ActionChase, "care_plan": CarePlan, "goal": Goal, "care_plan_share": CarePlanShare,
    "onward_referral": OnwardReferral, "safeguarding_concern": SafeguardingConcern, "outbox_email": OutboxEmail,
    "generated_document": GeneratedDocument, "user_session": UserSession, "secure_domain": SecureDomain,
    "directory_service": DirectoryService, "contact_log": ContactLogEntry, "sign_in_alert": SignInAlert,
    "signposting": Signposting, "spare_goal": Goal, "list_import": ListImport,
}  # fmt: skip
#: More pages than one per route: lists as people use them (filtered, searched, refused), the figures' records.
EXTRA_PAGES = {
    "team_lead": [
        "/admin/audit/?flt0_patient_name_or_nhs_number=a",
        "/admin/audit/?flt0_kind_of_record_is=generated_document",
        "/admin/audit/?flt0_when_on=not-a-date",
        "/admin/audit/?page=1",
        "/admin/kpis/records?drill=actions_due&period=last_year",
        "/admin/kpis/records?drill=agency_meetings&period=last_year",
        "/admin/kpis/records?drill=signposting&period=last_year",
        "/admin/kpis/?period=last_year",
    ],
    "coordinator": [
        "/admin/referral/?flt0_received_equals=not-a-date",
        "/admin/action/?flt0_overdue_is=1",
        "/admin/outbox_email/",
        "/admin/onward-waiting/",
    ],
}


def visible_text(page: str) -> str:
    """What a person reads: the page without its scripts, styles and tags (so no attribute, and no value of a
    date input), entities decoded."""
    return html.unescape(_HIDDEN.sub(" ", page))


def findings(url: str, page: str) -> list[str]:
    found = [f"{url}: Flask-Admin's {s!r}" for s in FRAMEWORK_STRINGS if s in html.unescape(page)]
    text = visible_text(page)
    for what, pattern in UNREADABLE.items():
        for match in pattern.finditer(text):
            shown = " ".join(text[max(0, match.start() - 60) : match.end() + 30].split())
            found.append(f"{url}: {what}: …{shown}…")
            break
    return found


def _meeting(user: User) -> Meeting:
    """A held meeting with cases (the richest pages), within the user's scope."""
    query = select(Meeting).where(*row_filters(Meeting, user), Meeting.status == MeetingStatus.held)
    return db.session.scalars(query.where(Meeting.agenda.any()).order_by(Meeting.starts_at.desc())).first()


def ids_for(user: User) -> dict[str, int | str]:
    """Each record name of tests/policy.py as the id of the newest such record the user may see."""
    ids: dict[str, int | str] = {}
    for name, model in RECORDS.items():
        found = db.session.scalar(select(model.id).where(*row_filters(model, user)).order_by(model.id.desc()).limit(1))
        ids[name] = found if found is not None else 0
    meeting = _meeting(user)
    if meeting is not None:
        ids["meeting"], ids["item"] = meeting.id, meeting.agenda[0].id
    invitation = db.session.get(PollInvitation, ids["invitation"])
    chase = db.session.get(ActionChase, ids["action_chase"])
    ids["poll_token"] = polls.link_token(invitation) if invitation else "none"
    ids["chase_token"] = update_link(chase).rsplit("/", 1)[-1] if chase else "none"
    ids["audit"] = db.session.scalar(select(AuditEntry.id).where(AuditEntry.table_name == "generated_document"))
    return ids


def pages_for(app, caller: str, ids: dict) -> list[str]:
    """Every GET route the policy lets the role open, with the ids filled in; then the extra pages."""
    urls = []
    for rule in app.url_map.iter_rules():
        call = POLICY.get((rule.endpoint, "GET"))
        if "GET" not in rule.methods or call is None or caller not in call.allowed or call.ends_session:
            continue
        if call.sign_in_step or rule.endpoint in ("static", "admin.static"):
            continue
        values = {key: str(value).format_map(ids) for key, value in call.values.items()}
        built = rule.build(values, append_unknown=True)
        if built is not None:
            urls.append(built[1])
    return sorted(set(urls)) + EXTRA_PAGES.get(caller, [])


@pytest.fixture
def demo_data(app):
    """The demo data (every kind of record), a document made through the app, a change through a form, and an
    audit entry as the trail wrote them before it kept files by kind and size (the bytes as Python wrote them)."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--patients", "40"])
    assert result.exit_code == 0, result.output
    lead = Client(app.test_client())
    lead.sign_in(_account("team_lead"), demo.DEMO_PASSWORD)
    meeting = _meeting(_account("team_lead"))
    assert lead.get(f"/admin/meeting-room/{meeting.id}/document/minutes").status_code == 200
    content = db.session.scalars(
        select(GeneratedDocument.content).where(GeneratedDocument.content.is_not(None))
    ).first()
    old = {"content": [None, str(content)], "filename": [None, "minutes.docx"]}
    db.session.add(AuditEntry(action=AuditAction.create, table_name="generated_document", record_id=1,
                              changes=json.dumps(old, default=str)))  # fmt: skip
    db.session.add(SignInAlert(user=_account("coordinator"), failures=31, addresses=4))
    db.session.commit()
    return lead


def _account(role: str) -> User:
    email = next(email for email, _, account_role, _ in demo.DEMO_ACCOUNTS if account_role.value == role)
    return db.session.scalar(select(User).where(User.email == email))


@pytest.mark.parametrize("caller", CALLERS)
def test_every_page_each_role_may_open_is_in_the_apps_own_words(app, demo_data, caller, next_code_step):
    """Signed out too: the sign-in page and the pages a link in an email opens (availability, an action's update)."""
    if caller == "team_lead":
        next_code_step()  # the fixture signed the team lead in a moment ago
    user = _account("coordinator" if caller == ANONYMOUS else caller)
    client = Client(app.test_client())
    if caller != ANONYMOUS:
        client.sign_in(user, demo.DEMO_PASSWORD)
    problems, read = [], 0
    for url in pages_for(app, caller, ids_for(user)):
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype.startswith(("text/html", "text/csv")):
            continue
        read += 1
        problems += findings(url, response.get_data(as_text=True))
    assert read >= {ANONYMOUS: 2, "partner": 5, "read_only": 40}.get(caller, 100), f"only {read} pages read as {caller}"
    assert not problems, f"{len(problems)} page(s) not in the app's own words as {caller}:\n" + "\n".join(problems)


def test_a_save_through_a_record_screen_says_so_in_our_words(app, demo_data):
    """Flask-Admin flashes its own sentence after a save: shown in ours."""
    organisation = db.session.scalars(select(Organisation).order_by(Organisation.id)).first()
    form = {"name": "Renamed in the crawl", "type": organisation.type.value, "ods_code": organisation.ods_code or ""}
    saved = demo_data.submit(f"/admin/organisation/edit/?id={organisation.id}", form, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "Changes saved." in page and not findings("after a save", page)
    added = demo_data.submit("/admin/locality/new/", {"name": "Crawl Vale"}, follow_redirects=True)
    page = added.get_data(as_text=True)
    assert "Saved." in page and not findings("after adding", page)
    form_page = demo_data.get("/admin/referral/new/").get_data(as_text=True)
    assert "Type a surname or NHS number" in form_page and "Save, then add another" in form_page
