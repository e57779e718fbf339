"""Every URL rule, every method, every role: the app's real answers against the policy in tests/policy.py."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.routing import Rule

from models import (
    Action,
    ActionChase,
    AgendaItem,
    Attendance,
    AuditEntry,
    CarePlan,
    CarePlanShare,
    CollatedNote,
    Consent,
    Contact,
    ContactLogEntry,
    ContactMethod,
    ContactParty,
    DirectoryService,
    DocumentKind,
    Episode,
    GeneratedDocument,
    Goal,
    GoalDomain,
    HospitalEvent,
    HospitalEventKind,
    ListImport,
    ListSource,
    Locality,
    MeetingMember,
    NoteSource,
    OnwardReferral,
    Organisation,
    OrganisationType,
    OutboxEmail,
    Patient,
    Referral,
    Role,
    SafeguardingCategory,
    SafeguardingConcern,
    SecureDomain,
    SignInAlert,
    SignpostedTo,
    Signposting,
    TriageDecision,
    TriageOutcome,
    UserSession,
    db,
    utcnow,
)
from services import polls, scheduling
from services.chasing import update_link
from tests.conftest import Client
from tests.factories import working_day
from tests.policy import ANONYMOUS, CALLERS, PARTNER, POLICY, Call

#: Methods Flask answers by itself for every rule.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}
REDIRECTS = {301, 302, 303, 307, 308}


def served(app) -> list[tuple[str, str, Rule]]:
    """Every (endpoint, method, rule) the app answers, HEAD and OPTIONS aside."""
    return sorted(
        (
            (rule.endpoint, method, rule)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - AUTOMATIC_METHODS
        ),
        key=lambda item: (item[0], item[1], item[2].rule),
    )


def test_every_route_is_classified(app):
    unclassified = sorted({(endpoint, method) for endpoint, method, _ in served(app)} - POLICY.keys())
    assert not unclassified, "unclassified route(s): classify them in tests/policy.py:\n" + "\n".join(
        f"  {endpoint} {method}" for endpoint, method in unclassified
    )


def test_policy_has_no_stale_entries(app):
    stale = sorted(POLICY.keys() - {(endpoint, method) for endpoint, method, _ in served(app)})
    assert not stale, "tests/policy.py names route(s) the app does not serve:\n" + "\n".join(
        f"  {endpoint} {method}" for endpoint, method in stale
    )


def test_policy_walks_every_role():
    assert set(CALLERS) == {ANONYMOUS} | {role.value for role in Role}


@pytest.fixture
def records(make_org, make_user) -> dict[str, int | str]:
    """The rows the policy's requests name (`"{organisation}"`), by name; none of them signs in."""
    organisation = make_org(name="Subject organisation", type=OrganisationType.social_services)
    subject = make_user(Role.partner, organisation=organisation, name="Subject user")
    locality = Locality(name="Subject locality")
    patient = Patient(given_name="Subject", family_name="Patient", date_of_birth=date(1940, 1, 1))
    contact = Contact(name="Subject member", email="member@nhs.net", organisation=organisation)
    db.session.add_all([locality, patient, contact, MeetingMember(locality=locality, contact=contact)])
    db.session.flush()
    referral = Referral(
        patient=patient,
        locality=locality,
        received_on=date(2026, 11, 1),
        referrer_name="Dr Subject",
        reason="Falls",
        consent=Consent.given,
        consent_by="Patient",
        consent_on=date(2026, 11, 1),
        signposting_tried="Age UK",
    )
    db.session.add(referral)
    poll = polls.create_poll(locality, [working_day(10), working_day(11)], utcnow() + timedelta(days=5), subject)
    meeting = scheduling.book_meeting(locality, working_day(15), subject)
    episode = Episode(patient=patient, locality=locality, opened_on=date(2026, 11, 2))
    item = AgendaItem(meeting=meeting, patient=patient, episode=episode)
    db.session.add_all([episode, item])
    db.session.commit()
    audit_entry = db.session.scalars(db.select(AuditEntry)).first()
    return {
        "organisation": organisation.id,
        "user": subject.id,
        "patient": patient.id,
        "referral": referral.id,
        "poll": poll.id,
        "invitation": poll.invitations[0].id,
        "slot": poll.slots[0].id,
        "poll_token": polls.link_token(poll.invitations[0]),
        "meeting": meeting.id,
        "audit": audit_entry.id,
        "episode": episode.id,
        "item": item.id,
        "locality": locality.id,
        "contact": contact.id,
        **_record_screen_rows(subject, organisation, patient, referral, meeting, item, contact),
    }


