"""Meetings, their agenda of case discussions, attendance, and the actions agreed with their chasers."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, bindparam, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formats.dates import format_datetime, format_slot
from models.base import (
    NARRATIVE_LENGTH,
    ArchivableMixin,
    LabelledEnum,
    SearchableMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    db,
    enum_column,
)

if TYPE_CHECKING:
    from models.care import OnwardReferral
    from models.patients import Patient
    from models.people import Contact, Locality, Organisation, User
    from models.referrals import Episode, Referral


class MeetingStatus(LabelledEnum):
    planned = "planned", "Planned"
    booked = "booked", "Booked"
    held = "held", "Held"
    cancelled = "cancelled", "Cancelled"


class Meeting(TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A locality's ILR meeting on Teams."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 600", name="sensible_duration"),
        Index("ix_meeting_locality_starts", "locality_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    teams_link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[MeetingStatus] = enum_column(MeetingStatus, default=MeetingStatus.planned, index=True)
    #: Calendar invitation SEQUENCE: raised each time the invitation changes.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Who took the minutes: the first person to record them.
    minute_taker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    locality: Mapped[Locality] = relationship()
    chair: Mapped[Contact | None] = relationship()
    minute_taker: Mapped[User | None] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting")

    def __str__(self) -> str:

        return f"{self.locality} ILR {format_slot(self.starts_at)}" if self.locality else f"Meeting {self.id}"

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.starts_at}>"


class CaseStatus(LabelledEnum):
    listed = "listed", "Listed"
    discussed = "discussed", "Discussed"
    not_reached = "not_reached", "Not reached"
    rolled_over = "rolled_over", "Rolled over"
    withdrawn = "withdrawn", "Withdrawn"


class AgendaItem(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A patient's case on a meeting's agenda and, once held, its discussion (one per patient per meeting)."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "patient_id", name="uq_agenda_item_meeting_patient"),
        #: The agenda-item list's default order over live rows.
        Index("ix_agenda_item_live_meeting", "archived_at", "meeting_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    slot_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    #: Added after the cut-off before the meeting.
    late_addition: Mapped[bool] = mapped_column(default=False, server_default="0")
    status: Mapped[CaseStatus] = enum_column(CaseStatus, default=CaseStatus.listed, index=True)
    summary: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    discussion: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    outcome: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    decisions: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    patient: Mapped[Patient] = relationship()
    episode: Mapped[Episode | None] = relationship()
    referral: Mapped[Referral | None] = relationship()
    presenter: Mapped[Contact | None] = relationship()
    actions: Mapped[list[Action]] = relationship(back_populates="agenda_item")

    def __str__(self) -> str:
        return f"{self.patient} at {self.meeting}"

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} meeting={self.meeting_id} patient={self.patient_id}>"


class AttendanceStatus(LabelledEnum):
    invited = "invited", "Invited"
    attended = "attended", "Attended"
    apologies = "apologies", "Apologies"
    absent = "absent", "Absent"


class Attendance(TimestampMixin, db.Model):
    """Whether a member came to a meeting."""

    __tablename__ = "attendance"
    #: Seen through this relationship: a list, look-up or page shows the row only where it shows the parent (access).
    scope_parent = "meeting"
    __table_args__ = (UniqueConstraint("meeting_id", "contact_id", name="uq_attendance_meeting_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    status: Mapped[AttendanceStatus] = enum_column(AttendanceStatus, default=AttendanceStatus.invited)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    contact: Mapped[Contact] = relationship()

    def __str__(self) -> str:
        return f"{self.contact}: {self.status.label}"

    def __repr__(self) -> str:
        return f"<Attendance {self.id} {self.status.value}>"


class ActionStatus(LabelledEnum):
    open = "open", "Open"
    in_progress = "in_progress", "In progress"
    done = "done", "Done"
    cancelled = "cancelled", "Cancelled"


#: An action not yet done or cancelled: listed, chased and counted as open.
STILL_OPEN = (ActionStatus.open, ActionStatus.in_progress)
#: The rows of the partial index `ix_action_open_due`: the open actions still live (a few per cent of them all).
OPEN_AND_LIVE = text(f"status IN ({', '.join(repr(s.value) for s in STILL_OPEN)}) AND archived_at IS NULL")


class Action(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """Something an agency agreed to do for a patient, chased until done."""

    __tablename__ = "action"
    __table_args__ = (
        CheckConstraint("status <> 'done' OR completed_on IS NOT NULL", name="done_has_completion_date"),
        Index("ix_action_status_due", "status", "due_on"),
        #: The open actions in due order (the action list's default, the overdue to chase): a page read from the
        #: index, not found by walking a million actions, most of them done, in due order. It holds every column
        #: the overdue counts read (the patient, and the status and archiving its own condition names: SQLite reads a
        #: row from its table for any column an index lacks), so those counts never leave it (migration 0026).
        Index(
            "ix_action_open_due",
            "due_on",
            "id",
            "patient_id",
            "status",
            "archived_at",
            sqlite_where=OPEN_AND_LIVE,
            postgresql_where=OPEN_AND_LIVE,
        ),  # fmt: skip
        Index("ix_action_owner_status", "owner_organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    description: Mapped[str] = mapped_column(String(2000))
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    owner_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = enum_column(ActionStatus, default=ActionStatus.open)
    completed_on: Mapped[date | None]

    agenda_item: Mapped[AgendaItem | None] = relationship(back_populates="actions")
    patient: Mapped[Patient] = relationship()
    owner_organisation: Mapped[Organisation] = relationship()
    owner_contact: Mapped[Contact | None] = relationship()
    chases: Mapped[list[ActionChase]] = relationship(back_populates="action", order_by="ActionChase.chased_at")
    updates: Mapped[list[ActionUpdate]] = relationship(back_populates="action", order_by="ActionUpdate.at")

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 60 else self.description[:57] + "..."
        return f"{text} (due {self.due_on:%d/%m/%Y})"

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.status.value if self.status else None}>"

    def is_overdue(self, today: date) -> bool:
        """Overdue is derived, never stored: still open after its due date."""
        return self.status in STILL_OPEN and self.due_on < today

    @classmethod
    def still_open(cls):
        """SQL: open or in progress, the statuses written into the statement (not bound parameters) so that the
        planner of either database sees they are the partial index's and reads a page of open actions from it."""
        return cls.status.in_(bindparam(None, list(STILL_OPEN), expanding=True, literal_execute=True))


