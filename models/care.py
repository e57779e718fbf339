"""The shared care plan (versioned, with the patient's goals), the services directory, onward referrals and
safeguarding."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, bindparam, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    NARRATIVE_LENGTH,
    ArchivableMixin,
    DomainError,
    LabelledEnum,
    SearchableMixin,
    TimestampMixin,
    VersionedMixin,
    db,
    enum_column,
)

if TYPE_CHECKING:
    from models.meetings import ActionChase, AgendaItem
    from models.patients import Patient
    from models.people import Organisation, User
    from models.referrals import Episode
    from models.system import OutboxEmail


class CarePlanState(LabelledEnum):
    draft = "draft", "Draft"
    agreed = "agreed", "Agreed"


class CarePlan(TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """One version of a patient's multi-agency shared care plan; agreed versions are frozen."""

    __tablename__ = "care_plan"
    __table_args__ = (
        UniqueConstraint("patient_id", "number", name="uq_care_plan_patient_number"),
        CheckConstraint("state <> 'agreed' OR agreed_on IS NOT NULL", name="agreed_has_date"),
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_care_plan_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    #: Version number for this patient: 1, 2, 3...
    number: Mapped[int] = mapped_column(default=1)
    #: active_history: the freeze rule needs the state before an unsaved change.
    state: Mapped[CarePlanState] = enum_column(
        CarePlanState, default=CarePlanState.draft, index=True, active_history=True
    )
    about_me: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    what_matters: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    support_by_agency: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    contingency_plan: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    carers_and_contacts: Mapped[str | None] = mapped_column(String(2000))
    #: Who the person chose to involve in their plan (PCSP: the person is central and chooses).
    involved: Mapped[str | None] = mapped_column(String(2000))
    #: For the agencies only: left out of the patient's own copy.
    notes_for_professionals: Mapped[str | None] = mapped_column(String(NARRATIVE_LENGTH))
    review_on: Mapped[date | None]
    agreed_on: Mapped[date | None]
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: With whom it was agreed: the patient, their carer...
    agreed_with: Mapped[str | None] = mapped_column(String(300))

    patient: Mapped[Patient] = relationship()
    episode: Mapped[Episode | None] = relationship()
    agreed_by: Mapped[User | None] = relationship()
    goals: Mapped[list[Goal]] = relationship(back_populates="care_plan", order_by=lambda: (Goal.position, Goal.id))
    shares: Mapped[list[CarePlanShare]] = relationship(back_populates="care_plan")

    def __str__(self) -> str:
        return f"Care plan v{self.number} ({self.state.label.lower()}) for {self.patient}"

    def __repr__(self) -> str:
        return f"<CarePlan {self.id} patient={self.patient_id} v{self.number}>"


class GoalDomain(LabelledEnum):
    physical = "physical", "Physical"
    psychological = "psychological", "Psychological"
    social = "social", "Social"
    functional = "functional", "Functional"
    environmental = "environmental", "Environmental"


class GoalStatus(LabelledEnum):
    proposed = "proposed", "Proposed"
    in_progress = "in_progress", "In progress"
    achieved = "achieved", "Achieved"
    partly_achieved = "partly_achieved", "Partly achieved"
    not_achieved = "not_achieved", "Not achieved"
    no_longer_relevant = "no_longer_relevant", "No longer relevant"


class Goal(SearchableMixin, TimestampMixin, VersionedMixin, db.Model):
    """A goal in the patient's own words, on one care-plan version."""

    __tablename__ = "goal"
    __table_args__ = (
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_goal_plan_order", "care_plan_id", "id"),
    )
    #: Seen through this relationship: a list, look-up or page shows the row only where it shows the parent (access).
    scope_parent = "care_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id"), index=True)
    description: Mapped[str] = mapped_column(String(1000))
    domain: Mapped[GoalDomain] = enum_column(GoalDomain)
    target_on: Mapped[date | None]
    status: Mapped[GoalStatus] = enum_column(GoalStatus, default=GoalStatus.proposed, index=True)
    #: Its place in the plan's list (1 first): set when it is added, changed by moving it up or down in a draft.
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    care_plan: Mapped[CarePlan] = relationship(back_populates="goals")
    updates: Mapped[list[GoalUpdate]] = relationship(back_populates="goal", order_by="GoalUpdate.id")

    @property
    def current_status(self) -> GoalStatus:
        """The latest dated update's status on an agreed plan, else the status the plan was agreed with."""
        return self.updates[-1].status if self.updates else self.status

    def __str__(self) -> str:
        return self.description if len(self.description) <= 60 else self.description[:57] + "..."

    def __repr__(self) -> str:
        return f"<Goal {self.id} {self.status.value if self.status else None}>"


