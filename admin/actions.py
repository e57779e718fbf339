"""The one action list across meetings, for staff and each partner agency, and the chases that follow actions up."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, not_, or_, select, true, union
from sqlalchemy.orm import defaultload, joinedload, load_only
from wtforms import SelectField, TextAreaField
from wtforms.validators import Optional, ValidationError

from access import PARTNER, READERS, STAFF, in_scope, row_filters
from admin.base import SecureModelView, WrittenByWorkflow
from admin.formatters import patient_link, short_text
from admin.forms import FromDatabase
from admin.lookups import CONTACT, ORGANISATION, PATIENT, ByPatientLoader
from admin.work_filters import HeldByFilter
from formats.dates import format_datetime, today
from formats.numbers import record_id
from formats.words import plural
from models import (
    Action,
    ActionChase,
    ActionStatus,
    AgendaItem,
    Contact,
    Locality,
    Meeting,
    OnwardReferral,
    Organisation,
    Patient,
    Role,
    db,
    value_before,
)
from services import documents
from services.actions import REPORTABLE, complete_action, overdue, report_on_action
from services.chasing import chase_actions, last_chases
from web.forms import AppForm, DateField, due_on_or_after_its_meeting, not_in_future, same_patient

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OverdueFilter(BaseSQLAFilter):
    """Still open after its due date (derived from today in London, never stored)."""

    def __init__(self):
        super().__init__(Action.due_on, "Overdue", options=(("1", "Yes"), ("0", "No")))

    def apply(self, query, value, alias=None):
        late = overdue()
        return query.filter(late if value == "1" else not_(late))

    def operation(self):
        return "is"


def _agencies() -> list[tuple[str, str]]:
    """The organisations an action may be owned by, that the signed-in user may see, by name."""
    live = db.select(Organisation.id, Organisation.name).where(Organisation.archived_at.is_(None))
    found = db.session.execute(live.where(*row_filters(Organisation, current_user)).order_by(Organisation.name))
    return [(str(key), name) for key, name in found]


class AgencyFilter(BaseSQLAFilter):
    """The owning agency, chosen from a list (not typed)."""

    def __init__(self):
        super().__init__(Action.owner_organisation_id, "Agency", options=FromDatabase(_agencies))

    def validate(self, value) -> bool:
        return record_id(value) is not None

    def apply(self, query, value, alias=None):
        return query.filter(Action.owner_organisation_id == record_id(value))

    def operation(self):
        return "is"


class DueThisWeekFilter(BaseSQLAFilter):
    """Due between today and seven days from now."""

    def __init__(self):
        super().__init__(Action.due_on, "Due this week", options=(("1", "Yes"),))

    def apply(self, query, value, alias=None):
        return query.filter(Action.due_on >= today(), Action.due_on <= today() + timedelta(days=7))

    def operation(self):
        return "is"


def _overdue(view, context, model, name):
    return "Overdue" if model.is_overdue(today()) else ""


def _days_overdue(view, context, model, name):
    return (today() - model.due_on).days if model.is_overdue(today()) else ""


def _meeting(view, context, model, name):
    return str(model.agenda_item.meeting) if model.agenda_item else ""


def _times_chased(view, context, model, name):
    return g.get("chase_stats", {}).get(model.id, (0, None))[0]


def _last_chased(view, context, model, name):
    return format_datetime(g.get("chase_stats", {}).get(model.id, (0, None))[1])


def owner_works_there(form, field):
    """The named owner must work for the owning organisation."""
    organisation = form["owner_organisation"].data
    if field.data is not None and organisation is not None and field.data.organisation_id != organisation.id:
        raise ValidationError(
            f"{field.data.name} does not work for {organisation.name}: choose someone there, or leave it blank."
        )


class ActionUpdateForm(AppForm):
    """An owner's update: in progress or done (today unless a date is given), with a note."""

    status = SelectField("Now", choices=[(s.value, s.label) for s in REPORTABLE])
    completed_on = DateField("Done on (if not today)", validators=[Optional(), not_in_future])
    note = TextAreaField("Note for the team", validators=[Optional()])