class ChaseMethod(LabelledEnum):
    email = "email", "Email"
    phone = "phone", "Phone"
    meeting = "meeting", "At the meeting"


class ActionChase(SearchableMixin, TimestampMixin, db.Model):
    """One chase of an action or of an onward referral still waiting: when, how, by whom, what was said, and (for an
    action) the update link it carried. It belongs to exactly one of the two."""

    __tablename__ = "action_chase"
    #: Seen through this relationship: a list, look-up or page shows the row only where it shows the parent (access).
    scope_parent = "action"
    __table_args__ = (
        Index("ix_action_chase_action_at", "action_id", "chased_at"),
        CheckConstraint(
            "(action_id IS NOT NULL AND onward_referral_id IS NULL)"
            " OR (action_id IS NULL AND onward_referral_id IS NOT NULL)",
            name="one_parent",
        ),
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_action_chase_chased", "chased_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The action chased, or null when the chase is of an onward referral.
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"), index=True)
    #: The onward referral whose outcome was chased, or null when the chase is of an action.
    onward_referral_id: Mapped[int | None] = mapped_column(ForeignKey("onward_referral.id"), index=True)
    chased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Null for the daily job (`flask chase-overdue`).
    chased_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    method: Mapped[ChaseMethod] = enum_column(ChaseMethod, default=ChaseMethod.email)
    note: Mapped[str | None] = mapped_column(String(1000))
    #: Who the chase email went to (the owner, or the agency's secure mailbox when no person is named).
    sent_to: Mapped[str | None] = mapped_column(String(254))
    #: Random part of the update link in the email (the link itself is signed: see services.chasing).
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the link was used to record an update: a link works once.
    link_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    action: Mapped[Action | None] = relationship(back_populates="chases")
    onward_referral: Mapped[OnwardReferral | None] = relationship(back_populates="chases")
    chased_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        if self.onward_referral_id is not None:
            return f"{self.method.label} chase of an onward referral, {format_datetime(self.chased_at)}"
        return f"{self.method.label} chase of an action, {format_datetime(self.chased_at)}"

    def __repr__(self) -> str:
        parent = (
            f"onward={self.onward_referral_id}" if self.onward_referral_id is not None else f"action={self.action_id}"
        )
        return f"<ActionChase {self.id} {parent}>"


class ActionUpdate(TimestampMixin, db.Model):
    """A step its owner reports on an action (in progress, done), with a note: signed in, or by a chase link."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ActionStatus] = enum_column(ActionStatus)
    note: Mapped[str | None] = mapped_column(String(2000))
    #: Who reported it: a signed-in user, or (through a chase link) the person the chase went to.
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    by_name: Mapped[str] = mapped_column(String(254))
    #: The chase whose link was used, when it came by email.
    chase_id: Mapped[int | None] = mapped_column(ForeignKey("action_chase.id"), index=True)

    action: Mapped[Action] = relationship(back_populates="updates")

    def __str__(self) -> str:
        return f"{self.status.label} ({self.by_name})"

    def __repr__(self) -> str:
        return f"<ActionUpdate {self.id} action={self.action_id} {self.status.value if self.status else None}>"


class PollStatus(LabelledEnum):
    open = "open", "Open"
    booked = "booked", "Booked"
    closed = "closed", "Closed"


class AvailabilityPoll(TimestampMixin, db.Model):
    """The coordinator's "are you free?" for a locality's meeting: candidate slots, one link per member."""

    __tablename__ = "availability_poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    #: Links stop working after this time.
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[PollStatus] = enum_column(PollStatus, default=PollStatus.open)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The meeting booked from the poll.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)

    locality: Mapped[Locality] = relationship()
    slots: Mapped[list[PollSlot]] = relationship(back_populates="poll", order_by="PollSlot.starts_at")
    invitations: Mapped[list[PollInvitation]] = relationship(back_populates="poll")
    meeting: Mapped[Meeting | None] = relationship()

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:
        return f"<AvailabilityPoll {self.id}>"


class PollSlot(TimestampMixin, db.Model):
    """One candidate date and time in a poll."""

    __tablename__ = "poll_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("availability_poll.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)

    poll: Mapped[AvailabilityPoll] = relationship(back_populates="slots")

    def __str__(self) -> str:

        return format_slot(self.starts_at)

    def __repr__(self) -> str:
        return f"<PollSlot {self.id} {self.starts_at}>"


class PollInvitation(TimestampMixin, db.Model):
    """A member's personal link to a poll, and the slots they ticked."""

    __tablename__ = "poll_invitation"
    __table_args__ = (UniqueConstraint("poll_id", "contact_id", name="uq_poll_invitation_poll_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("availability_poll.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    #: Random part of the member's link; the link itself is signed with the poll id (see services.polls).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: Ids of the slots the member can make, comma-separated; null until they answer.
    available_slot_ids: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_count: Mapped[int] = mapped_column(default=0, server_default="0")

    poll: Mapped[AvailabilityPoll] = relationship(back_populates="invitations")
    contact: Mapped[Contact] = relationship()

    def __str__(self) -> str:
        return f"{self.contact} for {self.poll}"

    def __repr__(self) -> str:
        return f"<PollInvitation {self.id} poll={self.poll_id} contact={self.contact_id}>"

    @property
    def slot_ids(self) -> set[int]:
        return {int(i) for i in (self.available_slot_ids or "").split(",") if i}
