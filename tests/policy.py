"""The access policy, written by hand from DESIGN.md §2: who may call which endpoint, and how to call it.

This table is the specification. `tests/test_access_policy.py` walks every URL rule of the app,
makes the real request described here as each role, and compares the answer with the table, so
it must never be derived from the view classes (`roles_view` and friends): that would only test
the code against itself.

Every (endpoint, method) the app serves needs an entry. A record id in a request is written as
`"{name}"`; the test creates the named records and fills in their ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
COORDINATOR = "coordinator"
TEAM_LEAD = "team_lead"
PARTNER = "partner"
READ_ONLY = "read_only"

#: Every caller the walk tries: nobody signed in, then one account per role.
CALLERS = (ANONYMOUS, COORDINATOR, TEAM_LEAD, PARTNER, READ_ONLY)

EVERYONE = frozenset(CALLERS)
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = frozenset({COORDINATOR, TEAM_LEAD})
#: Staff and observers: may read, never change or export.
READERS = STAFF | {READ_ONLY}
LEAD = frozenset({TEAM_LEAD})
NOBODY: frozenset = frozenset()


@dataclass(frozen=True)
class Call:
    """Who may make one request, and the request itself: `url_for` values and, for a POST, a form."""

    allowed: frozenset
    values: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    #: The request signs the caller out: the walk runs it last, and landing on the sign-in page is its success.
    ends_session: bool = False
    #: False for an endpoint Flask-Admin adds but this screen lacks (no look-up field, no inline editing):
    #: nobody may use it, and past the role check Flask-Admin answers 404, which counts as refused here only.
    offered: bool = True
    #: A step of signing in, open to everyone and needing no role: without a sign-in under way it sends the
    #: caller back to the sign-in page, and organisation sign-in's pages are not found while it is off.
    #: Its behaviour is tested in tests/test_sign_in_second_factor.py and tests/test_sign_in_organisation.py.
    sign_in_step: bool = False

    def __post_init__(self):
        if self.allowed and not self.offered:
            raise ValueError("an endpoint the screen lacks is allowed to nobody")


def model_view(
    endpoint: str,
    *,
    view: frozenset,
    create: frozenset = NOBODY,
    edit: frozenset = NOBODY,
    export: frozenset = NOBODY,
    act: frozenset = NOBODY,
    action: str = "archive",
    ajax_field: str | None = None,
    editable_column: str | None = None,
    record: str | None = None,
) -> dict[tuple[str, str], Call]:
    """The standard Flask-Admin endpoints of one model screen.

    `act` may run the bulk `action` (posted on the record); a select-box look-up (`ajax_field`)
    serves whoever may create or edit; inline list editing (`editable_column`) whoever may edit.
    A screen without a look-up or inline editing offers those endpoints to nobody. Records are
    archived, never deleted, so nobody may delete.
    """
    row = "{%s}" % (record or endpoint)
    return {
        (f"{endpoint}.index_view", "GET"): Call(view),
        (f"{endpoint}.details_view", "GET"): Call(view, {"id": row}),
        (f"{endpoint}.create_view", "GET"): Call(create),
        (f"{endpoint}.create_view", "POST"): Call(create),  # an empty form: reaches validation, saves nothing
        (f"{endpoint}.edit_view", "GET"): Call(edit, {"id": row}),
        (f"{endpoint}.edit_view", "POST"): Call(edit, {"id": row}),
        (f"{endpoint}.delete_view", "POST"): Call(NOBODY, form={"id": row}),
        (f"{endpoint}.action_view", "POST"): Call(act, form={"action": action, "rowid": row}),
        (f"{endpoint}.export", "GET"): Call(export, {"export_type": "csv"}),
        (f"{endpoint}.ajax_lookup", "GET"): (
            Call(create | edit, {"name": ajax_field, "query": "a"})
            if ajax_field
            else Call(NOBODY, {"name": "none", "query": "a"}, offered=False)
        ),
        (f"{endpoint}.ajax_update", "POST"): (
            Call(edit, form={"list_form_pk": row, editable_column: "Changed inline"})
            if editable_column
            else Call(NOBODY, form={"list_form_pk": row}, offered=False)
        ),
    }


POLICY: dict[tuple[str, str], Call] = {
    # --- pages outside the admin -----------------------------------------------------------------
    ("home", "GET"): Call(EVERYONE),  # redirects to the admin home, which does its own check
    ("static", "GET"): Call(EVERYONE, {"filename": "ilr.css"}),
    ("admin.static", "GET"): Call(EVERYONE, {"filename": "admin/js/helpers.js"}),
    # The load balancer's check (no sign-in, no session, no patient data): tests/test_health.py.
    ("health.health", "GET"): Call(EVERYONE),
    ("auth.login", "GET"): Call(EVERYONE),
    ("auth.login", "POST"): Call(EVERYONE),  # an empty form: refused by validation
    ("auth.logout", "POST"): Call(SIGNED_IN, ends_session=True),
    ("auth.second_factor", "GET"): Call(EVERYONE, sign_in_step=True),
    ("auth.second_factor", "POST"): Call(EVERYONE, sign_in_step=True),
    ("auth.enrol", "GET"): Call(EVERYONE, sign_in_step=True),
    ("auth.enrol", "POST"): Call(EVERYONE, sign_in_step=True),
    ("auth.organisation_login", "GET"): Call(EVERYONE, sign_in_step=True),
    ("auth.organisation_callback", "GET"): Call(EVERYONE, sign_in_step=True),
    ("admin.index", "GET"): Call(SIGNED_IN),
    ("admin.month_figures", "GET"): Call(LEAD),
    # --- Settings ------------------------------------------------------------------------------
    # Organisations are reference data staff keep up to date; only the team lead archives them.
    **model_view("organisation", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=LEAD),
    # User accounts are the team lead's alone (§2).
    **model_view(
        "user",
        view=LEAD,
        create=LEAD,
        edit=LEAD,
        export=LEAD,
        act=LEAD,
        action="deactivate",
        ajax_field="organisation",
    ),
    # Sign-in alerts are the team lead's to read and close; the sign-in throttle writes them.
    **model_view("sign_in_alert", view=LEAD, act=LEAD, action="close"),
}

POLICY.update(
    {
        # --- the audit trail: the team lead reads and exports it; nobody changes it ------------------
        **model_view("audit", view=LEAD, export=LEAD, record="audit"),
        # --- referrals: intake and the triage queue (decisions are staff's; observers may look) -------
        ("intake.index", "GET"): Call(STAFF),
        ("intake.index", "POST"): Call(STAFF),  # an empty form: refused by validation
        **model_view("triage", view=READERS, export=STAFF, act=STAFF, action="triage_accept", record="referral"),
        ("triage.decide", "POST"): Call(
            STAFF, {"id": "{referral}"}, form={"outcome": "advice_only", "triage_text": "Advice"}
        ),
        **model_view("caseload", view=READERS, export=STAFF, record="episode"),
        # --- the patient record page and its life events -------------------------------------------
        ("record.index", "GET"): Call(READERS | {PARTNER}),
        # The header's search box: everyone signed in finds the patients they may see (a partner: their own few).
        ("find.index", "GET"): Call(READERS | {PARTNER}),
        # A partner sees the minimum of the patients on their meetings or their agency's actions (§2).
        ("record.patient", "GET"): Call(READERS | {PARTNER}, {"patient_id": "{patient}"}),
        ("record.record_death", "POST"): Call(STAFF, {"patient_id": "{patient}"}, form={"died_on": "2026-11-01"}),
        ("record.withdraw_consent", "POST"): Call(
            STAFF, {"patient_id": "{patient}"}, form={"withdrawn_on": "2026-11-01"}
        ),
        # --- scheduling: polls, booking, moving, cancelling (staff only) -----------------------------
        ("scheduling.index", "GET"): Call(STAFF),
        ("scheduling.create_poll", "POST"): Call(STAFF),  # an empty form: refused with a message
        ("scheduling.poll", "GET"): Call(STAFF, {"poll_id": "{poll}"}),
        ("scheduling.resend", "POST"): Call(STAFF, {"poll_id": "{poll}", "invitation_id": "{invitation}"}),
        ("scheduling.book", "POST"): Call(STAFF, {"poll_id": "{poll}", "slot_id": "{slot}"}),
        ("scheduling.series", "POST"): Call(STAFF),
        ("scheduling.meeting", "GET"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("scheduling.invitation", "GET"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("scheduling.move", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("scheduling.cancel", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        # --- a member's availability link: no sign-in, the signed token is the key ------------------
        ("availability.answer", "GET"): Call(EVERYONE, {"poll_id": "{poll}", "token": "{poll_token}"}),
        ("availability.answer", "POST"): Call(EVERYONE, {"poll_id": "{poll}", "token": "{poll_token}"}),
    }
)

POLICY.update(
    {
        # --- the meeting itself: staff run it; a partner member only downloads their agency's action log
        # (checked in tests/test_documents.py: the walk's partner sits on no meeting, so is refused).
        ("meeting_room.index", "GET"): Call(STAFF),
        ("meeting_room.meeting", "GET"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.add", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.order", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.attendance", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.roll_over", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.held", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.minutes", "GET"): Call(STAFF, {"meeting_id": "{meeting}"}),
        ("meeting_room.draft", "POST"): Call(STAFF, {"item_id": "{item}"}, form={"summary": "Typed"}),
        ("meeting_room.save_case", "POST"): Call(STAFF, {"item_id": "{item}"}),
        ("meeting_room.add_action", "POST"): Call(STAFF, {"item_id": "{item}"}),
        ("meeting_room.document", "GET"): Call(STAFF, {"meeting_id": "{meeting}", "kind": "minutes"}),
        ("meeting_room.send", "GET"): Call(STAFF, {"meeting_id": "{meeting}", "kind": "agenda"}),  # the preview
        ("meeting_room.send", "POST"): Call(STAFF, {"meeting_id": "{meeting}", "kind": "agenda"}),
        ("meeting_room.chair", "POST"): Call(STAFF, {"meeting_id": "{meeting}"}),  # none chosen: refused
        ("meeting_room.action_progress", "POST"): Call(
            STAFF, {"item_id": "{item}", "action_id": "{action}"}, form={"status": "in_progress"}
        ),
    }
)

POLICY.update(
    {
        # --- the record screens (issue 3): staff keep clinical records, observers read them, partners see none yet
        # Patients
        **model_view(
            "patient", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="gp_practice"
        ),
        **model_view(
            "hospital_event", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"
        ),
        **model_view(
            "collated_note", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"
        ),
        # Referrals; triage decisions are made on the queue, so their screen only reads
        **model_view("referral", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"),
        **model_view("triage_decision", view=READERS, export=STAFF),
        **model_view("episode", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="referral"),
        # Meetings; localities and their members are the team lead's to change
        **model_view("locality", view=READERS, create=LEAD, edit=LEAD, export=STAFF, act=LEAD),
        **model_view(
            "meeting_member", view=READERS, create=LEAD, edit=LEAD, export=STAFF, act=LEAD, ajax_field="contact"
        ),
        **model_view(
            "contact", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=LEAD, ajax_field="organisation"
        ),
        # A partner: the meetings of the localities they sit on (the walk's partner sits on the walk's).
        **model_view(
            "meeting", view=READERS | {PARTNER}, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="chair"
        ),
        **model_view(
            "agenda_item",
            view=READERS,
            create=STAFF,
            edit=STAFF,
            export=STAFF,
            act=STAFF,
            ajax_field="meeting",
            record="item",
        ),
        **model_view("attendance", view=READERS, create=STAFF, edit=STAFF, export=STAFF, ajax_field="contact"),
        # Actions; chases are recorded by the chasing workflow
        **model_view(
            "action",
            view=READERS | {PARTNER},
            create=STAFF,
            edit=STAFF,
            export=STAFF,
            act=STAFF,
            ajax_field="agenda_item",
        ),
        **model_view("action_chase", view=READERS, export=STAFF),
        # Care
        **model_view(
            "care_plan", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="episode"
        ),
        **model_view("goal", view=READERS, create=STAFF, edit=STAFF, export=STAFF, ajax_field="care_plan"),
        **model_view("care_plan_share", view=READERS, create=STAFF, edit=STAFF, export=STAFF, ajax_field="care_plan"),
        **model_view(
            "onward_referral", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"
        ),
        **model_view(
            "signposting", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"
        ),
        **model_view(
            "safeguarding_concern",
            view=READERS,
            create=STAFF,
            edit=STAFF,
            export=STAFF,
            act=STAFF,
            ajax_field="raised_by",
        ),
        # What the tool keeps: the outbox is staff's to read; documents generated anyone but partners may see
        # (settings have no table screen: they change only on the team lead's settings form, below)
        **model_view("outbox_email", view=STAFF),
        **model_view("generated_document", view=READERS, export=STAFF),
    }
)

POLICY.update(
    {
        # --- the team lead's settings (risk points and bands, agenda cut-off) ------------------------
        ("settings.index", "GET"): Call(LEAD),
        ("settings.index", "POST"): Call(LEAD),  # an empty form: refused by validation
    }
)

POLICY.update(
    {
        # --- an action owner's chase link: no sign-in, the signed single-use token is the key ---------
        ("action_links.answer", "GET"): Call(EVERYONE, {"action_id": "{action}", "token": "{chase_token}"}),
        # an empty form: refused by validation, so the link stays unused for the next caller
        ("action_links.answer", "POST"): Call(EVERYONE, {"action_id": "{action}", "token": "{chase_token}"}),
    }
)

POLICY.update(
    {
        # --- partners act on their own agency's actions (§2): update one, download the agency's log ---------
        ("action.update", "POST"): Call(STAFF | {PARTNER}, {"id": "{action}"}, form={"status": "in_progress"}),
        ("action.agency_log", "GET"): Call(STAFF | {PARTNER}, {"fmt": "docx", "organisation": "{organisation}"}),
    }
)

POLICY.update(
    {
        # --- the secure email domains (§2): staff and observers read them, the team lead keeps the list -----
        **model_view("secure_domain", view=READERS, create=LEAD, edit=LEAD, export=STAFF, act=LEAD),
    }
)

POLICY.update(
    {
        # --- where you are signed in: everyone their own sessions; the team lead anyone's --------------
        ("sessions.index", "GET"): Call(SIGNED_IN),
        ("sessions.keep_alive", "POST"): Call(SIGNED_IN),
        # The walk's session is another user's (the records' subject never signed in): only the lead may end it.
        ("sessions.end", "POST"): Call(LEAD, {"session_id": "{user_session}"}),
        # Your details (issue 26): everyone keeps their own job title, team, telephone and secure email.
        ("account.index", "GET"): Call(SIGNED_IN),
        ("account.index", "POST"): Call(SIGNED_IN),  # an empty form: the details cleared, their own only
    }
)

POLICY.update(
    {
        # --- the short-term caseload (issue 13) -------------------------------------------------------------
        # The services directory: everyone on the team searches it, the team lead keeps it.
        **model_view(
            "directory_service", view=READERS, create=LEAD, edit=LEAD, export=STAFF, act=LEAD, ajax_field="organisation"
        ),
        # Onward referrals still waiting, oldest first: staff chase them or record the answer; observers look.
        **model_view(
            "onward_waiting", view=READERS, export=STAFF, act=STAFF, action="chase_phone", record="onward_referral"
        ),
        # The contact log: staff keep it; observers read it; partners see none of it.
        **model_view(
            "contact_log", view=READERS, create=STAFF, edit=STAFF, export=STAFF, act=STAFF, ajax_field="patient"
        ),
        # The caseload board: staff reassign cases for cover (audited per episode) and close episodes.
        **model_view("caseload", view=READERS, export=STAFF, act=STAFF, action="reassign", record="episode"),
        ("caseload.close", "GET"): Call(STAFF, {"episode_id": "{episode}"}),
        ("caseload.close", "POST"): Call(STAFF, {"episode_id": "{episode}"}),  # an empty form: refused, nothing closes
        # From the patient's page: refer on, log a contact, mark its follow-up done.
        ("record.refer_onward", "POST"): Call(STAFF, {"patient_id": "{patient}"}),  # an empty form: refused
        ("record.signpost", "POST"): Call(STAFF, {"patient_id": "{patient}"}),  # an empty form: refused
        ("record.log_contact", "POST"): Call(STAFF, {"patient_id": "{patient}"}),  # an empty form: refused
        ("record.followed_up", "POST"): Call(STAFF, {"patient_id": "{patient}", "entry_id": "{contact_log}"}),
        # The patient's page as the hub (issue 31): each with the patient chosen; an empty form is refused in words.
        ("record.add_collated_note", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        ("record.record_hospital_event", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        ("record.update_frailty", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        ("record.add_action", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        # The walk's patient is already on the walk's meeting: refused in words, nothing listed twice.
        ("record.list_on_next_agenda", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        # From a case in the live minutes: refer on.
        ("meeting_room.refer_onward", "POST"): Call(STAFF, {"item_id": "{item}"}),  # an empty form: refused
        ("meeting_room.signpost", "POST"): Call(STAFF, {"item_id": "{item}"}),  # an empty form: refused
    }
)

POLICY.update(
    {
        # --- the shared care plan and the GP letter (issue 12) ----------------------------------------------
        # The care-plan page: readers read it; staff edit the draft, agree it, record progress, make documents.
        ("care_plan_page.index", "GET"): Call(READERS),
        ("care_plan_page.patient", "GET"): Call(READERS, {"patient_id": "{patient}"}),
        ("care_plan_page.compare", "GET"): Call(READERS, {"patient_id": "{patient}"}),  # no versions: back to the page
        ("care_plan_page.edit", "POST"): Call(STAFF, {"patient_id": "{patient}"}),
        ("care_plan_page.draft", "POST"): Call(STAFF, {"plan_id": "{care_plan}"}),
        ("care_plan_page.save", "POST"): Call(STAFF, {"plan_id": "{care_plan}"}),
        ("care_plan_page.add_goal", "POST"): Call(STAFF, {"plan_id": "{care_plan}"}),  # an empty form: refused
        ("care_plan_page.agree", "POST"): Call(STAFF, {"plan_id": "{care_plan}"}),  # an empty form: refused
        ("care_plan_page.edit_goal", "POST"): Call(STAFF, {"goal_id": "{goal}"}),  # an empty form: refused
        ("care_plan_page.goal_progress", "POST"): Call(STAFF, {"goal_id": "{goal}"}),  # a draft's goal: refused
        ("care_plan_page.remove_goal", "POST"): Call(STAFF, {"goal_id": "{spare_goal}"}),
        ("care_plan_page.move_goal", "POST"): Call(STAFF, {"goal_id": "{goal}"}, form={"direction": "down"}),
        ("care_plan_page.document", "GET"): Call(STAFF, {"plan_id": "{care_plan}", "what": "plan"}),
        ("care_plan_page.send_to_gp", "POST"): Call(STAFF, {"patient_id": "{patient}"}),  # no agreed plan: refused
        # The team's letterhead: the team lead's alone.
        ("letterhead.index", "GET"): Call(LEAD),
        ("letterhead.index", "POST"): Call(LEAD),  # nothing uploaded: refused
    }
)

POLICY.update(
    {
        # --- KPIs and reports (issue 14): the team lead's alone (DESIGN.md §2), every download included ----------
        ("kpis.index", "GET"): Call(LEAD),
        ("kpis.records", "GET"): Call(LEAD, {"drill": "received"}),
        ("kpis.chart", "GET"): Call(LEAD, {"chart_name": "referrals"}),
        ("kpis.report", "GET"): Call(LEAD, {"fmt": "xlsx"}),
    }
)

POLICY.update(
    {
        # --- the user guide (issue 31): everyone signed in opens its contents; the staff's pages (and their
        # screenshots) are for staff and observers, the partners' page for everyone (tests/test_guide.py)
        ("guide.index", "GET"): Call(SIGNED_IN),
        ("guide.page", "GET"): Call(READERS, {"slug": "meeting-day"}),
        ("guide.image", "GET"): Call(READERS, {"filename": "meeting.png"}),
    }
)

POLICY.update(
    {
        # --- case finding (issue 32): staff alone, partners and observers see none of it -------------------------
        ("case_finding.index", "GET"): Call(STAFF),
        ("case_finding.suggest", "POST"): Call(STAFF),  # an empty form: refused, nothing sent
        ("case_finding.set_months", "POST"): Call(LEAD),  # the team lead's setting; an empty form: refused
        ("list_import.index", "GET"): Call(STAFF),
        ("list_import.upload", "POST"): Call(STAFF),  # nothing uploaded: refused
        ("list_import.mapping", "GET"): Call(STAFF),  # nothing waiting: back to the history
        ("list_import.mapping", "POST"): Call(STAFF),  # nothing waiting: back to the history
        ("list_import.confirm", "POST"): Call(STAFF),  # nothing previewed: refused
        ("list_import.cancel", "POST"): Call(STAFF),
        ("list_import.record", "GET"): Call(STAFF, {"import_id": "{list_import}"}),
        ("list_import.refused", "GET"): Call(STAFF, {"import_id": "{list_import}"}),
    }
)