def _record_screen_rows(subject, organisation, patient, referral, meeting, item, contact) -> dict[str, int | str]:
    """One row of each record the record screens (admin/patients.py and friends) name."""
    day = date(2026, 11, 3)
    member, email = (
        db.session.scalars(db.select(MeetingMember)).first(),
        db.session.scalars(db.select(OutboxEmail)).first(),
    )
    action = Action(
        patient=patient, agenda_item=item, description="Review medicines", owner_organisation=organisation, due_on=day
    )
    plan = CarePlan(patient=patient, number=1)
    rows = {
        "hospital_event": HospitalEvent(patient=patient, kind=HospitalEventKind.admission, occurred_on=day),
        "collated_note": CollatedNote(patient=patient, source=NoteSource.emis, summary="Seen by GP"),
        "triage_decision": TriageDecision(
            referral=referral,
            decided_on=day,
            decided_by=subject,
            outcome=TriageOutcome.more_information,
            missing_information="Consent",
        ),
        "meeting_member": member,
        "attendance": Attendance(meeting=meeting, contact=contact),
        "action": action,
        "action_chase": ActionChase(action=action, chased_at=utcnow(), chased_by=subject, token="policy-walk-chase"),
        "care_plan": plan,
        "goal": Goal(care_plan=plan, description="Walk to the shops", domain=GoalDomain.functional),
        #: Removed by the walk (no other route names it).
        "spare_goal": Goal(care_plan=plan, description="See friends at the club", domain=GoalDomain.social),
        "care_plan_share": CarePlanShare(care_plan=plan, shared_on=day, shared_by=subject, shared_with=organisation),
        "onward_referral": OnwardReferral(patient=patient, service="Falls clinic", referred_on=day),
        "signposting": Signposting(
            patient=patient,
            service="Carers' centre",
            given_on=day,
            given_to=SignpostedTo.carer,
            what="Carers' assessment and breaks",
        ),  # fmt: skip
        "safeguarding_concern": SafeguardingConcern(
            patient=patient, raised_on=day, category=SafeguardingCategory.self_neglect
        ),
        "outbox_email": email,
        "generated_document": GeneratedDocument(kind=DocumentKind.agenda, filename="agenda.docx", generated_by=subject),
        "user_session": UserSession(key="walk-session-key", user=subject, address="192.0.2.1"),
        "secure_domain": SecureDomain(domain="subject.gov.uk", note="Subject council: on the DCB1596 list"),
        "sign_in_alert": SignInAlert(user=subject, failures=30, addresses=12),
        "directory_service": DirectoryService(name="Subject falls service", organisation=organisation),
        "list_import": ListImport(
            filename="search.csv",
            source=ListSource.practice_search,
            column_mapping="{}",
            figures_on=day,
            imported_by=subject,
        ),  # fmt: skip
        "contact_log": ContactLogEntry(
            patient=patient,
            contacted_at=utcnow(),
            party=ContactParty.patient,
            method=ContactMethod.phone,
            summary="Called",
            follow_up_on=day,
        ),  # fmt: skip
    }
    db.session.add_all(rows.values())
    db.session.commit()
    ids = {name: row.id for name, row in rows.items()}
    return {**ids, "chase_token": update_link(rows["action_chase"]).rsplit("/", 1)[-1]}


