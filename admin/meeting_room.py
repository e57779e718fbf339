"""The meeting itself: build the agenda, take the register, minute case by case, produce and send the documents."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from access import STAFF, get_or_404, in_scope, row_filters
from admin.base import SecureView
from admin.onward import OnwardReferralForm
from admin.signposting import SignpostingForm
from formats.dates import LONDON, today
from formats.numbers import record_id
from formats.words import plural
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    AttendanceStatus,
    AuditAction,
    CaseStatus,
    Contact,
    DocumentKind,
    DomainError,
    Episode,
    Meeting,
    Organisation,
    Role,
    SignpostedTo,
    db,
    utcnow,
)
from services import audit, documents, meeting_room, onward, signposting
from services.actions import update_action_status
from services.caseload import review_case
from services.documents import DOCX
from services.meeting_room import AgendaPlace
from services.scheduling import members_of, standing_chair
from services.unit_of_work import perform
from web.forms import AppForm, DateField, IdField, WholeNumberField, one_character_line_breaks

#: What can be sent to members from the meeting page.
SENDABLE = (DocumentKind.agenda.value, DocumentKind.minutes.value, DocumentKind.action_log.value)

# --- the forms each POST is read with ----------------------------------------------------------------


class AddCasesForm(AppForm):
    """The open cases ticked to list on the agenda."""

    episode_id = SelectMultipleField(validate_choice=False)


def agenda_order_form(items: list[AgendaItem]):
    """The agenda table as edited: a place, a time slot and a presenter per case (`position_<id>`, ...)."""

    class AgendaOrderForm(AppForm):
        def places(self) -> list[AgendaPlace]:
            """The rows as the service takes them; a sentence for the user when one cannot be read."""
            places = []
            for item in items:
                position, slot = self[f"position_{item.id}"].data, (self[f"slot_{item.id}"].data or "").strip()
                if position is None:
                    raise DomainError("Give every case a number for its place on the agenda.")
                try:
                    at = datetime.strptime(slot, "%H:%M").time() if slot else None
                except ValueError:
                    raise DomainError("Enter each time slot as hours and minutes, for example 10:15.") from None
                places.append(AgendaPlace(item.id, position, at, self[f"presenter_{item.id}"].data))
            return places

    for item in items:
        setattr(AgendaOrderForm, f"position_{item.id}", WholeNumberField(validators=[Optional()]))
        setattr(AgendaOrderForm, f"slot_{item.id}", StringField())
        setattr(AgendaOrderForm, f"presenter_{item.id}", IdField(validators=[Optional()]))
    return AgendaOrderForm


def attendance_form(contact_ids: list[int]):
    """The register: one answer per member (`attendance_<contact id>`), blank when not yet taken."""

    class AttendanceForm(AppForm):
        def statuses(self) -> dict[int, str]:
            return {cid: self[f"attendance_{cid}"].data for cid in contact_ids if self[f"attendance_{cid}"].data}

    for contact_id in contact_ids:
        setattr(AttendanceForm, f"attendance_{contact_id}", StringField())
    return AttendanceForm


class MinutesForm(AppForm):
    """A case's minutes; an autosave posts only the fields being typed, so only posted ones are saved. A line
    break is one character, as the page's counter counts it (browsers send two).

    `expected_version` is the case's version when the page (or its last save) was loaded: a save over a
    newer one is refused and both texts stay on the page.
    """

    summary = TextAreaField(filters=[one_character_line_breaks])
    discussion = TextAreaField(filters=[one_character_line_breaks])
    outcome = TextAreaField(filters=[one_character_line_breaks])
    decisions = TextAreaField(filters=[one_character_line_breaks])
    discussed = StringField()
    #: The meeting's decision on the next review, saved onto the case's episode (blank: no change).
    review_on = DateField(validators=[Optional()])
    expected_version = WholeNumberField(validators=[Optional()])
    #: Sent by the page when focus leaves the case (or the page closes): the typing's end reaches the audit trail.
    final = BooleanField()

    def typed(self, every_field: bool = False) -> dict[str, str]:
        return {
            name: self[name].data or "" for name in meeting_room.MINUTE_FIELDS if every_field or self[name].raw_data
        }

    def was_discussed(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.discussed.data)


class HeldForm(AppForm):
    """Marking a meeting as held asks the user to confirm it took place."""

    confirm = BooleanField()


class ActionProgressForm(AppForm):
    """An open action moved on from the minutes: in progress, or done today."""

    status = StringField()


class ChairForm(AppForm):
    """Who chairs the meeting: one of its members, chosen from the list."""

    chair_id = IdField(validators=[Optional()])


class AddActionForm(AppForm):
    """An action agreed in a case's discussion."""

    description = StringField()
    owner_organisation_id = IdField(validators=[Optional()])
    owner_contact_id = IdField(validators=[Optional()])
    due_on = DateField(validators=[Optional()])