class GoalUpdate(TimestampMixin, db.Model):
    """Progress on a goal of an agreed plan, dated: the plan itself stays as agreed."""

    __tablename__ = "goal_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    status: Mapped[GoalStatus] = enum_column(GoalStatus)
    recorded_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    goal: Mapped[Goal] = relationship(back_populates="updates")
    recorded_by: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.status.label} on {self.recorded_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<GoalUpdate {self.id} goal={self.goal_id}>"


class CarePlanShare(TimestampMixin, db.Model):
    """A care-plan version sent to the GP (or another agency): when, by whom."""

    __tablename__ = "care_plan_share"
    #: Seen through this relationship: a list, look-up or page shows the row only where it shows the parent (access).
    scope_parent = "care_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id"), index=True)
    shared_on: Mapped[date] = mapped_column(index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    shared_with_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    method: Mapped[str | None] = mapped_column(String(100))
    #: The email that carries it, when sent from the tool: the share counts once that email has gone.
    outbox_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id"), index=True)

    care_plan: Mapped[CarePlan] = relationship(back_populates="shares")
    shared_by: Mapped[User] = relationship()
    shared_with: Mapped[Organisation] = relationship()
    outbox_email: Mapped[OutboxEmail | None] = relationship()

    def __str__(self) -> str:
        return f"v{self.care_plan.number if self.care_plan else '?'} shared {self.shared_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<CarePlanShare {self.id} plan={self.care_plan_id}>"


class CarePlanForGp(db.Model):
    """An agreed care plan waiting to go to the patient's GP practice: the latest agreed version of a patient on the
    caseload, not shared with the practice they are registered with (the rule: `services.plans_for_the_gp`).

    Derived, never typed: kept in step at every flush that touches a plan, a share or a patient's practice, and
    rebuilt after bulk loads, so that the home pages and the care plan list read the few thousand such plans rather
    than checking each of ninety thousand agreed ones (bench/results.md). Not audited (the plans and shares are).
    """

    __tablename__ = "care_plan_for_gp"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    #: The plan's own date: the lists read the oldest first without going back to the plans.
    agreed_on: Mapped[date]

    def __str__(self) -> str:
        return f"Care plan waiting to go to the GP (agreed {self.agreed_on:%d/%m/%Y})"

    def __repr__(self) -> str:
        return f"<CarePlanForGp plan={self.care_plan_id} patient={self.patient_id}>"


class OnwardMethod(LabelledEnum):
    """How a referral onward is made, or, in the directory, how a service takes referrals ("signposted": people
    contact it themselves, so the ILR records a `Signposting`, never an onward referral sent that way)."""

    email = "email", "Secure email"
    form = "form", "Referral form"
    phone = "phone", "Phone"
    letter = "letter", "Letter"
    signposted = "signposted", "Signposted (the patient or carer makes contact)"


class DirectoryService(TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A health, social-care or voluntary service the team signposts and refers to, kept by the team lead."""

    __tablename__ = "directory_service"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    offers: Mapped[str | None] = mapped_column(String(2000))
    #: Who the service is for: ages, conditions, where they live, any criteria.
    who_for: Mapped[str | None] = mapped_column(String(1000))
    how_to_refer: Mapped[OnwardMethod | None] = enum_column(OnwardMethod)
    referral_form_url: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: Where referrals naming a patient may be emailed (it must pass the secure-domain check).
    secure_email: Mapped[str | None] = mapped_column(String(254))
    area: Mapped[str | None] = mapped_column(String(300))

    organisation: Mapped[Organisation | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})" if self.organisation else self.name

    def __repr__(self) -> str:
        return f"<DirectoryService {self.id} {self.name!r}>"


class OnwardOutcome(LabelledEnum):
    waiting = "waiting", "Waiting"
    accepted = "accepted", "Accepted"
    declined = "declined", "Declined"


#: The rows of the partial index `ix_onward_referral_waiting`: live referrals still waiting for an answer.
WAITING_AND_LIVE = text("outcome = 'waiting' AND archived_at IS NULL")


class OnwardReferral(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A referral onward from the ILR to another service, and what the receiving service decided (waiting until it
    answers). Advice about a service the patient or carer contacts themselves is a `Signposting` instead."""

    __tablename__ = "onward_referral"
    __table_args__ = (
        CheckConstraint("outcome = 'waiting' OR outcome_on IS NOT NULL", name="outcome_has_date"),
        #: Signposting is its own record (`Signposting`), never a referral waiting for an answer.
        CheckConstraint("method IS NULL OR method <> 'signposted'", name="not_signposting"),
        #: Referrals by outcome in date order (the KPIs' onward figures, the list's outcome filter).
        Index("ix_onward_referral_outcome_referred", "outcome", "referred_on"),
        #: The waiting list, oldest first, and its counts: the live ones waiting, with every column those read
        #: (migration 0026; `OnwardReferral.waiting`).
        Index(
            "ix_onward_referral_waiting",
            "referred_on",
            "id",
            "patient_id",
            "outcome",
            "archived_at",
            sqlite_where=WAITING_AND_LIVE,
            postgresql_where=WAITING_AND_LIVE,
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    #: The service's name: the directory's when chosen from it, else as typed.
    service: Mapped[str] = mapped_column(String(200), index=True)
    directory_service_id: Mapped[int | None] = mapped_column(ForeignKey("directory_service.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    referred_on: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(String(2000))
    #: How it was sent (never "signposted": that is a `Signposting`); null on referrals recorded before the directory.
    method: Mapped[OnwardMethod | None] = enum_column(OnwardMethod)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The case discussion it was agreed in, when made from the live minutes.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    outcome: Mapped[OnwardOutcome] = enum_column(OnwardOutcome, default=OnwardOutcome.waiting)
    outcome_on: Mapped[date | None]

    patient: Mapped[Patient] = relationship()
    episode: Mapped[Episode | None] = relationship()
    directory_service: Mapped[DirectoryService | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    referred_by: Mapped[User | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    chases: Mapped[list[ActionChase]] = relationship(back_populates="onward_referral", order_by="ActionChase.chased_at")

    def __str__(self) -> str:
        return f"{self.service} ({self.referred_on:%d/%m/%Y})"

    def __repr__(self) -> str:
        return f"<OnwardReferral {self.id} {self.service!r}>"

    @classmethod
    def waiting(cls):
        """SQL: still waiting for the service's answer, the outcome written into the statement (not a bound
        parameter) so that either database's planner sees it is the partial index's (`ix_onward_referral_waiting`)."""
        return cls.outcome == bindparam(None, OnwardOutcome.waiting, literal_execute=True)


class SignpostedTo(LabelledEnum):
    """Whom signposting advice was given to."""

    patient = "patient", "The patient"
    carer = "carer", "Their carer"
    both = "both", "The patient and their carer"


class Signposting(TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """Advice given to the patient or their carer about a service they contact themselves, recorded as given: to whom,
    what, when. Nothing comes back from the service, so it never waits for an answer and is never chased; an
    `OnwardReferral` is the ILR referring to a service, which answers."""

    __tablename__ = "signposting"
    __table_args__ = (CheckConstraint("length(service) > 0", name="service_named"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    #: The service's name: the directory's when chosen from it, else as typed.
    service: Mapped[str] = mapped_column(String(200), index=True)
    directory_service_id: Mapped[int | None] = mapped_column(ForeignKey("directory_service.id"), index=True)
    given_on: Mapped[date] = mapped_column(index=True)
    #: Asked of every signposting recorded (services.signposting); null only on signposting recorded as an onward
    #: referral before migration 0020, which did not ask.
    given_to: Mapped[SignpostedTo | None] = enum_column(SignpostedTo)
    #: What was advised: what the service offers them, how to contact it.
    what: Mapped[str | None] = mapped_column(String(2000))
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The case discussion it was agreed in, when recorded from the live minutes.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    #: Anything else worth keeping; holds the chases of signposting recorded as an onward referral before migration
    #: 0020 (when, how, what was said).
    notes: Mapped[str | None] = mapped_column(String(4000))

    patient: Mapped[Patient] = relationship()
    episode: Mapped[Episode | None] = relationship()
    directory_service: Mapped[DirectoryService | None] = relationship()
    given_by: Mapped[User | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()

    def __str__(self) -> str:
        return f"{self.service} ({self.given_on:%d/%m/%Y})"

    def __repr__(self) -> str:
        return f"<Signposting {self.id} {self.service!r}>"


class SafeguardingCategory(LabelledEnum):
    physical = "physical", "Physical"
    sexual = "sexual", "Sexual"
    psychological = "psychological", "Psychological"
    financial = "financial", "Financial or material"
    discriminatory = "discriminatory", "Discriminatory"
    neglect = "neglect", "Neglect or acts of omission"
    organisational = "organisational", "Organisational"
    domestic_abuse = "domestic_abuse", "Domestic abuse"
    modern_slavery = "modern_slavery", "Modern slavery"
    self_neglect = "self_neglect", "Self-neglect"


class SafeguardingConcern(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A safeguarding concern raised about a patient (Care Act 2014 s42)."""

    __tablename__ = "safeguarding_concern"
    __table_args__ = (
        CheckConstraint("referred_on IS NULL OR referred_on >= raised_on", name="referred_after_raised"),
        CheckConstraint("closed_on IS NULL OR closed_on >= raised_on", name="closed_after_raised"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    #: What the concern is. Required for every concern raised or edited (services.safeguarding); null only on
    #: concerns recorded before it was asked (migration 0009), so not a NOT NULL column.
    concern: Mapped[str | None] = mapped_column(String(4000))
    raised_on: Mapped[date] = mapped_column(index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    category: Mapped[SafeguardingCategory] = enum_column(SafeguardingCategory)
    #: Care Act 2014 s42(1), each answered on its own (null: not recorded): (a) the adult has needs for care and
    #: support; (b) is experiencing, or is at risk of, abuse or neglect; (c) as a result of those needs is unable to
    #: protect themselves against it.
    s42_care_needs: Mapped[bool | None]
    s42_at_risk: Mapped[bool | None]
    s42_unable_to_protect: Mapped[bool | None]
    referred_to: Mapped[str | None] = mapped_column(String(200))
    referred_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(2000))
    #: Null while the concern is open (it then counts in the risk rule).
    closed_on: Mapped[date | None] = mapped_column(index=True)
    #: Anything else worth keeping; holds the single s42 answer of concerns recorded before the three were asked.
    notes: Mapped[str | None] = mapped_column(String(2000))

    patient: Mapped[Patient] = relationship()
    raised_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.category.label} concern raised {self.raised_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<SafeguardingConcern {self.id} {self.category.value}>"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


#: Columns that may still change on an agreed plan: archiving is not an edit of its content.
_LIFECYCLE_COLUMNS = {"archived_at", "updated_at", "version"}


def _was_agreed(plan: CarePlan) -> bool:
    history = inspect(plan).attrs.state.history
    before = history.deleted[0] if history.deleted else (history.unchanged[0] if history.unchanged else plan.state)
    return before == CarePlanState.agreed


def refuse_changes_to_agreed_plans(session, flush_context, instances) -> None:
    """An agreed care plan and its goals cannot change: a new draft starts from it instead."""
    for obj in session.dirty:
        if isinstance(obj, CarePlan) and _was_agreed(obj):
            changed = {
                a.key for a in inspect(obj).mapper.column_attrs if inspect(obj).attrs[a.key].history.has_changes()
            }
            if changed - _LIFECYCLE_COLUMNS:
                raise DomainError("This care plan has been agreed and cannot change: start a new draft from it.")
        if (
            isinstance(obj, Goal)
            and session.is_modified(obj)
            and obj.care_plan is not None
            and _was_agreed(obj.care_plan)
        ):
            raise DomainError("This goal belongs to an agreed care plan and cannot change: start a new draft.")
    for obj in session.new:
        if (
            isinstance(obj, Goal)
            and obj.care_plan is not None
            and obj.care_plan not in session.new
            and _was_agreed(obj.care_plan)
        ):
            raise DomainError("Goals cannot be added to an agreed care plan: start a new draft.")
    for obj in session.deleted:
        if isinstance(obj, Goal) and obj.care_plan is not None and _was_agreed(obj.care_plan):
            raise DomainError("Goals cannot be removed from an agreed care plan: start a new draft.")