def client_for(app, make_user, caller: str, records: dict) -> Client:
    """One client for the whole walk: signed out, or signed in with a new account of the role.

    The partner is a real partner member: their account works for the records' organisation (which owns the
    walk's action) and is linked to the contact who sits on the records' locality (whose meeting lists the
    walk's patient), so the policy says what a partner may do with their own agency's work.
    """
    client = Client(app.test_client())
    if caller == PARTNER:
        user = make_user(Role.partner, organisation=db.session.get(Organisation, records["organisation"]))
        db.session.get(Contact, records["contact"]).user = user
        db.session.commit()
        client.sign_in(user)
    elif caller != ANONYMOUS:
        client.sign_in(make_user(Role(caller)))
    return client


def build_url(rule: Rule, call: Call, ids: dict[str, int]) -> str:
    """The rule's own URL with the call's values (record names replaced by ids); extra values become the query."""
    try:
        values = {key: str(value).format_map(ids) for key, value in call.values.items()}
    except KeyError as exc:
        raise AssertionError(f"{rule.endpoint}: tests/policy.py names record {exc}; create it in `records`") from None
    built = rule.build(values, append_unknown=True)
    if built is None:
        raise AssertionError(f"{rule.endpoint}: tests/policy.py gives no value for {sorted(rule.arguments)}")
    return built[1]


def verdict(call: Call, caller: str, response) -> str | None:
    """Why the answer breaks the policy, or None when it keeps it."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    to_sign_in = status in REDIRECTS and location.path == "/login"
    #: The sign-in wall always says where to come back to; a sign-out landing on the sign-in page does not.
    sign_in_wall = to_sign_in and "next" in parse_qs(location.query)
    if call.sign_in_step:
        return None if status < 500 and status != 403 else "expected a step of signing in (no role needed)"
    if caller in call.allowed:
        if call.ends_session:
            return None if to_sign_in and not sign_in_wall else "expected allowed (sign-out)"
        if status in (403, 404) or status >= 500 or to_sign_in:
            return "expected allowed"
        return None
    if caller == ANONYMOUS:
        return None if sign_in_wall else "expected denied (302 to /login?next=...)"
    refused = status == 403 or (not call.offered and status == 404)
    return None if refused else "expected denied (403)"


def fetch(client: Client, method: str, url: str, form: dict):
    """The response, read to the end and closed (so a streamed export runs), or what the request raised."""
    try:
        with client.http.open(url, method=method, data=form or None) as response:
            response.get_data()
        return response
    except Exception as exc:  # noqa: BLE001 - a crash is one more finding, reported with the rest
        return exc


def answer(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_keeps_the_policy(app, make_user, records, caller):
    """Real requests with real ids; CSRF is off here so POSTs reach the role checks (CSRF has its own tests)."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = client_for(app, make_user, caller, records)
    routes = [(endpoint, method, rule, POLICY.get((endpoint, method))) for endpoint, method, rule in served(app)]
    # Reads before writes, and the sign-out last: the one client serves the whole walk.
    routes.sort(key=lambda r: (r[3] is not None and r[3].ends_session, r[1] != "GET"))

    problems = []
    for endpoint, method, rule, call in routes:
        if call is None:
            problems.append(f"{endpoint} {method}: unclassified route: classify it in tests/policy.py")
            continue
        url = build_url(rule, call, records)
        response = fetch(client, method, url, call.form)
        if isinstance(response, Exception):
            problems.append(f"{endpoint} {method} {url} as {caller}: raised {type(response).__name__}: {response}")
        elif why := verdict(call, caller, response):
            problems.append(f"{endpoint} {method} {url} as {caller}: {why}, got {answer(response)}")

    assert not problems, f"{len(problems)} route(s) break tests/policy.py as {caller}:\n" + "\n".join(problems)
