"""The meeting itself: build the agenda, take the register, minute case by case, produce and send the documents."""

from __future__ import annotations

import io
from datetime import date, datetime

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from access import STAFF
from admin.base import SecureView
from models import (
    AgendaItem,
    AttendanceStatus,
    Contact,
    DocumentKind,
    DomainError,
    Episode,
    Meeting,
    MeetingMember,
    Organisation,
    Role,
    db,
)
from services import documents, meeting_room
from services.documents import DOCX
from services.scheduling import members_of
from timefmt import LONDON, today


class MeetingRoomView(SecureView):
    """`/admin/meeting-room/<id>/`: staff run the meeting here; a partner member may only download their agency's actions."""

    roles = STAFF | {Role.partner}

    def is_visible(self) -> bool:
        return False

    def _staff_only(self) -> None:
        if current_user.role not in STAFF:
            abort(403)

    def _meeting(self, meeting_id: int) -> Meeting:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None or meeting.archived_at is not None:
            abort(404)
        return meeting

    def _item(self, item_id: int) -> AgendaItem:
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.archived_at is not None:
            abort(404)
        return item

    def _run(self, operation, success: str | None = None) -> bool:
        try:
            operation()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        db.session.commit()
        if success:
            flash(success, "success")
        return True

    @expose("/")
    def index(self):
        self._staff_only()
        return redirect(url_for("scheduling.index"))

    @expose("/<int:meeting_id>/")
    def meeting(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        items = meeting_room.agenda_items(meeting)
        flagged = meeting_room.open_safeguarding_patient_ids([i.patient_id for i in items])
        register = {a.contact_id: a.status for a in meeting.attendance}
        return self.render(
            "admin/meeting_room/meeting.html",
            meeting=meeting,
            items=items,
            flagged=flagged,
            candidates=meeting_room.candidates_for(meeting),
            cutoff=meeting_room.cutoff_for(meeting),
            members=members_of(meeting.locality),
            register=register,
            statuses=AttendanceStatus,
            owners=self._owners(),
            next_meeting=meeting_room.next_meeting(meeting),
        )

    def _owners(self):
        return db.session.scalars(
            select(Organisation).where(Organisation.archived_at.is_(None)).order_by(Organisation.name)
        ).all()

    @expose("/<int:meeting_id>/add", methods=("POST",))
    def add(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        ids = [int(i) for i in request.form.getlist("episode_id") if i.isdigit()]
        episodes = db.session.scalars(select(Episode).where(Episode.id.in_(ids))).all()

        def add_all():
            if not episodes:
                raise DomainError("Choose the cases to add.")
            for episode in episodes:
                meeting_room.add_case(meeting, episode, current_user)

        self._run(add_all, f"{len(episodes)} case(s) added to the agenda.")
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    @expose("/<int:meeting_id>/order", methods=("POST",))
    def order(self, meeting_id: int):
        """Positions, time slots and presenters, as edited in the agenda table."""
        self._staff_only()
        meeting = self._meeting(meeting_id)

        def save():
            items = {i.id: i for i in meeting.agenda}
            positions = {}
            for item_id, item in items.items():
                raw = request.form.get(f"position_{item_id}", "")
                if not raw.isdigit():
                    raise DomainError("Give every case a number for its place on the agenda.")
                positions[item_id] = int(raw)
                presenter = request.form.get(f"presenter_{item_id}", "")
                item_presenter = int(presenter) if presenter.isdigit() else None
                if item.presenter_id != item_presenter:
                    item.presenter_id = item_presenter
                slot = request.form.get(f"slot_{item_id}", "")
                if slot:
                    hour, _, minute = slot.partition(":")
                    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                        raise DomainError("Enter each time slot as hours and minutes, for example 10:15.")
                    start = meeting.starts_at.astimezone(LONDON)
                    when = datetime(start.year, start.month, start.day, int(hour), int(minute), tzinfo=LONDON)
                    if item.slot_starts_at != when:
                        item.slot_starts_at = when
            meeting_room.reorder(meeting, sorted(positions, key=lambda i: (positions[i], i)), current_user)

        self._run(save, "Agenda saved.")
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    @expose("/<int:meeting_id>/attendance", methods=("POST",))
    def attendance(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        statuses = {
            int(k.removeprefix("attendance_")): v for k, v in request.form.items() if k.startswith("attendance_") and v
        }
        self._run(lambda: meeting_room.record_attendance(meeting, statuses, current_user), "Attendance saved.")
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    @expose("/<int:meeting_id>/roll-over", methods=("POST",))
    def roll_over(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        self._run(
            lambda: meeting_room.roll_over(meeting, current_user), "Cases not discussed have moved to the next meeting."
        )
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    @expose("/<int:meeting_id>/held", methods=("POST",))
    def held(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        self._run(lambda: meeting_room.mark_held(meeting, current_user), "The meeting is marked as held.")
        return redirect(url_for(".meeting", meeting_id=meeting_id))

    # --- live minutes ----------------------------------------------------------------------------

    @expose("/<int:meeting_id>/minutes")
    def minutes(self, meeting_id: int):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        items = [i for i in meeting_room.agenda_items(meeting) if i.status.value != "withdrawn"]
        contacts = db.session.scalars(select(Contact).where(Contact.archived_at.is_(None)).order_by(Contact.name)).all()
        return self.render(
            "admin/meeting_room/minutes.html",
            meeting=meeting,
            items=items,
            owners=self._owners(),
            contacts=contacts,
            flagged=meeting_room.open_safeguarding_patient_ids([i.patient_id for i in items]),
            today=today(),
        )

    @expose("/case/<int:item_id>/draft", methods=("POST",))
    def draft(self, item_id: int):
        """Autosave as the coordinator types (JSON); nothing typed is lost to a timeout or a closed tab."""
        self._staff_only()
        item = self._item(item_id)
        try:
            meeting_room.save_minutes(
                item, {k: request.form.get(k, "") for k in meeting_room.MINUTE_FIELDS if k in request.form}, current_user
            )
        except DomainError as exc:
            db.session.rollback()
            return jsonify(saved=False, message=str(exc)), 400
        db.session.commit()
        return jsonify(saved=True)

    @expose("/case/<int:item_id>/save", methods=("POST",))
    def save_case(self, item_id: int):
        self._staff_only()
        item = self._item(item_id)
        discussed = request.form.get("discussed")
        fields = {k: request.form.get(k, "") for k in meeting_room.MINUTE_FIELDS}
        self._run(
            lambda: meeting_room.save_minutes(
                item, fields, current_user, discussed={"yes": True, "no": False}.get(discussed)
            ),
            f"Minutes saved for {item.patient}.",
        )
        return redirect(url_for(".minutes", meeting_id=item.meeting_id) + f"#case-{item.id}")

    @expose("/case/<int:item_id>/action", methods=("POST",))
    def add_action(self, item_id: int):
        self._staff_only()
        item = self._item(item_id)

        def add():
            owner = (
                db.session.get(Organisation, int(request.form["owner_organisation_id"]))
                if request.form.get("owner_organisation_id", "").isdigit()
                else None
            )
            if owner is None:
                raise DomainError("Choose the agency that owns the action.")
            person = (
                db.session.get(Contact, int(request.form["owner_contact_id"]))
                if request.form.get("owner_contact_id", "").isdigit()
                else None
            )
            try:
                due = date.fromisoformat(request.form.get("due_on", ""))
            except ValueError:
                raise DomainError("Enter the due date.") from None
            meeting_room.add_action(item, request.form.get("description", ""), owner, due, current_user, person)

        self._run(add, "Action added.")
        return redirect(url_for(".minutes", meeting_id=item.meeting_id) + f"#case-{item.id}")

    # --- documents -------------------------------------------------------------------------------

    @expose("/<int:meeting_id>/document/<kind>")
    def document(self, meeting_id: int, kind: str):
        meeting = self._meeting(meeting_id)
        try:
            kind = DocumentKind(kind)
        except ValueError:
            abort(404)
        organisation = None
        if current_user.role == Role.partner:
            # A partner: only their own agency's action log, and only for a meeting of a locality they sit on.
            member = db.session.scalar(
                select(MeetingMember.id)
                .join(Contact)
                .where(
                    MeetingMember.locality_id == meeting.locality_id,
                    Contact.user_id == current_user.id,
                    MeetingMember.archived_at.is_(None),
                )
            )
            if kind != DocumentKind.action_log or member is None:
                abort(403)
            organisation = current_user.organisation
        elif request.args.get("organisation", "").isdigit():
            organisation = db.session.get(Organisation, int(request.args["organisation"]))
        generated = documents.generate(kind, meeting, current_user, organisation)
        db.session.commit()
        return send_file(
            io.BytesIO(generated.content), mimetype=DOCX, as_attachment=True, download_name=generated.filename
        )

    @expose("/<int:meeting_id>/send/<kind>", methods=("POST",))
    def send(self, meeting_id: int, kind: str):
        self._staff_only()
        meeting = self._meeting(meeting_id)
        if kind not in ("agenda", "minutes", "action_log"):
            abort(404)
        report = None

        def send_it():
            nonlocal report
            if kind == "action_log":
                report = documents.send_action_extracts(meeting, current_user)
            else:
                report = documents.send_to_members(DocumentKind(kind), meeting, current_user)

        if self._run(send_it):
            flash(
                f"Queued for {len(report.sent_to)} address(es)."
                + (f" Not sent (no secure address): {', '.join(report.refused)}." if report.refused else ""),
                "success" if not report.refused else "warning",
            )
        return redirect(url_for(".meeting", meeting_id=meeting_id))


def register(admin) -> None:
    admin.add_view(MeetingRoomView(name="Meeting", endpoint="meeting_room", url="/admin/meeting-room"))