class ActionView(SecureModelView):
    """Actions across meetings: staff see all, a partner their agency's; opens on those still open, most overdue first.

    Overdue is worked out from the status, the due date and today in London: never stored.
    """

    roles_view = READERS | PARTNER
    details_template = "admin/actions/details.html"
    list_template = "admin/actions/list.html"

    column_list = [
        "patient",
        "description",
        "owner_organisation",
        "owner_contact",
        "meeting",
        "due_on",
        "status",
        "days_overdue",
        "times_chased",
        "last_chased",
    ]
    column_labels = {
        "patient": "Patient",
        "agenda_item": "From the discussion",
        "description": "Action",
        "owner_organisation": "Agency",
        "owner_organisation.name": "Agency",
        "owner_contact": "Owner",
        "owner_contact.name": "Owner",
        "meeting": "Meeting",
        "agenda_item.meeting.starts_at": "Meeting date",
        "due_on": "Due",
        "status": "Status",
        "overdue": "Overdue",
        "days_overdue": "Days overdue",
        "times_chased": "Times chased",
        "last_chased": "Last chased",
        "completed_on": "Completed",
        "patient.family_name": "Patient surname",
        "patient.nhs_number": "Patient NHS number",
        "updates": "Updates from the owner",
    }
    column_formatters = {
        "patient": patient_link,
        "description": short_text(),
        "overdue": _overdue,
        "meeting": _meeting,
        "days_overdue": _days_overdue,
        "times_chased": _times_chased,
        "last_chased": _last_chased,
    }
    column_formatters_detail = {"patient": patient_link, "overdue": _overdue}
    column_formatters_export = {"overdue": _overdue, "meeting": _meeting, "days_overdue": _days_overdue}
    column_searchable_list = ["description", "patient.family_name", "patient.nhs_number", "owner_organisation.name"]
    column_filters = [
        AgencyFilter(),
        "owner_contact.name",
        "status",
        OverdueFilter(),
        "agenda_item.meeting.starts_at",
        DueThisWeekFilter(),
        "patient.family_name",
        "patient.nhs_number",
        "due_on",
        "completed_on",
        HeldByFilter(Action),
    ]
    column_sortable_list = ["due_on", "status", "completed_on", ("owner_organisation", "owner_organisation.name")]
    column_default_sort = [("due_on", False), ("id", False)]
    column_details_extra = ("overdue", "chases", "updates")
    column_export_list = ["patient", "description", "owner_organisation", "owner_contact", "meeting", "due_on",
                          "status", "days_overdue", "completed_on"]  # fmt: skip
    column_export_loads = (
        load_only(Action.patient_id, Action.description, Action.owner_organisation_id, Action.owner_contact_id,
                  Action.agenda_item_id, Action.due_on, Action.status, Action.completed_on, raiseload=True),
        defaultload(Action.patient).load_only(Patient.given_name, Patient.family_name, Patient.nhs_number,
                                               raiseload=True),
        defaultload(Action.owner_organisation).load_only(Organisation.name, Organisation.ods_code, raiseload=True),
        defaultload(Action.owner_contact).load_only(Contact.name, Contact.organisation_id, raiseload=True),
        defaultload(Action.owner_contact).defaultload(Contact.organisation).load_only(  # often the agency above
            Organisation.name, Organisation.ods_code, raiseload=True),
        defaultload(Action.agenda_item).load_only(AgendaItem.meeting_id, raiseload=True),
        defaultload(Action.agenda_item).defaultload(AgendaItem.meeting).load_only(Meeting.starts_at,
                                                                                  Meeting.locality_id, raiseload=True),
        defaultload(Action.agenda_item).defaultload(AgendaItem.meeting).defaultload(Meeting.locality).load_only(
            Locality.name, raiseload=True),
    )  # fmt: skip
    form_columns = ["patient", "agenda_item", "description", "owner_organisation", "owner_contact", "due_on", "status",
                    "completed_on"]  # fmt: skip
    column_descriptions = {"completed_on": "Left blank when marking it done, it is today."}
    form_args = {
        "agenda_item": {"validators": [same_patient("discussion")]},
        "owner_contact": {"validators": [owner_works_there]},
        "completed_on": {"validators": [not_in_future]},
        "due_on": {"validators": [due_on_or_after_its_meeting]},
    }
    form_ajax_refs = {
        "patient": PATIENT,
        "agenda_item": ByPatientLoader("agenda_item", AgendaItem),
        "owner_organisation": ORGANISATION,
        "owner_contact": CONTACT,
    }

    # --- the list: open actions first ---------------------------------------------------------------

    @property
    def showing_open_only(self) -> bool:
        """Without a filter or `?all=1`, the list shows what is still to be done."""
        return not any(key.startswith("flt") for key in request.args) and request.args.get("all") != "1"

    def _only_open(self, query):
        return query.filter(Action.still_open()) if self.showing_open_only else query

    def get_query(self):
        """What each row shows, loaded with the page (not one query per row)."""
        query = (
            super()
            .get_query()
            .options(
                joinedload(Action.owner_contact).joinedload(Contact.organisation),
                joinedload(Action.agenda_item).joinedload(AgendaItem.meeting).joinedload(Meeting.locality),
            )
        )
        return self._only_open(query)

    def get_count_query(self):
        return self._only_open(super().get_count_query())

    def with_facts(self, rows: list) -> None:
        g.chase_stats = last_chases([row.id for row in rows])  # times chased and when last, in one query

    def on_model_change(self, form, model, is_created):
        """An action newly marked done is completed by the actions service (today unless a date is given)."""
        before = None if is_created else value_before(model, "status")
        if model.status == ActionStatus.done and before != ActionStatus.done:
            model.status = before or ActionStatus.open
            complete_action(model, current_user, model.completed_on)

    # --- owners move their actions on -----------------------------------------------------------------

    def render(self, template, **kwargs):
        kwargs.update(update_form=ActionUpdateForm(formdata=None), may_update=self._allowed(STAFF | PARTNER))
        return super().render(template, **kwargs)

    @expose("/update/", methods=("POST",))
    def update(self):
        """An owner (a partner for their agency's actions, or staff for any) marks one in progress or done."""
        if not self._allowed(STAFF | PARTNER):
            abort(403)
        found = self.get_one(request.args.get("id", ""))
        if found is None:
            abort(404)
        form = ActionUpdateForm()
        if not form.validate():
            flash(form.first_error() or "Choose in progress or done.", "error")
        else:

            def report():
                on = form.completed_on.data
                report_on_action(
                    found, form.status.data, form.note.data, by_name=current_user.name, by=current_user, on=on
                )

            self.perform(report, f"Action updated: {ActionStatus(form.status.data).label.lower()}.")
        return redirect(url_for(".details_view", id=found.id))

    # --- chasing and the agency's log -----------------------------------------------------------------

    def is_action_allowed(self, name: str) -> bool:
        if name == "chase":
            return self._allowed(STAFF)
        return super().is_action_allowed(name)

    @action(
        "chase", "Chase selected", "Email each owner one message listing their selected actions, with update links?"
    )
    def action_chase(self, ids):
        done = self.perform(lambda: chase_actions(self.rows(ids), current_user))
        if done:
            result = done.value
            flash(f"Chased {plural(result.chased, 'action')} in {plural(len(result.sent), 'email')}.", "success")
            for chased, why in result.refused:
                flash(Markup("Not chased: {} for {}: {}").format(chased.description, chased.patient, why), "warning")

    @expose("/agency-log/<fmt>")
    def agency_log(self, fmt: str):
        """An agency's open actions (.docx or .xlsx): a partner's own agency, staff any (`?organisation=`)."""
        if fmt not in ("docx", "xlsx"):
            abort(404)
        if current_user.role == Role.partner:
            organisation = current_user.organisation
        elif current_user.role in STAFF and request.args.get("organisation"):
            organisation = in_scope(Organisation, request.args["organisation"])
        else:
            abort(403 if current_user.role not in STAFF else 404)
        if organisation is None:
            abort(404)
        scope = row_filters(Action, current_user)
        done = self.perform(lambda: documents.generate_agency_log(organisation, current_user, fmt, scope))
        if not done:
            return redirect(url_for(".index_view"))
        generated = done.value
        mimetype = DOCX if fmt == "docx" else XLSX
        return send_file(
            io.BytesIO(generated.content), mimetype=mimetype, as_attachment=True, download_name=generated.filename
        )


