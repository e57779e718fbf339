"""Referrals in, the triage decisions on them, and the episodes (caseload) they open."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, bindparam, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import ArchivableMixin, LabelledEnum, SearchableMixin, TimestampMixin, VersionedMixin, db, enum_column
from models.care import GoalStatus
from models.patients import RiskBand

if TYPE_CHECKING:
    from models.care import Goal
    from models.patients import Patient
    from models.people import Locality, Organisation, User


class Consent(LabelledEnum):
    given = "given", "Consent given"
    best_interests = "best_interests", "Best-interests decision"
    not_recorded = "not_recorded", "Not yet recorded"


class ReferralStatus(LabelledEnum):
    awaiting_triage = "awaiting_triage", "Awaiting triage"
    more_information = "more_information", "More information needed"
    accepted = "accepted", "Accepted"
    advice_only = "advice_only", "Advice only"
    declined = "declined", "Declined"
    redirected = "redirected", "Redirected"


#: The ILR criteria a referral ticks (DESIGN.md §3.1): each column and its words, in the order forms and pages show
#: them.
REFERRAL_CRITERIA = {
    "criteria_multiple_ltcs": "Several long-term conditions",
    "criteria_complex_needs": "Complex needs",
    "criteria_frailty": "Frailty",
    "criteria_multi_agency": "Needs span several agencies",
    "criteria_urgent_care": "Recent discharge or high use of urgent care",
}


#: A referral still to be triaged: awaiting triage, or waiting for more information (then triaged again).
UNTRIAGED = (ReferralStatus.awaiting_triage, ReferralStatus.more_information)
#: The rows of the partial index `ix_referral_untriaged`.
UNTRIAGED_AND_LIVE = text(f"status IN ({', '.join(repr(s.value) for s in UNTRIAGED)}) AND archived_at IS NULL")


class Referral(SearchableMixin, TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A referral from a GP or professional, with consent, criteria and signposting already tried."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(
            "consent <> 'best_interests' OR best_interests_reason IS NOT NULL", name="best_interests_has_reason"
        ),
        Index("ix_referral_status_received", "status", "received_on"),
        #: A list's default order (newest first), walked in the index rather than sorted (bench/results.md).
        Index("ix_referral_received", "received_on", "id"),
        #: The triage queue: the few live referrals still to be triaged, with every column its counts read (so that
        #: SQLite reads the queue from here, not every high-priority patient's referrals; migration 0028).
        Index(
            "ix_referral_untriaged",
            "received_on",
            "id",
            "patient_id",
            "status",
            "archived_at",
            sqlite_where=UNTRIAGED_AND_LIVE,
            postgresql_where=UNTRIAGED_AND_LIVE,
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    received_on: Mapped[date] = mapped_column(index=True)
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_role: Mapped[str | None] = mapped_column(String(200))
    referrer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    referrer_phone: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(4000))
    #: The referrer's question for the ILR.
    question: Mapped[str | None] = mapped_column(String(2000))
    criteria_multiple_ltcs: Mapped[bool] = mapped_column(default=False, server_default="0")
    criteria_complex_needs: Mapped[bool] = mapped_column(default=False, server_default="0")
    criteria_frailty: Mapped[bool] = mapped_column(default=False, server_default="0")
    criteria_multi_agency: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: Recent discharge or high use of urgent care.
    criteria_urgent_care: Mapped[bool] = mapped_column(default=False, server_default="0")
    consent: Mapped[Consent] = enum_column(Consent, default=Consent.not_recorded)
    consent_by: Mapped[str | None] = mapped_column(String(200))
    consent_on: Mapped[date | None]
    best_interests_reason: Mapped[str | None] = mapped_column(String(2000))
    #: Signposting already tried; required before acceptance.
    signposting_tried: Mapped[str | None] = mapped_column(String(2000))
    patient_aware: Mapped[bool | None]
    status: Mapped[ReferralStatus] = enum_column(ReferralStatus, default=ReferralStatus.awaiting_triage, index=True)

    patient: Mapped[Patient] = relationship()
    locality: Mapped[Locality] = relationship()
    referrer_organisation: Mapped[Organisation | None] = relationship()
    decisions: Mapped[list[TriageDecision]] = relationship(
        back_populates="referral", order_by="TriageDecision.decided_on"
    )

    @property
    def criteria(self) -> list[tuple[str, bool]]:
        """Each ILR criterion in words, and whether the referrer ticked it."""
        return [(label, bool(getattr(self, column))) for column, label in REFERRAL_CRITERIA.items()]

    def __str__(self) -> str:
        return f"Referral received {self.received_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<Referral {self.id} patient={self.patient_id} {self.status.value if self.status else None}>"

    @classmethod
    def untriaged(cls):
        """SQL: still to be triaged, the statuses written into the statement (not bound parameters) so that either
        database's planner sees they are the partial index's (`ix_referral_untriaged`)."""
        return cls.status.in_(bindparam(None, list(UNTRIAGED), expanding=True, literal_execute=True))


class TriageOutcome(LabelledEnum):
    accept = "accept", "Accept"
    more_information = "more_information", "More information needed"
    advice_only = "advice_only", "Advice only"
    decline = "decline", "Decline"
    redirect = "redirect", "Redirect to another service"


class DeclineReason(LabelledEnum):
    criteria_not_met = "criteria_not_met", "Criteria not met"
    no_consent = "no_consent", "No consent"
    signposting_not_tried = "signposting_not_tried", "Signposting not yet tried"
    better_met_elsewhere = "better_met_elsewhere", "Better met by another service"
    patient_declined = "patient_declined", "Patient declined"
    duplicate = "duplicate", "Duplicate"
    other = "other", "Other"


class TriageDecision(SearchableMixin, TimestampMixin, db.Model):
    """One triage decision on a referral: who, when, what and why."""

    __tablename__ = "triage_decision"
    #: Seen through this relationship: a list, look-up or page shows the row only where it shows the parent (access).
    scope_parent = "referral"
    __table_args__ = (
        CheckConstraint("outcome <> 'decline' OR decline_reason IS NOT NULL", name="decline_has_reason"),
        CheckConstraint("decline_reason <> 'other' OR reason_text IS NOT NULL", name="other_reason_has_text"),
        CheckConstraint("outcome <> 'redirect' OR redirected_to IS NOT NULL", name="redirect_has_service"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    decided_on: Mapped[date] = mapped_column(index=True)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    outcome: Mapped[TriageOutcome] = enum_column(TriageOutcome, index=True)
    decline_reason: Mapped[DeclineReason | None] = enum_column(DeclineReason)
    reason_text: Mapped[str | None] = mapped_column(String(2000))
    missing_information: Mapped[str | None] = mapped_column(String(2000))
    redirected_to: Mapped[str | None] = mapped_column(String(200))

    referral: Mapped[Referral] = relationship(back_populates="decisions")
    decided_by: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.outcome.label} on {self.decided_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<TriageDecision {self.id} {self.outcome.value}>"


class ClosureReason(LabelledEnum):
    goals_met = "goals_met", "Goals met"
    transferred = "transferred", "Transferred to another service"
    declined_input = "declined_input", "Declined further input"
    died = "died", "Died"
    moved_away = "moved_away", "Moved away"
    other = "other", "Other"


class Episode(TimestampMixin, ArchivableMixin, VersionedMixin, db.Model):
    """A patient's time open to the ILR, from acceptance to closure."""

    __tablename__ = "episode"
    __table_args__ = (
        CheckConstraint("closed_on IS NULL OR closure_reason IS NOT NULL", name="closure_has_reason"),
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_opened"),
        #: The open cases: every caseload, review and team count reads only this index (migration 0026).
        Index(
            "ix_episode_open", "closed_on", "archived_at", "review_on", "coordinator_id", "locality_id", "patient_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    opened_on: Mapped[date] = mapped_column(index=True)
    review_on: Mapped[date | None]
    closed_on: Mapped[date | None] = mapped_column(index=True)
    closure_reason: Mapped[ClosureReason | None] = enum_column(ClosureReason)
    #: How far the patient's goals were met, in words: episodes closed before migration 0009 (since then each
    #: goal's attainment is a `ClosureGoal`).
    goal_attainment: Mapped[str | None] = mapped_column(String(2000))
    #: What was still open when the episode closed (actions, onward referrals, safeguarding, a draft plan) and why
    #: it closed all the same.
    closure_note: Mapped[str | None] = mapped_column(String(2000))
    #: Copies of the patient's risk score and band, never typed: the caseload board's order and its band filter,
    #: read from an index (`ix_episode_caseload`) rather than from every open case's patient. Kept while the episode
    #: is open, at every flush that changes a patient's score or adds an episode
    #: (`services.caseload.keep_case_scores`); a closed episode keeps those it closed with. Not audited (the
    #: patient's are).
    risk_score: Mapped[int] = mapped_column(default=0, server_default="0")
    risk_band: Mapped[RiskBand] = enum_column(RiskBand, default=RiskBand.low, server_default="low")

    patient: Mapped[Patient] = relationship()
    referral: Mapped[Referral | None] = relationship()
    locality: Mapped[Locality] = relationship()
    coordinator: Mapped[User | None] = relationship()
    closure_goals: Mapped[list[ClosureGoal]] = relationship(back_populates="episode", order_by="ClosureGoal.id")

    def __str__(self) -> str:
        return f"Episode opened {self.opened_on:%d/%m/%Y}"

    def __repr__(self) -> str:
        return f"<Episode {self.id} patient={self.patient_id}>"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


#: The caseload board's default order: the open cases by priority, highest first, then the longest open. SQLite reads
#: it from here: the open cases found by equality on `closed_on` and `archived_at`, in the columns' order after them.
Index(
    "ix_episode_caseload",
    Episode.closed_on,
    Episode.archived_at,
    Episode.risk_score.desc(),
    Episode.opened_on,
    Episode.id,
    Episode.risk_band,
)
#: The live open cases: the rows of the partial index `ix_episode_caseload_open`.
OPEN_AND_LIVE = text("closed_on IS NULL AND archived_at IS NULL")
#: The same order for PostgreSQL, which reads an index in order only after columns it is told equal a value, and
#: `closed_on IS NULL` is not one (it sorted all 19,000 open cases for each page of the board: 22 ms; migration
#: 0029). Partial, so the order leads; the columns the board's filters read follow. SQLite keeps to the first: its
#: statistics count the rows per value of `closed_on`, not how many are NULL, so it would not expect this one to help.
Index(
    "ix_episode_caseload_open",
    Episode.risk_score.desc(),
    Episode.opened_on,
    Episode.id,
    Episode.risk_band,
    Episode.coordinator_id,
    Episode.locality_id,
    sqlite_where=OPEN_AND_LIVE,
    postgresql_where=OPEN_AND_LIVE,
)

#: The live open cases in review order, for the same reason (migration 0030): the reviews due this week, first
#: ten of them on a home page, were found by reading every open case and sorting (7 ms on PostgreSQL) and are now the
#: index's first entries; a coordinator's own are filtered in the index.
Index(
    "ix_episode_reviews_open",
    Episode.review_on,
    Episode.id,
    Episode.coordinator_id,
    Episode.locality_id,
    Episode.patient_id,
    sqlite_where=OPEN_AND_LIVE,
    postgresql_where=OPEN_AND_LIVE,
)

#: What a goal's attainment may be at closure: the end states of GoalStatus.
ATTAINMENTS = (
    GoalStatus.achieved,
    GoalStatus.partly_achieved,
    GoalStatus.not_achieved,
    GoalStatus.no_longer_relevant,
)


class ClosureGoal(TimestampMixin, db.Model):
    """How far one goal of the current care plan was attained, recorded on the episode's closure.

    Kept apart from the goal: an agreed plan is frozen, so closing never changes it.
    """

    __tablename__ = "closure_goal"
    __table_args__ = (
        UniqueConstraint("episode_id", "goal_id", name="uq_closure_goal_episode_goal"),
        CheckConstraint(
            "attainment IN (" + ", ".join(f"'{status.value}'" for status in ATTAINMENTS) + ")",
            name="attainment_is_an_end_state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    attainment: Mapped[GoalStatus] = enum_column(GoalStatus)

    episode: Mapped[Episode] = relationship(back_populates="closure_goals")
    goal: Mapped[Goal] = relationship()

    def __str__(self) -> str:
        return f"{self.goal}: {self.attainment.label}" if self.goal else self.attainment.label

    def __repr__(self) -> str:
        return f"<ClosureGoal {self.id} episode={self.episode_id} goal={self.goal_id} {self.attainment.value}>"
