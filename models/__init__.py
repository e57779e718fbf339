"""Database models: every record the ILR team keeps (DESIGN.md §3), one module per area."""

from models.base import (
    NARRATIVE_LENGTH,
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
    DirectoryService,
    Goal,
    GoalDomain,
    GoalStatus,
    GoalUpdate,
    OnwardMethod,
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
    ContactLogEntry,
    ContactMethod,
    ContactParty,
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
    RecoveryCode,
    Role,
    SignInMethod,
    User,
    UserSession,
)
from models.referrals import (
    ATTAINMENTS,
    REFERRAL_CRITERIA,
    ClosureGoal,
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
    BankHoliday,
    BaseDocument,
    DocumentKind,
    EmailAttempt,
    EmailStatus,
    FormToken,
    GeneratedDocument,
    KpiTally,
    KpiTallyBuild,
    OutboxAttachment,
    OutboxEmail,
    SecureDomain,
    Setting,
    SignInAlert,
)

__all__ = [name for name in dir() if not name.startswith("_")]

# Last, once every model above exists: what runs at every flush (the audit trail, the frozen care plans, the risk
# rule, the KPI tallies) is registered with the models, so no code that touches the database can run without it.
import services.on_flush  # noqa: E402