class ActionChaseView(WrittenByWorkflow, SecureModelView):
    """Every chase of an action or an onward referral, read only: chases are recorded by the chasing workflows."""

    column_list = ["chased_at", "action", "onward_referral", "method", "sent_to", "chased_by", "note", "link_used_at"]
    column_labels = {
        "chased_at": "Chased",
        "action": "Action",
        "onward_referral": "Onward referral",
        "action.description": "Action",
        "method": "How",
        "sent_to": "Sent to",
        "chased_by": "Chased by",
        "chased_by.name": "Chased by",
        "link_used_at": "Link used",
        "note": "Note",
        "created_at": "Recorded",
    }
    column_formatters = {"note": short_text()}
    column_formatters_detail = column_formatters_export = {}
    column_searchable_list = ["note", "action.description", "sent_to"]
    column_filters = ["method", "chased_at", "chased_by.name", "sent_to"]
    column_default_sort = [("chased_at", True), ("id", True)]
    column_details_list = [
        "action",
        "onward_referral",
        "chased_at",
        "method",
        "sent_to",
        "chased_by",
        "link_used_at",
        "note",
        "created_at",
    ]

    #: Rows leave the lists with their archived parent (an action's; see `scope` for an onward referral's).

    def scope(self, query, include_archived: bool = False):
        """A chase is listed while its parent is: the action, or the onward referral whose answer was chased.

        A partner sees the chases of their organisation's own: an EXISTS on each parent. Staff see every parent but
        the archived ones, so for them it is said as "not one of the few parents left out" (read once and hashed):
        PostgreSQL answered the EXISTS on either parent by hashing every one of a million actions (700 ms)."""
        action = row_filters(Action, current_user, include_archived)
        onward = row_filters(OnwardReferral, current_user, include_archived)
        if current_user.role == Role.partner:
            return query.filter(
                or_(
                    ActionChase.action.has(and_(true(), *action)),
                    ActionChase.onward_referral.has(and_(true(), *onward)),
                )
            )
        return query.filter(
            _not_left_out(ActionChase.action_id, Action, action),
            _not_left_out(ActionChase.onward_referral_id, OnwardReferral, onward),
        )


def _not_left_out(column, parent, seen: list):
    """The chase's parent (by `column`, null when it is the other kind) is not among those `seen` leaves out."""
    if not seen:
        return true()
    # Those each clause leaves out, by its opposite ("archived_at IS NOT NULL"), each read through its own index.
    left_out = union(*(select(parent.id).where(not_(clause)) for clause in seen))
    return or_(column.is_(None), column.not_in(left_out))


def register(admin) -> None:
    admin.add_view(ActionView(Action, db, name="Open actions", category="Actions", endpoint="action"))
    admin.add_view(ActionChaseView(ActionChase, db, name="Chases", category="Actions", endpoint="action_chase"))