class MeetingRoomView(SecureView):
    """`/admin/meeting-room/<id>/`: staff run the meeting; a partner member may only download their agency's log."""

    roles = STAFF | {Role.partner}

    def is_visible(self) -> bool:
        return False

    def _meeting(self, meeting_id: int) -> Meeting:
        return get_or_404(Meeting, meeting_id)

    def _item(self, item_id: int) -> AgendaItem:
        return get_or_404(AgendaItem, item_id)

    def _owners(self):
        live = select(Organisation).where(Organisation.archived_at.is_(None)).order_by(Organisation.name)
        return db.session.scalars(live).all()

    def _back_to(self, meeting_id: int):
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    def _back_to_case(self, item: AgendaItem):
        return redirect(url_for(".minutes", meeting_id=item.meeting_id) + f"#case-{item.id}")

    @expose("/")
    def index(self):
        self.require(STAFF)
        return redirect(url_for("scheduling.index"))

    @expose("/<int:meeting_id>/")
    def meeting(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        items = meeting_room.agenda_items(meeting)
        candidates = meeting_room.candidates_for(meeting)
        shown = [i.patient_id for i in items] + [e.patient_id for e in candidates]
        audit.record_patients_shown(AuditAction.view, shown, table="meeting", detail=f"agenda of meeting {meeting.id}")
        return self.render(
            "admin/meeting_room/meeting.html",
            meeting=meeting,
            items=items,
            flagged=meeting_room.open_safeguarding_patient_ids([i.patient_id for i in items]),
            candidates=candidates,
            cutoff=meeting_room.cutoff_for(meeting),
            members=members_of(meeting.locality),
            register={a.contact_id: a.status for a in meeting.attendance},
            statuses=AttendanceStatus,
            owners=self._owners(),
            next_meeting=meeting_room.next_meeting(meeting),
            contexts=meeting_room.case_contexts(meeting, items),
            started=meeting.starts_at <= utcnow(),
            standing_chair=standing_chair(meeting.locality),
        )

    @expose("/<int:meeting_id>/chair", methods=("POST",))
    def chair(self, meeting_id: int):
        """The chair, changed to another of the meeting's members."""
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        chosen = in_scope(Contact, ChairForm().chair_id.data)
        self.perform(
            lambda: meeting_room.change_chair(meeting, chosen, current_user),
            lambda changed: f"{changed.chair.name} chairs this meeting.",
        )
        return self._back_to(meeting_id)

    @expose("/<int:meeting_id>/add", methods=("POST",))
    def add(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        chosen = [key for key in map(record_id, AddCasesForm().episode_id.raw_data or []) if key is not None]
        scope = row_filters(Episode, current_user)  # the ids posted, checked against the same scope as the lists
        episodes = db.session.scalars(select(Episode).where(Episode.id.in_(chosen), *scope)).all()

        def add_all():
            if not episodes:
                raise DomainError("Choose the cases to add.")
            for episode in episodes:
                meeting_room.add_case_to_agenda(meeting, episode, current_user)

        self.perform(add_all, f"{plural(len(episodes), 'case')} added to the agenda.")
        return self._back_to(meeting_id)

    @expose("/<int:meeting_id>/order", methods=("POST",))
    def order(self, meeting_id: int):
        """Positions, time slots and presenters, as edited in the agenda table."""
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        form = agenda_order_form(meeting_room.agenda_items(meeting))()
        self.perform(lambda: meeting_room.set_agenda_order(meeting, form.places(), current_user), "Agenda saved.")
        return self._back_to(meeting_id)

    @expose("/<int:meeting_id>/attendance", methods=("POST",))
    def attendance(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        contact_ids = {c.id for c in members_of(meeting.locality)} | {a.contact_id for a in meeting.attendance}
        form = attendance_form(sorted(contact_ids))()
        self.perform(
            lambda: meeting_room.record_attendance(meeting, form.statuses(), current_user), "Attendance saved."
        )
        return self._back_to(meeting_id)

    @expose("/<int:meeting_id>/roll-over", methods=("POST",))
    def roll_over(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        done = "Cases not discussed have moved to the next meeting."
        self.perform(lambda: meeting_room.roll_over(meeting, current_user), done)
        return self._back_to(meeting_id)

    @expose("/<int:meeting_id>/held", methods=("POST",))
    def held(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)

        def mark():
            meeting_room.mark_held(meeting, current_user)  # refuses a meeting not yet started, before asking
            if not HeldForm().confirm.data:
                raise DomainError("Tick the box to confirm the meeting took place, then mark it as held.")

        self.perform(mark, "The meeting is marked as held.")
        return self._back_to(meeting_id)

    # --- live minutes ----------------------------------------------------------------------------

    @expose("/<int:meeting_id>/minutes")
    def minutes(self, meeting_id: int):
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        items = [i for i in meeting_room.agenda_items(meeting) if i.status != CaseStatus.withdrawn]
        detail = f"minutes of meeting {meeting.id}"
        audit.record_patients_shown(AuditAction.view, [i.patient_id for i in items], table="meeting", detail=detail)
        contacts = db.session.scalars(select(Contact).where(Contact.archived_at.is_(None)).order_by(Contact.name)).all()
        return self.render(
            "admin/meeting_room/minutes.html",
            meeting=meeting,
            items=items,
            contexts=meeting_room.case_contexts(meeting, items),
            limits=meeting_room.MINUTE_LIMITS,
            progress=(ActionStatus.in_progress, ActionStatus.done),
            owners=self._owners(),
            contacts=contacts,
            flagged=meeting_room.open_safeguarding_patient_ids([i.patient_id for i in items]),
            services=onward.find_services(),
            methods=onward.REFERRAL_METHODS,
            given_to=SignpostedTo,
            referred=onward.referrals_agreed_at([i.id for i in items]),
            signposted=signposting.signposting_given_at([i.id for i in items]),
            review_from=meeting.starts_at.astimezone(LONDON).date() + timedelta(days=1),
            today=today(),
        )

    @expose("/case/<int:item_id>/draft", methods=("POST",))
    def draft(self, item_id: int):
        """Autosave as the coordinator types (JSON): saved with the case's new version, or why not.

        A save over someone else's newer one answers 409 with their text, so the page can show both.
        """
        self.require(STAFF)
        item = self._item(item_id)
        form = MinutesForm()
        typed, discussed, expected = form.typed(), form.was_discussed(), form.expected_version.data
        review_on, autosave = form.review_on.data, not form.final.data

        def save():
            meeting_room.save_minutes(
                item, typed, current_user, discussed=discussed, expected_version=expected, autosave=autosave
            )
            if review_on is not None:
                review_case(item, review_on, current_user)

        done = perform(save, say=False)
        if done:
            return jsonify(saved=True, version=item.version)
        if isinstance(done.error, meeting_room.MinutesChanged):
            changed = done.error
            conflict = dict(version=changed.version, theirs=changed.theirs, discussed=changed.discussed)
            return jsonify(saved=False, conflict=True, message=done.message, **conflict), 409
        return jsonify(saved=False, message=done.message), 400

    @expose("/case/<int:item_id>/save", methods=("POST",))
    def save_case(self, item_id: int):
        """The case's form without scripts: the same save, then back to the case."""
        self.require(STAFF)
        item = self._item(item_id)
        form = MinutesForm()
        typed, discussed, expected = form.typed(every_field=True), form.was_discussed(), form.expected_version.data
        review_on = form.review_on.data

        def save():
            meeting_room.save_minutes(item, typed, current_user, discussed=discussed, expected_version=expected)
            if review_on is not None:
                review_case(item, review_on, current_user)

        self.perform(save, f"Minutes saved for {item.patient}.")
        return self._back_to_case(item)

    @expose("/case/<int:item_id>/earlier-action/<int:action_id>", methods=("POST",))
    def action_progress(self, item_id: int, action_id: int):
        """An action still open from an earlier meeting, moved on while the case is discussed."""
        self.require(STAFF)
        item = self._item(item_id)
        action = get_or_404(Action, action_id)
        if action.patient_id != item.patient_id:
            abort(404)
        status = ActionProgressForm().status.data
        self.perform(lambda: update_action_status(action, current_user, status), "Action updated.")
        return self._back_to_case(item)

    @expose("/case/<int:item_id>/action", methods=("POST",))
    def add_action(self, item_id: int):
        self.require(STAFF)
        item = self._item(item_id)
        form = AddActionForm()

        def add():
            owner = in_scope(Organisation, form.owner_organisation_id.data)
            if owner is None:
                raise DomainError("Choose the agency that owns the action.")
            person = in_scope(Contact, form.owner_contact_id.data)
            if form.due_on.data is None:
                raise DomainError("Enter the due date.")
            meeting_room.add_action(item, form.description.data or "", owner, form.due_on.data, current_user, person)

        self.perform(add, "Action added.")
        return self._back_to_case(item)

    @expose("/case/<int:item_id>/onward", methods=("POST",))
    def refer_onward(self, item_id: int):
        """A referral on agreed in the case's discussion, to a directory service or one typed."""
        self.require(STAFF)
        item = self._item(item_id)
        form = OnwardReferralForm()
        if not form.validate():
            flash(form.first_error(), "error")
            return self._back_to_case(item)

        def refer():
            return onward.refer_onward(
                item.patient, current_user, on=form.referred_on.data, directory_service=form.directory_service(),
                service_name=form.service_name.data, reason=form.reason.data, method=form.method.data, agenda_item=item,
            )  # fmt: skip

        self.perform(refer, lambda referral: f"Onward referral to {referral.service} recorded for {item.patient}.")
        return self._back_to_case(item)

    @expose("/case/<int:item_id>/signpost", methods=("POST",))
    def signpost(self, item_id: int):
        """Signposting agreed in the case's discussion: to whom, which service, what was advised."""
        self.require(STAFF)
        item = self._item(item_id)
        form = SignpostingForm()
        if not form.validate():
            flash(form.first_error(), "error")
            return self._back_to_case(item)

        def give():
            return signposting.signpost(
                item.patient, current_user, on=form.given_on.data, given_to=form.given_to.data, what=form.what.data,
                directory_service=form.directory_service(), service_name=form.service_name.data, agenda_item=item,
            )  # fmt: skip

        self.perform(give, lambda given: f"Signposting to {given.service} recorded for {item.patient}.")
        return self._back_to_case(item)

    # --- documents -------------------------------------------------------------------------------

    @expose("/<int:meeting_id>/document/<kind>")
    def document(self, meeting_id: int, kind: str):
        meeting = self._meeting(meeting_id)
        if kind not in DocumentKind._value2member_map_:
            abort(404)
        kind = DocumentKind(kind)
        organisation = None
        if current_user.role == Role.partner:
            # A partner: only their own agency's action log (a meeting outside their localities is not found above).
            if kind != DocumentKind.action_log:
                abort(403)
            organisation = current_user.organisation
        elif request.args.get("organisation"):
            organisation = in_scope(Organisation, request.args["organisation"])
        done = self.perform(lambda: documents.generate(kind, meeting, current_user, organisation))
        if not done:
            return self._back_to(meeting_id)
        generated = done.value
        return send_file(
            io.BytesIO(generated.content), mimetype=DOCX, as_attachment=True, download_name=generated.filename
        )

    @expose("/<int:meeting_id>/send/<kind>", methods=("GET", "POST"))
    def send(self, meeting_id: int, kind: str):
        """GET shows who will receive what, and who will not and why; POST (the confirm button) sends it."""
        self.require(STAFF)
        meeting = self._meeting(meeting_id)
        if kind not in SENDABLE:
            abort(404)
        plan = documents.plan_sending(DocumentKind(kind), meeting)
        if request.method == "GET":
            return self.render("admin/meeting_room/send.html", meeting=meeting, plan=plan)
        done = self.perform(lambda: documents.send_planned(plan, meeting, current_user))
        if done:
            report = done.value
            refused = f" Not sent (no secure address): {', '.join(report.refused)}." if report.refused else ""
            flash(f"Queued for {len(report.sent_to)} address(es).{refused}", "warning" if report.refused else "success")
        return self._back_to(meeting_id)


def register(admin) -> None:
    admin.add_view(MeetingRoomView(name="Meeting", endpoint="meeting_room", url="/admin/meeting-room"))
