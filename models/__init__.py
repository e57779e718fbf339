"""Database models: every record the ILR team keeps (DESIGN.md §3), one module per area."""

from models.base import (
    ArchivableMixin,
    Base,
    DomainError,
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    db,
    enum_column,
    install_sqlite_pragmas,
    utcnow,
    value_before,
)
from models.care import (
    CarePlan,
    CarePlanShare,
    CarePlanState,
    Goal,
    GoalDomain,
    GoalStatus,
    OnwardOutcome,
    OnwardReferral,
    SafeguardingCategory,
    SafeguardingConcern,
)
from models.meetings import (
    Action,
    ActionChase,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    AvailabilityPoll,
    CaseStatus,
    ChaseMethod,
    Meeting,
    MeetingStatus,
    PollInvitation,
    PollSlot,
    PollStatus,
)
from models.patients import (
    CollatedNote,
    HospitalEvent,
    HospitalEventKind,
    NhsNumberStatus,
    NoteSource,
    Patient,
    RiskBand,
    Sex,
)
from models.people import (
    MIN_PASSWORD_LENGTH,
    Contact,
    Locality,
    MeetingMember,
    MemberRole,
    Organisation,
    OrganisationType,
    Role,
    SignInMethod,
    User,
    UserSession,
)
from models.referrals import (
    ClosureReason,
    Consent,
    DeclineReason,
    Episode,
    Referral,
    ReferralStatus,
    TriageDecision,
    TriageOutcome,
)
from models.system import (
    AuditAction,
    AuditEntry,
    AuditSeal,
    DocumentKind,
    EmailAttempt,
    EmailStatus,
    FormToken,
    GeneratedDocument,
    OutboxEmail,
    SecureDomain,
    Setting,
)

__all__ = [name for name in dir() if not name.startswith("_")]
