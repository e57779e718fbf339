"""Synthetic demo data: two years of an ILR service (Faker en_GB; NHS numbers from the 999 test range only).

`seed_demo(patients=N)` builds every kind of record the tool keeps, for N patients, fast enough for
100,000 patients and a million actions on SQLite in a few minutes:

- rows are plain dicts written with Core `insert()` in chunks, with primary keys assigned here, so
  children reference parents without a round trip and no ORM object is made per row;
- Faker is slow, so it only fills small pools of names and streets; `random.Random(seed)` picks
  from them, which also makes the data the same on every run for the same N, seed and day;
- Core inserts bypass the session's flush listeners (the audit trail, the risk recompute): that is
  what a bulk load wants. The trail gets one entry saying the demo data was loaded, and the risk
  score is computed here with the real rule (`risk.assess`, default points).

Nothing here is real: organisations are "Demo ...", email addresses are on `*-demo.nhs.net`
subdomains (which pass the secure allow-list but deliver nowhere) or `example.org`, phone numbers
are Ofcom's drama ranges, and outbox emails are all already sent so `flask send-outbox` sends none.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

import risk
from models import (
    ActionStatus,
    AgendaItem,
    AttendanceStatus,
    AuditAction,
    CarePlanState,
    CaseStatus,
    ClosureReason,
    Consent,
    DeclineReason,
    DocumentKind,
    EmailStatus,
    GoalDomain,
    GoalStatus,
    HospitalEventKind,
    MeetingStatus,
    MemberRole,
    NhsNumberStatus,
    NoteSource,
    OnwardOutcome,
    OrganisationType,
    PollStatus,
    ReferralStatus,
    Role,
    SafeguardingCategory,
    Sex,
    TriageOutcome,
    User,
    db,
)
from models import (
    Action,
    ActionChase,
    Attendance,
    AuditEntry,
    AvailabilityPoll,
    CarePlan,
    CarePlanShare,
    CollatedNote,
    Contact,
    EmailAttempt,
    Episode,
    GeneratedDocument,
    Goal,
    HospitalEvent,
    Locality,
    Meeting,
    MeetingMember,
    OnwardReferral,
    Organisation,
    OutboxEmail,
    Patient,
    PollInvitation,
    PollSlot,
    Referral,
    SafeguardingConcern,
    Setting,
    TriageDecision,
)
from nhs import with_check_digit
from services.accounts import ILR_TEAM_ODS
from services.meeting_room import CUTOFF_SETTING, DEFAULT_CUTOFF_WORKING_DAYS
from timefmt import LONDON, today as london_today

#: The demo accounts `make run` prints; their shared password is for the demo database only.
DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNTS = [
    ("coordinator@ilr-demo.nhs.net", "Casey Coordinator", Role.coordinator, None),
    ("lead@ilr-demo.nhs.net", "Lindsay Lead", Role.team_lead, None),
    ("partner@social-demo.gov.uk", "Pat Partner", Role.partner, "DEMOSS"),
    ("observer@ilr-demo.nhs.net", "Oakley Observer", Role.read_only, None),
]

#: Patients `flask seed-demo` makes by default: enough for a few cases on each weekly agenda.
DEFAULT_PATIENTS = 1000
DEFAULT_SEED = 2026
#: Rows per INSERT statement (executemany).
CHUNK_ROWS = 10_000
#: Patients generated before their rows are written, parents first.
BLOCK_PATIENTS = 2_000
#: Actions agreed per patient over the two years (DESIGN.md §7: 1,000,000 at 100,000 patients).
ACTIONS_PER_PATIENT = 10
#: Case discussions (agenda items) per patient over the two years, measured: sizes the meeting schedule.
ITEMS_PER_PATIENT = 2.1
#: Discussed cases per patient, measured: sets how many actions each discussion agrees.
DISCUSSED_PER_PATIENT = 1.93
#: Cases a meeting is planned to hold (DESIGN.md §7's 25-case meeting); a locality adds weekly slots rather than exceed it.
CASES_PER_MEETING = 25
HISTORY_DAYS = 730
UTC = timezone.utc

# --- Reference data ---------------------------------------------------------------------------------

#: (name, type, code, email domain, the address that may receive patient data)
AGENCIES = [
    (
        "Demo Community Health NHS Trust",
        OrganisationType.community_health,
        "DEMOCH",
        "community-demo.nhs.net",
        "ilr.referrals",
    ),
    (
        "Demo Hospitals NHS Foundation Trust",
        OrganisationType.acute_trust,
        "DEMOAT",
        "hospitals-demo.nhs.net",
        "frailty.team",
    ),
    ("Demo County Council Adult Social Care", OrganisationType.social_services, "DEMOSS", "social-demo.gov.uk", None),
    ("Demo Borough Council Adult Social Care", OrganisationType.social_services, "DEMOS2", "borough.example.org", None),
    (
        "Demo PCN Clinical Pharmacy Team",
        OrganisationType.pharmacy,
        "DEMOPH",
        "pharmacy-demo.nhs.net",
        "pcn.pharmacists",
    ),
    (
        "Demo Mental Health Partnership NHS Trust",
        OrganisationType.mental_health,
        "DEMOMH",
        "mh-demo.nhs.net",
        "older.adults",
    ),
    ("Demo Integrated Care Board", OrganisationType.icb, "DEMOIC", "icb-demo.nhs.net", "ilr.programme"),
    ("Demo Telecare Service", OrganisationType.telecare, "DEMOTC", "telecare.example.org", None),
    ("Demo Drug and Alcohol Service", OrganisationType.drug_alcohol, "DEMODA", "recovery.example.org", None),
    (
        "Demo Ambulance Service NHS Trust",
        OrganisationType.ambulance,
        "DEMOAM",
        "ambulance-demo.nhs.net",
        "frequent.callers",
    ),
    ("Demo Fire and Rescue Service", OrganisationType.fire_rescue, "DEMOFR", "fire.example.org", None),
    ("Demo Homes Housing Association", OrganisationType.housing, "DEMOHO", "homes.example.org", None),
    ("Demo Council Housing Options", OrganisationType.housing, "DEMOH2", "housing.example.org", None),
    ("Demo Age Concern", OrganisationType.voluntary, "DEMOVA", "ageconcern.example.org", None),
    ("Demo Carers' Centre", OrganisationType.voluntary, "DEMOVC", "carers.example.org", None),
    ("Demo Good Neighbours", OrganisationType.voluntary, "DEMOVG", "neighbours.example.org", None),
    ("Demo Hospice", OrganisationType.other, "DEMOOT", "hospice.example.org", None),
]
ILR_TEAM = ("Integrated Locality Review team", OrganisationType.ilr_team, ILR_TEAM_ODS, "ilr-demo.nhs.net", "ilr.team")

LOCALITIES = ["Riverside", "Northdown", "Wealden Vale", "Coastside"]
#: Relative sizes: patients are spread, and weekly meeting slots sized, in these proportions.
LOCALITY_WEIGHTS = [4, 3, 3, 2]

#: Meeting member per agency type: (job title, member role, chance of attending a held meeting).
MEMBERSHIP = {
    OrganisationType.community_health: ("Community matron", MemberRole.core, 0.92),
    OrganisationType.acute_trust: ("Consultant geriatrician", MemberRole.core, 0.80),
    OrganisationType.social_services: ("Senior social worker", MemberRole.core, 0.85),
    OrganisationType.pharmacy: ("Clinical pharmacist", MemberRole.core, 0.88),
    OrganisationType.mental_health: ("Older adults mental health nurse", MemberRole.core, 0.62),
    OrganisationType.icb: ("ILR programme manager", MemberRole.core, 0.70),
    OrganisationType.telecare: ("Telecare assessor", MemberRole.optional, 0.45),
    OrganisationType.drug_alcohol: ("Recovery worker", MemberRole.optional, 0.30),
    OrganisationType.ambulance: ("Frequent caller lead", MemberRole.optional, 0.35),
    OrganisationType.fire_rescue: ("Safe and well officer", MemberRole.optional, 0.40),
    OrganisationType.housing: ("Tenancy sustainment officer", MemberRole.optional, 0.50),
    OrganisationType.voluntary: ("Community navigator", MemberRole.optional, 0.55),
}

CONDITIONS = [
    "Type 2 diabetes",
    "COPD",
    "Heart failure",
    "Atrial fibrillation",
    "Hypertension",
    "Chronic kidney disease stage 3",
    "Osteoarthritis",
    "Osteoporosis",
    "Dementia (Alzheimer's type)",
    "Vascular dementia",
    "Parkinson's disease",
    "Previous stroke",
    "Ischaemic heart disease",
    "Depression",
    "Anxiety",
    "Asthma",
    "Hypothyroidism",
    "Peripheral vascular disease",
    "Macular degeneration",
    "Chronic pain",
    "Urinary incontinence",
    "Hearing loss",
    "Rheumatoid arthritis",
    "Cancer (in remission)",
    "Alcohol dependence",
]
HOSPITALS = [
    "Riverside General Hospital",
    "Kingsmead Hospital",
    "St Aldhelm's Hospital",
    "Coastside Community Hospital",
]
LANGUAGES = ["Polish", "Punjabi", "Nepali", "Romanian", "Lithuanian", "Turkish", "Bengali", "Urdu", "Portuguese"]
COMMUNICATION = [
    "Hard of hearing: face them and speak clearly.",
    "Registered blind: large print or phone calls.",
    "Memory problems: involve daughter in all calls.",
    "Uses BSL; needs an interpreter for appointments.",
    "Aphasia after stroke: allow time, use yes/no questions.",
    "Prefers contact by phone, not letter.",
]
REFERRAL_REASONS = [
    "Three falls in two months and struggling to manage at home.",
    "Frequent A&E attendances with breathlessness; lives alone.",
    "Carer breakdown: wife admitted to hospital, patient now alone.",
    "Recent discharge after a long admission; poor mobility and missed medication.",
    "Escalating care needs and repeated calls to the ambulance service.",
    "Weight loss, self-neglect concerns and declining support.",
    "Memory worsening; family worried about safety at home (cooker left on).",
    "Complex polypharmacy with recent admission for a fall on anticoagulants.",
    "Housing no longer suitable: cannot manage the stairs.",
    "Low mood, isolated, not engaging with community services.",
]
QUESTIONS = [
    "Can the agencies agree one plan to keep them safely at home?",
    "Is a care home placement now in their best interests?",
    "What support would reduce the A&E attendances?",
    "Who should lead on the safeguarding concerns?",
    "Could a medication review and telecare reduce the falls?",
]
SIGNPOSTING = [
    "Age UK information and advice; falls prevention leaflet.",
    "Social prescriber contacted; carers' centre details given.",
    "Community pharmacy medication use review.",
    "Fire service safe and well visit offered.",
    "Referred to falls clinic.",
]
MISSING = [
    "Please confirm the patient's consent to the referral.",
    "Please send the current medication list.",
    "Please say what signposting has already been tried.",
    "Please confirm the NHS number and current address.",
]
ADVICE = [
    "Advised GP to refer directly to the falls service.",
    "Suggested a structured medication review by the PCN pharmacist.",
    "Advised carers' assessment via adult social care.",
    "Recommended memory clinic referral from the practice.",
]
REDIRECT_SERVICES = [
    "Rapid response team",
    "Community mental health team",
    "Hospice at home",
    "Falls service",
    "Care home support team",
]
OTHER_DECLINE = [
    "Patient moved out of area before triage.",
    "Needs are being met by the virtual ward.",
    "Referred in error by the practice.",
]
CLOSURE_NOTES = {
    ClosureReason.goals_met: "Goals met: patient managing at home with the agreed support in place.",
    ClosureReason.transferred: "Transferred to the community mental health team for ongoing care.",
    ClosureReason.declined_input: "Patient declined further input from the ILR; GP informed.",
    ClosureReason.died: "Patient died; family supported by the hospice team.",
    ClosureReason.moved_away: "Moved to live with family outside the area; records sent to new GP.",
    ClosureReason.other: "Admitted to a nursing home; care home support team now involved.",
}
SUMMARY_BITS = [
    "Lives alone in a first-floor flat.",
    "Daughter visits twice a week.",
    "Package of care twice daily.",
    "Three falls since the last review.",
    "Two A&E attendances in the last quarter.",
    "Struggling with medication.",
    "Wife is main carer and exhausted.",
    "Recently discharged after pneumonia.",
    "Weight has dropped by 5 kg.",
]
DISCUSSION_BITS = [
    "GP reported the recent medication changes.",
    "Community matron has seen them weekly since discharge.",
    "Social worker noted the package of care is not meeting needs in the evenings.",
    "Pharmacist recommended stopping the sedating antihistamine.",
    "Mental health nurse will assess mood and memory.",
    "Geriatrician suggested a comprehensive geriatric assessment in clinic.",
    "Housing can fit grab rails within four weeks.",
    "Fire service found no working smoke alarm and will fit one.",
    "Telecare pendant declined previously; to revisit.",
    "Family are keen for more support but patient wants to stay independent.",
    "Ambulance service reported four calls for falls without injury.",
    "Voluntary sector befriending offered weekly.",
]
OUTCOMES = [
    "Plan agreed: stay at home with increased support.",
    "Medication review and falls assessment to be completed.",
    "Carers' assessment and respite to be arranged.",
    "Safeguarding concern to be raised with adult social care.",
    "Review at the next meeting once assessments are back.",
    "Refer to memory clinic; GP to discuss with patient.",
]
ACTION_TEMPLATES = {
    OrganisationType.gp_practice: [
        "Discuss the ILR recommendations with the patient",
        "Medication review",
        "Refer to memory clinic",
        "Repeat bloods and review renal function",
        "Complete advance care planning conversation",
    ],
    OrganisationType.community_health: [
        "District nurse visit to review pressure areas",
        "Occupational therapy home assessment",
        "Falls assessment at home",
        "Continence assessment",
    ],
    OrganisationType.acute_trust: [
        "Comprehensive geriatric assessment in clinic",
        "Review discharge summary and follow-up",
    ],
    OrganisationType.social_services: [
        "Review the package of care",
        "Carers' assessment",
        "Care Act needs assessment",
        "Explore respite options",
    ],
    OrganisationType.pharmacy: ["Structured medication review", "Arrange blister packs with community pharmacy"],
    OrganisationType.mental_health: ["Mood and memory assessment", "Review antidepressant with GP"],
    OrganisationType.icb: ["Check continuing healthcare eligibility"],
    OrganisationType.telecare: ["Install falls detector pendant", "Fit key safe and door sensor"],
    OrganisationType.drug_alcohol: ["Offer alcohol brief intervention", "Arrange recovery worker visit"],
    OrganisationType.ambulance: ["Add care plan flag to the ambulance record"],
    OrganisationType.fire_rescue: ["Safe and well visit; fit smoke alarm"],
    OrganisationType.housing: ["Assess for stairlift and grab rails", "Discuss move to ground-floor flat"],
    OrganisationType.voluntary: ["Befriending referral", "Help with attendance allowance claim"],
}
CHASE_NOTES = [
    "No reply yet; chased by email.",
    "Spoke to the team: visit booked.",
    "Raised at the meeting; owner to update.",
    "Left voicemail for the owner.",
]
GOALS = {
    GoalDomain.physical: [
        "I want to walk to the corner shop again",
        "I want to stop falling",
        "I want to breathe more easily",
    ],
    GoalDomain.psychological: ["I want to feel less low", "I want to stop worrying about my memory"],
    GoalDomain.social: ["I want to see my friends at the lunch club", "I want my daughter to have a break"],
    GoalDomain.functional: ["I want to wash and dress myself", "I want to manage my own tablets"],
    GoalDomain.environmental: ["I want to stay in my own home", "I want to be able to use the stairs safely"],
}
ABOUT_ME = [
    "I was a bus driver for 30 years and love my garden.",
    "I have lived in this town all my life; my cat matters to me.",
    "I used to sing in the church choir.",
    "I like to do the crossword every morning.",
]
ONWARD_SERVICES = [
    ("Falls service", OrganisationType.community_health),
    ("Memory assessment service", OrganisationType.mental_health),
    ("Occupational therapy", OrganisationType.community_health),
    ("Telecare assessment", OrganisationType.telecare),
    ("Befriending", OrganisationType.voluntary),
    ("Carers' support", OrganisationType.voluntary),
    ("Safe and well visit", OrganisationType.fire_rescue),
    ("Housing adaptations", OrganisationType.housing),
    ("Dietetics", None),
    ("Continence service", None),
    ("Hospice at home", OrganisationType.other),
]
SAFEGUARDING_WEIGHTS = {
    SafeguardingCategory.self_neglect: 30,
    SafeguardingCategory.neglect: 18,
    SafeguardingCategory.financial: 15,
    SafeguardingCategory.psychological: 10,
    SafeguardingCategory.domestic_abuse: 9,
    SafeguardingCategory.physical: 8,
    SafeguardingCategory.organisational: 4,
    SafeguardingCategory.discriminatory: 2,
    SafeguardingCategory.sexual: 2,
    SafeguardingCategory.modern_slavery: 2,
}
NOTE_SUMMARIES = {
    NoteSource.emis: "GP record: recent consultations for falls and breathlessness; repeat medication reviewed.",
    NoteSource.rio: "Community record: district nurse visits twice weekly; leg ulcer healing.",
    NoteSource.ibis: "Ambulance record: four calls in three months, two conveyed.",
    NoteSource.shared_care_record: "Shared care record: two admissions this year; discharge letters reviewed.",
    NoteSource.other: "Social care record: package of care started after discharge.",
}
SLOT_TIMES = [(9, 0), (11, 15), (13, 30), (15, 45)]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


@dataclass
class SeedReport:
    """Rows inserted per table, and how long it took."""

    counts: dict[str, int]
    seconds: float


def seed_demo(patients: int = DEFAULT_PATIENTS, seed: int = DEFAULT_SEED) -> SeedReport:
    """Load synthetic demo data for `patients` patients (the caller commits)."""
    return DemoSeeder(patients, seed).run()


# --- Writing rows -----------------------------------------------------------------------------------


class _Rows:
    """Rows waiting to be inserted, per table, written parents first so foreign keys hold at every step.

    Every row of a table gets the same keys (executemany needs that): columns a row leaves out are
    filled from a template of NULLs, and `version` starts at 1 on versioned tables.
    """

    def __init__(self, session):
        self.session = session
        self.pending: dict[str, list[dict]] = defaultdict(list)
        self.counts: Counter = Counter()
        self._templates: dict[str, dict] = {}
        self._next_id: dict[str, int] = {}
        self._plans: dict[str, tuple] = {}

    def next_id(self, model) -> int:
        """Primary keys are ours: after the highest already held, so `--force` never collides."""
        name = model.__tablename__
        if name not in self._next_id:
            self._next_id[name] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self._next_id[name]
        self._next_id[name] = value + 1
        return value

    def add(self, model, **values) -> dict:
        name = model.__tablename__
        template = self._templates.get(name)
        if template is None:
            table = model.__table__
            template = {c.name: None for c in table.columns if c.nullable}
            if "version" in table.columns:
                template["version"] = 1
            self._templates[name] = template
        row = template.copy()
        row.update(values)
        self.pending[name].append(row)
        return row

    def flush(self) -> None:
        for table in db.metadata.sorted_tables:
            rows = self.pending.pop(table.name, None)
            for start in range(0, len(rows or ()), CHUNK_ROWS):
                self._insert(table, rows[start : start + CHUNK_ROWS])
            if rows:
                self.counts[table.name] += len(rows)

    def _insert(self, table, rows: list[dict]) -> None:
        """One executemany of a Core INSERT, bypassing the session's flush listeners (the audit trail).

        Values go through each column type's own bind processor (so dates, UTC times and enums are
        stored exactly as SQLAlchemy stores them), but without its per-row parameter bookkeeping,
        which costs more than the database does at a million rows.
        """
        connection = self.session.connection()
        plan = self._plans.get(table.name)
        if plan is None:
            compiled = insert(table).compile(dialect=connection.dialect)
            names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
            dialect = connection.dialect
            processors = [
                (i, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for i, name in enumerate(names)
            ]
            plan = self._plans[table.name] = (
                str(compiled),
                names,
                [(i, p) for i, p in processors if p],
                compiled.positional,
            )
        sql, names, processors, positional = plan
        params = []
        for row in rows:
            values = [row[name] for name in names]
            for i, process in processors:
                if values[i] is not None:
                    values[i] = process(values[i])
            params.append(tuple(values) if positional else dict(zip(names, values)))
        connection.exec_driver_sql(sql, params)


# --- The seeder ---------------------------------------------------------------------------------------


@dataclass
class _Locality:
    id: int
    name: str
    practices: list[dict] = field(default_factory=list)
    #: Organisation id -> contact id of that agency's member here (action owners, presenters).
    member_of: dict[int, int] = field(default_factory=dict)
    members: list[tuple[int, float, bool]] = field(default_factory=list)  # (contact id, chance of attending, core)
    owners: list[tuple[int, OrganisationType]] = field(default_factory=list)
    coordinator_id: int = 0
    chair_id: int = 0
    council_id: int = 0
    weight: int = 1
    #: Meetings a week: one, or more as the caseload grows.
    per_week: int = 1
    postcode_areas: list[str] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)
    #: Non-cancelled meetings in date order: their London dates, ids, start times and statuses.
    meeting_days: list[date] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)
    meeting_starts: list[datetime] = field(default_factory=list)
    meeting_status: list[MeetingStatus] = field(default_factory=list)


class DemoSeeder:
    """Builds the demo database: reference data, the meeting schedule, then each patient's two years."""

    def __init__(self, patients: int, seed: int = DEFAULT_SEED):
        self.n = max(0, patients)
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.today = london_today()
        self.now = datetime.now(UTC)
        self.start = self.today - timedelta(days=HISTORY_DAYS)
        self.rows = _Rows(db.session)
        self.localities: list[_Locality] = []
        self.orgs_by_type: dict[OrganisationType, list[int]] = defaultdict(list)
        self.org_domain: dict[int, str] = {}
        self.coordinators: list[int] = []
        self.lead_id = 0
        self.used_pairs: set[tuple[int, int]] = set()
        self.positions: Counter = Counter()
        discussed = max(1.0, self.n * DISCUSSED_PER_PATIENT)
        self.actions_per_discussion = ACTIONS_PER_PATIENT * self.n / discussed

    # -- helpers --

    def at(self, day: date, hour: int | None = None, minute: int | None = None) -> datetime:
        """A time in office hours on `day`, in UTC (models refuse naive datetimes, so always aware)."""
        if hour is None:
            # Random times are drawn in UTC directly: converting a million London times is slow.
            moment = self.rng.randrange(8 * 60, 17 * 60)
            return datetime(day.year, day.month, day.day, moment // 60, moment % 60, tzinfo=UTC)
        return datetime(day.year, day.month, day.day, hour, minute or 0, tzinfo=LONDON).astimezone(UTC)

    def stamp(self, created: date, updated: date | None = None) -> dict:
        """created_at / updated_at for a record made on `created` (and last changed on `updated`)."""
        made = self.at(min(created, self.today))
        changed = made if updated is None or updated <= created else self.at(min(updated, self.today))
        return {"created_at": min(made, self.now), "updated_at": min(max(changed, made), self.now)}

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    # -- the whole run --

    def run(self) -> SeedReport:
        started = time.perf_counter()
        session = db.session()
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("PRAGMA cache_size=-262144"))  # 256 MB of page cache for the load
        self.points = risk.current_points(session)
        self._pools()
        self._reference_data()
        self._meetings()
        self.rows.flush()
        for first in range(0, self.n, BLOCK_PATIENTS):
            for _ in range(first, min(first + BLOCK_PATIENTS, self.n)):
                self._patient()
            self.rows.flush()
        self._tool_records()
        self.rows.flush()
        self._advance_sequences()
        return SeedReport(dict(self.rows.counts), time.perf_counter() - started)

    def _pools(self) -> None:
        """Faker is slow: draw small pools once, then pick from them."""
        fake = self.fake
        self.female = sorted({fake.first_name_female() for _ in range(600)})
        self.male = sorted({fake.first_name_male() for _ in range(600)})
        self.surnames = sorted({fake.last_name() for _ in range(2000)})
        self.streets = sorted({fake.street_name() for _ in range(1500)})
        self.towns = sorted({fake.city() for _ in range(200)})
        self.outward = sorted({fake.postcode().split()[0] for _ in range(400)})
        self.phones = [f"01632 960{n:03d}" for n in range(1000)] + [f"07700 900{n:03d}" for n in range(1000)]
        self.nhs_numbers = self._nhs_numbers()

    def _nhs_numbers(self) -> list[str]:
        """Unique test-range numbers (999 + six digits + check digit), skipping those with no check digit."""
        taken = set(db.session.scalars(select(Patient.nhs_number).where(Patient.nhs_number.like("999%"))))
        wanted = self.n + 10
        numbers = []
        for body in self.rng.sample(range(1_000_000), min(1_000_000, int(wanted * 1.2) + 100)):
            number = with_check_digit(f"999{body:06d}")
            if number and number not in taken:
                numbers.append(number)
                if len(numbers) == wanted:
                    break
        return numbers

    def person(self, sex: Sex | None = None) -> tuple[str, str]:
        sex = sex or self.rng.choice([Sex.female, Sex.male])
        given = self.rng.choice(self.female if sex == Sex.female else self.male)
        return given, self.rng.choice(self.surnames)

    # -- organisations, localities, people --

    def _ids_by(self, model, key: str) -> dict:
        """{key: id} of the rows already held: a forced second seed reuses them instead of colliding."""
        return dict(db.session.execute(select(getattr(model, key), model.id)).all())

    def _reference_data(self) -> None:
        self.made = self.start - timedelta(days=30)
        self.orgs_by_code = self._ids_by(Organisation, "ods_code")
        self.users_by_email = self._ids_by(User, "email")
        self.contact_of_user = self._ids_by(Contact, "user_id")
        self.used_members = {
            tuple(row) for row in db.session.execute(select(MeetingMember.locality_id, MeetingMember.contact_id))
        }
        self.password_hash = generate_password_hash(
            DEMO_PASSWORD, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        )
        self._organisations()
        self._people()

    def _organisation(self, name, type_, code, domain, secure, locality_id=None) -> int:
        org_id = self.orgs_by_code.get(code)
        if org_id is None:
            org_id = self.orgs_by_code[code] = self.rows.next_id(Organisation)
            self.rows.add(
                Organisation,
                id=org_id,
                name=name,
                type=type_,
                ods_code=code,
                locality_id=locality_id,
                secure_email=f"{secure}@{domain}" if secure else None,
                **self.stamp(self.made),
            )
        self.org_domain[org_id] = domain
        self.orgs_by_type[type_].append(org_id)
        return org_id

    def _organisations(self) -> None:
        """The ILR team, an agency of every kind, and 3-4 localities with their GP practices."""
        rng = self.rng
        self.team_id = self._organisation(*ILR_TEAM)
        for agency in AGENCIES:
            self._organisation(*agency)
        localities_by_name = self._ids_by(Locality, "name")
        practices_each = max(4, min(12, self.n // 2500))
        practice_no = 0
        for index, name in enumerate(LOCALITIES[: 4 if self.n >= 5000 else 3]):
            loc_id = localities_by_name.get(name)
            if loc_id is None:
                loc_id = self.rows.next_id(Locality)
                self.rows.add(Locality, id=loc_id, name=name, **self.stamp(self.made))
            loc = _Locality(
                loc_id,
                name,
                weight=LOCALITY_WEIGHTS[index],
                towns=rng.sample(self.towns, 3),
                postcode_areas=rng.sample(self.outward, 4),
            )
            for _ in range(practices_each):
                practice_no += 1
                code = f"Z{81000 + practice_no}"  # ODS-like (a letter and five digits), outside real practice codes
                style = rng.choice(["{} Surgery", "{} Medical Centre", "The {} Practice", "{} Health Centre"])
                label = style.format(rng.choice([rng.choice(self.streets).split()[0], rng.choice(loc.towns)]))
                org_id = self._organisation(
                    label, OrganisationType.gp_practice, code, "gp-demo.nhs.net", f"{code.lower()}.admin", loc_id
                )
                loc.practices.append(
                    {"id": org_id, "gps": [f"Dr {self.person()[1]}" for _ in range(rng.randint(3, 6))]}
                )
            loc.council_id = self.orgs_by_type[OrganisationType.social_services][index % 2]
            self.localities.append(loc)

    def _user(self, email: str, name: str, role: Role, org_id: int) -> int:
        user_id = self.users_by_email.get(email)
        if user_id is None:
            user_id = self.users_by_email[email] = self.rows.next_id(User)
            # One hash for every demo account (they share the password): hashing is deliberately slow.
            self.rows.add(
                User,
                id=user_id,
                email=email,
                name=name,
                role=role,
                organisation_id=org_id,
                password_hash=self.password_hash,
                active=True,
                session_token=secrets.token_hex(16),
                **self.stamp(self.made),
            )
        return user_id

    def _contact(self, name: str, title: str, email: str, org_id: int, user_id: int | None = None) -> int:
        if user_id is not None and user_id in self.contact_of_user:
            return self.contact_of_user[user_id]
        contact_id = self.rows.next_id(Contact)
        self.rows.add(
            Contact,
            id=contact_id,
            name=name,
            job_title=title,
            email=email,
            phone=self.rng.choice(self.phones),
            organisation_id=org_id,
            user_id=user_id,
            **self.stamp(self.made),
        )
        if user_id is not None:
            self.contact_of_user[user_id] = contact_id
        return contact_id

    def _member(self, loc: _Locality, contact_id: int, role: MemberRole, attends: float) -> None:
        """A standing member of the locality's meeting, and how reliably they come."""
        if (loc.id, contact_id) not in self.used_members:
            self.used_members.add((loc.id, contact_id))
            self.rows.add(
                MeetingMember,
                id=self.rows.next_id(MeetingMember),
                locality_id=loc.id,
                contact_id=contact_id,
                member_role=role,
                **self.stamp(self.made),
            )
        loc.members.append((contact_id, attends, role != MemberRole.optional))

    def _email_for(self, given: str, family: str, tag, domain: str) -> str:
        return f"{given}.{family}.{tag}@{domain}".lower().replace("'", "").replace(" ", "")

    def _people(self) -> None:
        """The demo accounts, a coordinator per locality, and each locality's members: a GP chair and one per agency."""
        demo_ids = {
            role: self._user(email, name, role, self.orgs_by_code[code] if code else self.team_id)
            for email, name, role, code in DEMO_ACCOUNTS
        }
        self.lead_id = demo_ids[Role.team_lead]
        lead_contact = self._contact(
            "Lindsay Lead", "ILR team lead", "lead@ilr-demo.nhs.net", self.team_id, self.lead_id
        )
        for index, loc in enumerate(self.localities):
            if index == 0:
                given, family, email = "Casey", "Coordinator", "coordinator@ilr-demo.nhs.net"
                loc.coordinator_id = demo_ids[Role.coordinator]
            else:
                given, family = self.person()
                email = self._email_for(given, family, index, "ilr-demo.nhs.net")
                loc.coordinator_id = self._user(email, f"{given} {family}", Role.coordinator, self.team_id)
            self.coordinators.append(loc.coordinator_id)
            self._member(
                loc,
                self._contact(f"{given} {family}", "ILR coordinator", email, self.team_id, loc.coordinator_id),
                MemberRole.core,
                0.97,
            )
            self._member(loc, lead_contact, MemberRole.optional, 0.5)
            for n, practice in enumerate(loc.practices):
                given, family = self.person()
                practice["contact"] = self._contact(
                    f"Dr {given} {family}",
                    "GP partner",
                    self._email_for(given, family, practice["id"], "gp-demo.nhs.net"),
                    practice["id"],
                )
                loc.member_of[practice["id"]] = practice["contact"]
                if n == 0:  # the chair: a GP from one of the locality's practices
                    loc.chair_id = practice["contact"]
                    self._member(loc, loc.chair_id, MemberRole.chair, 0.95)
            for type_, (title, role, attends) in MEMBERSHIP.items():
                choices = self.orgs_by_type[type_]
                org_id = loc.council_id if type_ == OrganisationType.social_services else choices[index % len(choices)]
                given, family = self.person()
                email, login = self._email_for(given, family, index, self.org_domain[org_id]), None
                if index == 0 and org_id == loc.council_id:
                    # The demo partner sits on the first locality's meeting as its social worker.
                    given, family, email, login = "Pat", "Partner", "partner@social-demo.gov.uk", demo_ids[Role.partner]
                elif index < 2 and type_ in (OrganisationType.fire_rescue, OrganisationType.housing):
                    login = self._user(email, f"{given} {family}", Role.partner, org_id)  # more partner logins
                contact_id = self._contact(f"{given} {family}", title, email, org_id, login)
                self._member(loc, contact_id, role, attends)
                loc.member_of[org_id] = contact_id
                loc.owners.append((org_id, type_))

    # -- the meeting schedule --

    def _meetings(self) -> None:
        """Weekly meetings per locality for two years and five weeks ahead, with extra weekly slots as the caseload grows."""
        rng, rows = self.rng, self.rows
        weeks = HISTORY_DAYS // 7 + 6
        total_weight = sum(loc.weight for loc in self.localities)
        cases_a_week = self.n * ITEMS_PER_PATIENT / weeks
        for loc in self.localities:
            loc.per_week = max(1, round(cases_a_week * loc.weight / total_weight / CASES_PER_MEETING))
        expected_cases = cases_a_week / sum(loc.per_week for loc in self.localities)
        self.slot_minutes = max(4, min(15, 110 // max(1, round(expected_cases))))
        monday = self.start - timedelta(days=self.start.weekday())
        for index, loc in enumerate(self.localities):
            for week in range(weeks):
                for slot in range(loc.per_week):
                    # One locality meets on Tuesdays, the next on Wednesdays...; extra slots fill the week.
                    day = monday + timedelta(weeks=week, days=(1 + index + slot // len(SLOT_TIMES)) % 5)
                    hour, minute = SLOT_TIMES[(slot + index) % len(SLOT_TIMES)]
                    starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)
                    if day < self.start or day > self.today + timedelta(days=35):
                        continue
                    if starts < self.now:
                        status = MeetingStatus.cancelled if rng.random() < 0.03 else MeetingStatus.held
                    else:
                        status = (
                            MeetingStatus.booked if day <= self.today + timedelta(days=14) else MeetingStatus.planned
                        )
                    meeting_id = rows.next_id(Meeting)
                    booked_on = day - timedelta(days=28)
                    rows.add(
                        Meeting,
                        id=meeting_id,
                        locality_id=loc.id,
                        starts_at=starts,
                        duration_minutes=120,
                        chair_id=loc.chair_id,
                        teams_link=f"https://teams.example.org/l/meetup-join/ilr-demo-{meeting_id}",
                        status=status,
                        ics_sequence=0 if status == MeetingStatus.planned else rng.choice([0, 0, 0, 1]),
                        **self.stamp(
                            booked_on, day if status in (MeetingStatus.held, MeetingStatus.cancelled) else None
                        ),
                    )
                    if status != MeetingStatus.cancelled:
                        loc.meeting_days.append(day)
                        loc.meeting_ids.append(meeting_id)
                        loc.meeting_starts.append(starts)
                        loc.meeting_status.append(status)
                    self._attendance(loc, meeting_id, status, day)
            order = sorted(range(len(loc.meeting_ids)), key=lambda i: (loc.meeting_starts[i], loc.meeting_ids[i]))
            for name in ("meeting_days", "meeting_ids", "meeting_starts", "meeting_status"):
                values = getattr(loc, name)
                setattr(loc, name, [values[i] for i in order])

    def _attendance(self, loc: _Locality, meeting_id: int, status: MeetingStatus, day: date) -> None:
        """The register: every member of a held meeting, by how reliably their agency attends; invited for booked ones."""
        if status in (MeetingStatus.planned, MeetingStatus.cancelled):
            return
        for contact_id, attends, core in loc.members:
            if status == MeetingStatus.booked:
                state = AttendanceStatus.invited
            else:
                roll = self.rng.random()
                state = (
                    AttendanceStatus.attended
                    if roll < attends
                    else AttendanceStatus.apologies
                    if roll < attends + (1 - attends) * (0.6 if core else 0.3)
                    else AttendanceStatus.absent
                )
            self.rows.add(
                Attendance,
                id=self.rows.next_id(Attendance),
                meeting_id=meeting_id,
                contact_id=contact_id,
                status=state,
                **self.stamp(day - timedelta(days=28), day),
            )

    def meeting_on_or_after(self, loc: _Locality, day: date, patient_id: int) -> int | None:
        """Index of one of the week's meetings from `day` on that does not already list the patient (None past the schedule)."""
        index = bisect_left(loc.meeting_days, day)
        # After a cancelled week the cases spread over the next two weeks, not all onto the next meeting.
        gap = index < len(loc.meeting_days) and loc.meeting_days[index] - day > timedelta(days=7)
        index += self.rng.randrange(loc.per_week * (2 if gap else 1))
        while index < len(loc.meeting_ids) and (loc.meeting_ids[index], patient_id) in self.used_pairs:
            index += 1
        return index if index < len(loc.meeting_ids) else None

    # -- one patient's two years --

    def _patient(self) -> None:
        rng, rows = self.rng, self.rows
        pid = rows.next_id(Patient)
        loc = rng.choices(self.localities, [loc.weight for loc in self.localities])[0]
        practice = rng.choice(loc.practices)
        sex = self.pick({Sex.female: 55, Sex.male: 43, Sex.other: 1, Sex.unknown: 1})
        given, family = self.person(sex if sex in (Sex.female, Sex.male) else None)
        age = int(rng.triangular(38, 101, 84)) if rng.random() < 0.9 else rng.randint(30, 64)
        born = self.today - timedelta(days=age * 365 + rng.randrange(365))
        cfs = None if rng.random() < 0.08 else self.pick({3: 4, 4: 10, 5: 22, 6: 26, 7: 22, 8: 10, 9: 6})
        efi = None
        if rng.random() > 0.12:
            efi = Decimal(f"{min(0.8, max(0.02, rng.gauss(0.05 * (cfs or 5) + 0.01, 0.07))):.3f}")
        conditions = rng.sample(CONDITIONS, min(len(CONDITIONS), max(1, int(rng.triangular(1, 9, 4)))))

        story = _Story(pid=pid, loc=loc, practice=practice, born=born)
        first = self.start + self.days(0, HISTORY_DAYS - 1)
        created = first
        self._referral(story, first)
        if story.died_on is None and story.withdrawn_on is None:
            second = self._second_referral_date(story, first)
            if second is not None:
                self._referral(story, second)

        self._settle_actions(story)
        events = self._hospital_events(story, cfs, first)
        concerns_open = self._safeguarding(story)
        self._notes(story)
        inputs = risk.RiskInputs(
            cfs=cfs,
            efi=efi,
            admissions_12m=events["admissions_12m"],
            ae_12m=events["ae_12m"],
            conditions=len(conditions),
            discharged_within_30_days=events["recent_discharge"],
            open_safeguarding=concerns_open,
        )
        result = risk.assess(inputs, self.points)

        if rng.random() < 0.95 and self.nhs_numbers:
            number = self.nhs_numbers.pop()
            status = NhsNumberStatus.verified if rng.random() < 0.93 else NhsNumberStatus.needs_tracing
        else:
            number, status = None, rng.choice([NhsNumberStatus.not_present, NhsNumberStatus.trace_required])
        street = rng.choice(self.streets)
        postcode = f"{rng.choice(loc.postcode_areas)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXY')}{rng.choice('ABDEFGHJLNPQRSTUWXY')}"
        carer = None
        if rng.random() < 0.35:
            carer_given, _ = self.person()
            carer = f"{carer_given} {family} ({rng.choice(['wife', 'husband', 'daughter', 'son', 'neighbour'])}), {rng.choice(self.phones)}"
        kin_given, _ = self.person()
        rows.add(
            Patient,
            id=pid,
            nhs_number=number,
            nhs_number_status=status,
            given_name=given,
            family_name=family,
            date_of_birth=born,
            sex=sex,
            address=f"{rng.randint(1, 180)} {street}, {rng.choice(loc.towns)}",
            postcode=postcode,
            phone=rng.choice(self.phones),
            gp_practice_id=practice["id"],
            named_gp=rng.choice(practice["gps"]),
            carer_details=carer,
            next_of_kin=f"{kin_given} {family}, {rng.choice(self.phones)}" if rng.random() < 0.75 else None,
            communication_needs=rng.choice(COMMUNICATION) if rng.random() < 0.15 else None,
            interpreter_language=rng.choice(LANGUAGES) if rng.random() < 0.03 else None,
            long_term_conditions="\n".join(conditions),
            cfs=cfs,
            efi=efi,
            date_of_death=story.died_on,
            consent_withdrawn_on=story.withdrawn_on,
            risk_score=result.score,
            risk_band=result.band,
            risk_reasons="\n".join(result.reasons) or None,
            **self.stamp(created, story.last_change),
        )

    def _second_referral_date(self, story: "_Story", first: date) -> date | None:
        """About three in ten patients are referred again: a duplicate, or a re-referral after closure or decline."""
        rng = self.rng
        episode = story.last_episode
        if episode is not None and episode["closed_on"] is None:
            day = episode["opened_on"] + self.days(10, 120) if rng.random() < 0.10 else None
        elif episode is not None:
            day = episode["closed_on"] + self.days(30, 240) if rng.random() < 0.35 else None
        else:
            day = first + self.days(20, 200) if rng.random() < 0.45 else None
        return day if day is not None and day < self.today else None

    def _referral(self, story: "_Story", received: date) -> None:
        rng, rows = self.rng, self.rows
        loc, practice = story.loc, story.practice
        rid = rows.next_id(Referral)
        duplicate = story.last_episode is not None and story.last_episode["closed_on"] is None
        from_gp = rng.random() < 0.6
        if from_gp:
            referrer, role, org = rng.choice(practice["gps"]), "GP", practice["id"]
        else:
            org, type_ = rng.choice(loc.owners)
            referrer, role = " ".join(self.person()), MEMBERSHIP[type_][0]
        # Triage: a few days after receipt; the last week's referrals still wait.
        outcomes = []
        decided = received + self.days(0, 12)
        if duplicate:
            outcomes.append((decided, TriageOutcome.decline, DeclineReason.duplicate))
        elif rng.random() < 0.10:
            outcomes.append((decided, TriageOutcome.more_information, None))
            decided = decided + self.days(3, 25)
            outcomes.append((decided, self._outcome(), None))
        else:
            outcomes.append((decided, self._outcome(), None))
        outcomes = [(d, o, r) for d, o, r in outcomes if d <= self.today]
        final = outcomes[-1][1] if outcomes else None
        if final == TriageOutcome.decline and outcomes[-1][2] is None:
            outcomes[-1] = (
                outcomes[-1][0],
                final,
                self.pick(
                    {
                        DeclineReason.criteria_not_met: 30,
                        DeclineReason.no_consent: 15,
                        DeclineReason.signposting_not_tried: 20,
                        DeclineReason.better_met_elsewhere: 15,
                        DeclineReason.patient_declined: 10,
                        DeclineReason.other: 10,
                    }
                ),
            )
        reason = outcomes[-1][2] if outcomes else None

        # Consent and signposting agree with the decision: acceptance needs both (services.acceptance_gaps).
        accepted = final == TriageOutcome.accept
        consent = Consent.not_recorded
        if (
            accepted
            or (final is not None and reason != DeclineReason.no_consent and rng.random() < 0.85)
            or (final is None and rng.random() < 0.6)
        ):
            consent = Consent.best_interests if rng.random() < 0.1 else Consent.given
        signposting = None
        if accepted or (reason != DeclineReason.signposting_not_tried and rng.random() < 0.8):
            signposting = rng.choice(SIGNPOSTING)
        status = {
            None: ReferralStatus.awaiting_triage,
            TriageOutcome.accept: ReferralStatus.accepted,
            TriageOutcome.more_information: ReferralStatus.more_information,
            TriageOutcome.advice_only: ReferralStatus.advice_only,
            TriageOutcome.decline: ReferralStatus.declined,
            TriageOutcome.redirect: ReferralStatus.redirected,
        }[final]
        criteria = [rng.random() < p for p in (0.8, 0.6, 0.7, 0.75, 0.5)]
        if reason == DeclineReason.criteria_not_met:
            criteria = [False, rng.random() < 0.3, False, False, False]
        domain = self.org_domain.get(org, "gp-demo.nhs.net")
        rows.add(
            Referral,
            id=rid,
            patient_id=story.pid,
            locality_id=loc.id,
            received_on=received,
            referrer_name=referrer,
            referrer_role=role,
            referrer_organisation_id=org,
            referrer_email=f"{referrer.replace('Dr ', '').replace(' ', '.').lower().replace(chr(39), '')}@{domain}",
            referrer_phone=rng.choice(self.phones),
            reason=rng.choice(REFERRAL_REASONS),
            question=rng.choice(QUESTIONS),
            criteria_multiple_ltcs=criteria[0],
            criteria_complex_needs=criteria[1],
            criteria_frailty=criteria[2],
            criteria_multi_agency=criteria[3],
            criteria_urgent_care=criteria[4],
            consent=consent,
            consent_by=("Patient" if consent == Consent.given else "Dr " + self.person()[1])
            if consent != Consent.not_recorded
            else None,
            consent_on=received - self.days(0, 10) if consent != Consent.not_recorded else None,
            best_interests_reason="Lacks capacity to decide about the referral; daughter consulted."
            if consent == Consent.best_interests
            else None,
            signposting_tried=signposting,
            patient_aware=rng.random() < 0.92,
            status=status,
            **self.stamp(received, outcomes[-1][0] if outcomes else None),
        )
        story.touch(received)
        for decided_on, outcome, why in outcomes:
            self._decision(rid, decided_on, outcome, why, loc)
            story.touch(decided_on)
        if accepted:
            self._episode(story, rid, outcomes[-1][0])

    def _outcome(self) -> TriageOutcome:
        return self.pick(
            {
                TriageOutcome.accept: 70,
                TriageOutcome.decline: 14,
                TriageOutcome.advice_only: 8,
                TriageOutcome.redirect: 8,
            }
        )

    def _decision(
        self, referral_id: int, on: date, outcome: TriageOutcome, reason: DeclineReason | None, loc: _Locality
    ) -> None:
        rng = self.rng
        details = {}
        if outcome == TriageOutcome.decline:
            details = {
                "decline_reason": reason,
                "reason_text": rng.choice(OTHER_DECLINE) if reason == DeclineReason.other else None,
            }
        elif outcome == TriageOutcome.more_information:
            details = {"missing_information": rng.choice(MISSING)}
        elif outcome == TriageOutcome.advice_only:
            details = {"reason_text": rng.choice(ADVICE)}
        elif outcome == TriageOutcome.redirect:
            details = {"redirected_to": rng.choice(REDIRECT_SERVICES)}
        by = loc.coordinator_id if rng.random() < 0.7 else self.lead_id
        self.rows.add(
            TriageDecision,
            id=self.rows.next_id(TriageDecision),
            referral_id=referral_id,
            decided_on=on,
            decided_by_id=by,
            outcome=outcome,
            **details,
            **self.stamp(on),
        )

    def _episode(self, story: "_Story", referral_id: int, opened: date) -> None:
        rng, rows = self.rng, self.rows
        eid = rows.next_id(Episode)
        stay = int(rng.triangular(21, 330, 90))
        closed = opened + timedelta(days=stay)
        reason = None
        if closed >= self.today:
            closed = None
        else:
            reason = self.pick(
                {
                    ClosureReason.goals_met: 45,
                    ClosureReason.transferred: 16,
                    ClosureReason.declined_input: 8,
                    ClosureReason.died: 10,
                    ClosureReason.moved_away: 6,
                    ClosureReason.other: 15,
                }
            )
            if reason == ClosureReason.died and closed >= story.born:
                story.died_on = closed
            elif reason == ClosureReason.declined_input and rng.random() < 0.3:
                story.withdrawn_on = closed  # consent withdrawn: off agendas, no further sharing
        coordinator = story.loc.coordinator_id if rng.random() < 0.85 else rng.choice(self.coordinators)
        episode = {
            "id": eid,
            "opened_on": opened,
            "closed_on": closed,
            "referral_id": referral_id,
            "coordinator": coordinator,
        }
        story.last_episode = episode
        discussed = self._discussions(story, episode)
        last = max([d for d in discussed if d <= self.today], default=opened)
        review = last + self.days(42, 84) if closed is None else min(closed, last + self.days(42, 84))
        rows.add(
            Episode,
            id=eid,
            patient_id=story.pid,
            referral_id=referral_id,
            locality_id=story.loc.id,
            coordinator_id=coordinator,
            opened_on=opened,
            review_on=review,
            closed_on=closed,
            closure_reason=reason,
            goal_attainment=CLOSURE_NOTES[reason] if reason else None,
            **self.stamp(opened, closed or last),
        )
        story.touch(closed or last)

    def _discussions(self, story: "_Story", episode: dict) -> list[date]:
        """The case on agendas: first discussion soon after acceptance, reviews every six to twelve weeks."""
        rng, rows, loc = self.rng, self.rows, story.loc
        end = episode["closed_on"] or (self.today + timedelta(days=35))
        day = episode["opened_on"] + self.days(2, 12)
        discussed: list[date] = []
        while day <= end and len(discussed) < 5:
            index = self.meeting_on_or_after(loc, day, story.pid)
            if index is None or loc.meeting_days[index] > end:
                break
            status = loc.meeting_status[index]
            if status == MeetingStatus.held:
                roll = rng.random()
                if roll < 0.04 and loc.meeting_days[index] < self.today - timedelta(days=7):
                    self._agenda_item(story, episode, index, CaseStatus.rolled_over)
                    later = self.meeting_on_or_after(loc, loc.meeting_days[index] + timedelta(days=1), story.pid)
                    if later is None:
                        break
                    index, status = later, loc.meeting_status[later]
                elif roll < 0.05 and loc.meeting_days[index] >= self.today - timedelta(days=7):
                    self._agenda_item(story, episode, index, CaseStatus.not_reached)
                    break
            case = CaseStatus.discussed if status == MeetingStatus.held else CaseStatus.listed
            item_id = self._agenda_item(story, episode, index, case)
            meeting_day = loc.meeting_days[index]
            discussed.append(meeting_day)
            if case == CaseStatus.discussed:
                self._actions(story, item_id, index)
                if len(discussed) == 1 or (len(discussed) == 3 and rng.random() < 0.4):
                    self._care_plan(story, episode, meeting_day)
                if rng.random() < 0.3:
                    self._onward_referral(story, episode, meeting_day)
            day = meeting_day + self.days(42, 84)
        return discussed

    def _agenda_item(self, story: "_Story", episode: dict, index: int, case: CaseStatus) -> int:
        rng, loc = self.rng, story.loc
        meeting_id = loc.meeting_ids[index]
        self.used_pairs.add((meeting_id, story.pid))
        item_id = self.rows.next_id(AgendaItem)
        held = case == CaseStatus.discussed
        meeting_day = loc.meeting_days[index]
        # Cases go on the agenda in the order they are listed, each with a time slot.
        self.positions[meeting_id] += 1
        position = self.positions[meeting_id]
        slot = loc.meeting_starts[index] + timedelta(
            minutes=min(position - 1, 110 // self.slot_minutes) * self.slot_minutes
        )
        self.rows.add(
            AgendaItem,
            id=item_id,
            meeting_id=meeting_id,
            patient_id=story.pid,
            episode_id=episode["id"],
            referral_id=episode["referral_id"],
            position=position,
            slot_starts_at=slot,
            presenter_id=story.practice["contact"] if rng.random() < 0.6 else loc.member_of[rng.choice(loc.owners)[0]],
            late_addition=rng.random() < 0.06,
            status=case,
            summary=" ".join(rng.sample(SUMMARY_BITS, 3)),
            discussion=" ".join(rng.sample(DISCUSSION_BITS, rng.randint(3, 5))) if held else None,
            outcome=rng.choice(OUTCOMES) if held else None,
            decisions="GP to discuss the recommendations with the patient. " + rng.choice(OUTCOMES) if held else None,
            **self.stamp(meeting_day - self.days(3, 10), meeting_day if held else None),
        )
        return item_id

    def _actions(self, story: "_Story", item_id: int, index: int) -> None:
        """What the agencies agreed at the discussion; statuses follow the due dates (done ones have a completion date)."""
        rng, rows, loc = self.rng, self.rows, story.loc
        meeting_day = loc.meeting_days[index]
        meeting_at = loc.meeting_starts[index]
        mean = self.actions_per_discussion
        for _ in range(rng.randint(max(1, round(mean * 0.4)), max(1, round(mean * 1.6)))):
            if rng.random() < 0.3:
                owner, type_ = story.practice["id"], OrganisationType.gp_practice
            else:
                owner, type_ = rng.choice(loc.owners)
            due = meeting_day + timedelta(days=rng.choice([7, 14, 14, 21, 28, 28, 42, 56]))
            completed = None
            if due > self.today:
                status = self.pick({ActionStatus.open: 55, ActionStatus.in_progress: 35, ActionStatus.done: 10})
                if status == ActionStatus.done:
                    completed = min(self.today, meeting_day + self.days(1, 14))
            else:
                status = self.pick(
                    {
                        ActionStatus.done: 86,
                        ActionStatus.cancelled: 4,
                        ActionStatus.in_progress: 4,
                        ActionStatus.open: 6,
                    }
                )
                if status == ActionStatus.done:
                    late = rng.random() < 0.15
                    completed = due + self.days(1, 30) if late else max(meeting_day, due - self.days(0, 14))
                    completed = min(completed, self.today)
            agreed_at = min(meeting_at + timedelta(hours=2), self.now)
            story.actions.append(
                rows.add(
                    Action,
                    id=rows.next_id(Action),
                    agenda_item_id=item_id,
                    patient_id=story.pid,
                    description=rng.choice(ACTION_TEMPLATES[type_]),
                    owner_organisation_id=owner,
                    owner_contact_id=loc.member_of.get(owner) if rng.random() < 0.85 else None,
                    due_on=due,
                    status=status,
                    completed_on=completed,
                    created_at=agreed_at,
                    updated_at=agreed_at,
                )
            )

    def _settle_actions(self, story: "_Story") -> None:
        """Once the story is known: a death or consent withdrawal stops the work (open actions cancelled,
        no chaser after it); overdue actions and ones done late were chased."""
        rng, rows = self.rng, self.rows
        ended = story.died_on or story.withdrawn_on
        for action in story.actions:
            status, due, completed = action["status"], action["due_on"], action["completed_on"]
            if ended is not None and status != ActionStatus.cancelled and (completed is None or completed > ended):
                action["status"], action["completed_on"] = status, completed = ActionStatus.cancelled, None
                action["updated_at"] = max(action["created_at"], min(self.at(ended), self.now))
            elif completed is not None:
                action["updated_at"] = max(action["created_at"], min(self.at(completed), self.now))
            overdue = status in (ActionStatus.open, ActionStatus.in_progress) and due < self.today
            done_late = completed is not None and completed > due
            stopped = ended is not None and status == ActionStatus.cancelled and due < ended
            if not (overdue or done_late or stopped) or rng.random() > 0.7:
                continue
            chase_until = min(completed or self.today, self.today, ended or self.today)
            chased = due + timedelta(days=3)
            for _ in range(rng.choice([1, 1, 2, 3])):
                if chased > chase_until:
                    break
                rows.add(
                    ActionChase,
                    id=rows.next_id(ActionChase),
                    action_id=action["id"],
                    chased_at=self.at(chased),
                    chased_by_id=story.loc.coordinator_id,
                    method=self.pick({"email": 60, "phone": 25, "meeting": 15}),
                    note=rng.choice(CHASE_NOTES),
                    **self.stamp(chased),
                )
                chased += self.days(5, 10)

    def _care_plan(self, story: "_Story", episode: dict, discussed_on: date) -> None:
        rng, rows = self.rng, self.rows
        story.plans += 1
        plan_id = rows.next_id(CarePlan)
        agreed_on = discussed_on + self.days(1, 14)
        agreed = (
            agreed_on <= self.today
            and (episode["closed_on"] is None or agreed_on <= episode["closed_on"])
            and rng.random() < 0.92
        )
        closed = episode["closed_on"]
        rows.add(
            CarePlan,
            id=plan_id,
            patient_id=story.pid,
            episode_id=episode["id"],
            number=story.plans,
            state=CarePlanState.agreed if agreed else CarePlanState.draft,
            about_me=rng.choice(ABOUT_ME),
            what_matters=f"{rng.choice(GOALS[GoalDomain.environmental])}; {rng.choice(GOALS[GoalDomain.social]).lower()}.",
            support_by_agency="\n".join(
                f"{MEMBERSHIP[t][0]}: {rng.choice(ACTION_TEMPLATES[t]).lower()}"
                for _, t in rng.sample(story.loc.owners, 3)
            ),
            contingency_plan="If unwell out of hours call 111; if a fall with injury call 999. Key safe code with the ambulance service.",
            carers_and_contacts="Next of kin and named GP as recorded.",
            review_on=discussed_on + self.days(56, 112),
            agreed_on=agreed_on if agreed else None,
            agreed_by_id=episode["coordinator"] if agreed else None,
            **self.stamp(discussed_on, agreed_on if agreed else None),
        )
        for _ in range(rng.randint(2, 4)):
            domain = rng.choice(list(GoalDomain))
            if closed is not None and agreed:
                status = self.pick(
                    {
                        GoalStatus.achieved: 40,
                        GoalStatus.partly_achieved: 25,
                        GoalStatus.not_achieved: 15,
                        GoalStatus.no_longer_relevant: 10,
                        GoalStatus.in_progress: 10,
                    }
                )
            elif agreed:
                status = self.pick(
                    {
                        GoalStatus.in_progress: 60,
                        GoalStatus.proposed: 20,
                        GoalStatus.achieved: 15,
                        GoalStatus.partly_achieved: 5,
                    }
                )
            else:
                status = GoalStatus.proposed
            rows.add(
                Goal,
                id=rows.next_id(Goal),
                care_plan_id=plan_id,
                description=rng.choice(GOALS[domain]),
                domain=domain,
                target_on=discussed_on + self.days(42, 120),
                status=status,
                **self.stamp(discussed_on),
            )
        shared_on = agreed_on + self.days(0, 12)
        no_sharing_after = story.withdrawn_on or story.died_on
        if (
            agreed
            and shared_on <= self.today
            and rng.random() < 0.88
            and (no_sharing_after is None or shared_on <= no_sharing_after)
        ):
            rows.add(
                CarePlanShare,
                id=rows.next_id(CarePlanShare),
                care_plan_id=plan_id,
                shared_on=shared_on,
                shared_by_id=episode["coordinator"],
                shared_with_id=story.practice["id"],
                method=rng.choice(["Email (nhs.net)", "EMIS task", "Post"]),
                **self.stamp(shared_on),
            )

    def _onward_referral(self, story: "_Story", episode: dict, discussed_on: date) -> None:
        rng = self.rng
        service, type_ = rng.choice(ONWARD_SERVICES)
        referred = min(self.today, discussed_on + self.days(0, 7))
        decided = referred + self.days(5, 45)
        if decided > self.today or rng.random() < 0.08:
            outcome, outcome_on = OnwardOutcome.waiting, None
        else:
            outcome, outcome_on = self.pick({OnwardOutcome.accepted: 78, OnwardOutcome.declined: 22}), decided
        orgs = self.orgs_by_type.get(type_) if type_ else None
        self.rows.add(
            OnwardReferral,
            id=self.rows.next_id(OnwardReferral),
            patient_id=story.pid,
            episode_id=episode["id"],
            service=service,
            organisation_id=rng.choice(orgs) if orgs else None,
            referred_on=referred,
            reason=f"Agreed at the ILR: {rng.choice(OUTCOMES).lower()}",
            outcome=outcome,
            outcome_on=outcome_on,
            **self.stamp(referred, outcome_on),
        )

    def _hospital_events(self, story: "_Story", cfs: int | None, first: date) -> dict:
        """Non-elective admissions and A&E attendances, more for the frailer; counted for the risk rule."""
        rng = self.rng
        mean = {None: 1.2, 3: 0.5, 4: 0.8, 5: 1.2, 6: 1.8, 7: 2.4, 8: 3.0, 9: 3.0}.get(cfs, 1.2)
        last_day = min(self.today, story.died_on or self.today)
        counts = {"admissions_12m": 0, "ae_12m": 0, "recent_discharge": False}
        for _ in range(min(12, int(rng.expovariate(1 / mean) + 0.5))):
            if rng.random() < 0.6:
                day = first - self.days(0, 365)  # most hospital use comes before the referral
            else:
                day = first + self.days(0, max(0, (last_day - first).days))
            if day > last_day or day < story.born:
                continue
            kind = HospitalEventKind.admission if rng.random() < 0.45 else HospitalEventKind.ae_attendance
            discharged = None
            if kind == HospitalEventKind.admission:
                discharged = day + self.days(1, 21)
                if discharged > self.today:
                    discharged = None  # still in hospital
            self.rows.add(
                HospitalEvent,
                id=self.rows.next_id(HospitalEvent),
                patient_id=story.pid,
                kind=kind,
                occurred_on=day,
                discharged_on=discharged,
                hospital=rng.choice(HOSPITALS),
                notes=rng.choice(
                    [
                        "Fall at home",
                        "Chest infection",
                        "Shortness of breath",
                        "Urinary tract infection",
                        "Confusion",
                        "Dizziness",
                        None,
                    ]
                ),
                **self.stamp(discharged or day),
            )
            if self.today - timedelta(days=365) < day <= self.today:
                counts["admissions_12m" if kind == HospitalEventKind.admission else "ae_12m"] += 1
            if (
                kind == HospitalEventKind.admission
                and self.today - timedelta(days=30) < (discharged or day) <= self.today
            ):
                counts["recent_discharge"] = True
        return counts

    def _safeguarding(self, story: "_Story") -> bool:
        """A concern for about one patient in twenty-five on the caseload (and at least one, however few
        patients); True when it is still open."""
        rng, episode = self.rng, story.last_episode
        if episode is None or (
            rng.random() > 0.04
            and self.rows.counts["safeguarding_concern"] + len(self.rows.pending["safeguarding_concern"])
        ):
            return False
        end = episode["closed_on"] or self.today
        raised = episode["opened_on"] + self.days(0, max(0, (end - episode["opened_on"]).days))
        referred = raised + self.days(0, 4) if rng.random() < 0.8 else None
        if referred and referred > self.today:
            referred = None
        closed = raised + self.days(20, 150)
        closed = closed if closed <= self.today else None
        council = (
            "Demo County Council"
            if story.loc.council_id == self.orgs_by_type[OrganisationType.social_services][0]
            else "Demo Borough Council"
        )
        self.rows.add(
            SafeguardingConcern,
            id=self.rows.next_id(SafeguardingConcern),
            patient_id=story.pid,
            raised_on=raised,
            raised_by_id=episode["coordinator"],
            category=self.pick(SAFEGUARDING_WEIGHTS),
            s42_criteria_met=rng.choice([True, True, False, None]),
            referred_to=f"Adult safeguarding team, {council}" if referred else None,
            referred_on=referred,
            reference=f"SG-{raised.year}-{rng.randint(1000, 99999)}" if referred else None,
            outcome=rng.choice(
                [
                    "Section 42 enquiry: protection plan agreed.",
                    "No further action; support via care management.",
                    "Enquiry ongoing.",
                ]
            )
            if closed
            else None,
            closed_on=closed,
            **self.stamp(raised, closed),
        )
        return closed is None

    def _notes(self, story: "_Story") -> None:
        rng = self.rng
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2])):
            source = self.pick(
                {
                    NoteSource.emis: 35,
                    NoteSource.shared_care_record: 25,
                    NoteSource.rio: 20,
                    NoteSource.ibis: 10,
                    NoteSource.other: 10,
                }
            )
            made = min(self.start + self.days(0, HISTORY_DAYS), story.died_on or self.today)
            checked = rng.random() < 0.8
            self.rows.add(
                CollatedNote,
                id=self.rows.next_id(CollatedNote),
                patient_id=story.pid,
                source=source,
                summary=NOTE_SUMMARIES[source],
                checked_by_id=story.loc.coordinator_id if checked else None,
                checked_on=min(self.today, made + self.days(0, 5)) if checked else None,
                **self.stamp(made),
            )

    # -- what the tool itself keeps --

    def _tool_records(self) -> None:
        """A few sent emails and generated documents, availability polls, default settings and one audit entry."""
        rng, rows = self.rng, self.rows
        for loc in self.localities:
            held = [i for i, s in enumerate(loc.meeting_status) if s == MeetingStatus.held][-3:]
            for index in held:
                meeting_id, day = loc.meeting_ids[index], loc.meeting_days[index]
                for kind in (DocumentKind.agenda, DocumentKind.minutes):
                    doc_id = rows.next_id(GeneratedDocument)
                    # Recorded, as every generated document is; the bytes are not kept for demo rows.
                    rows.add(
                        GeneratedDocument,
                        id=doc_id,
                        kind=kind,
                        filename=f"{kind.value}-{loc.name.lower().replace(' ', '-')}-{day:%Y-%m-%d}.docx",
                        generated_by_id=loc.coordinator_id,
                        meeting_id=meeting_id,
                        **self.stamp(day),
                    )
                    self._email(
                        f"ILR {kind.label.lower()}: {loc.name}, {day:%d/%m/%Y}",
                        "lead@ilr-demo.nhs.net",
                        kind.value,
                        day,
                        meeting_id,
                        True,
                        doc_id,
                    )
            if loc.meeting_ids:
                upcoming = [i for i, s in enumerate(loc.meeting_status) if s == MeetingStatus.booked][:1]
                for index in upcoming:
                    for contact_email in ("coordinator@ilr-demo.nhs.net", "lead@ilr-demo.nhs.net"):
                        self._email(
                            f"Invitation: {loc.name} Integrated Locality Review",
                            contact_email,
                            "invitation",
                            loc.meeting_days[index] - timedelta(days=20),
                            loc.meeting_ids[index],
                            False,
                        )
            self._poll(loc)
        self._email(
            "Action overdue: please update",
            "nobody@unreachable.example.org",
            "chase",
            self.today - timedelta(days=3),
            None,
            False,
            failed=True,
        )
        for key, value in ((risk.SETTING_KEY, risk.DEFAULTS), (CUTOFF_SETTING, DEFAULT_CUTOFF_WORKING_DAYS)):
            if db.session.get(Setting, key) is None:
                rows.add(
                    Setting, key=key, value=json.dumps(value), updated_by_id=self.lead_id, **self.stamp(self.start)
                )
        rows.flush()
        rows.add(
            AuditEntry,
            id=rows.next_id(AuditEntry),
            at=self.now,
            user_id=None,
            action=AuditAction.create,
            detail=f"Synthetic demo data loaded by flask seed-demo ({self.n} patients); bulk rows are not audited one by one.",
        )

    def _email(self, subject, to, purpose, day, meeting_id, patient_data, document_id=None, failed=False) -> None:
        """An email already sent (or given up): nothing here is waiting for `flask send-outbox`."""
        rows = self.rows
        email_id = rows.next_id(OutboxEmail)
        sent_at = self.at(min(day, self.today))
        attempts = 5 if failed else 1
        rows.add(
            OutboxEmail,
            id=email_id,
            to_address=to,
            subject=subject,
            body_text=f"{subject}\n\nThis is synthetic demo data.\n\nILR Coordinator",
            contains_patient_data=patient_data,
            status=EmailStatus.given_up if failed else EmailStatus.sent,
            attempts=attempts,
            last_error="550 5.1.1 Recipient address rejected" if failed else None,
            next_attempt_at=None,
            sent_at=None if failed else min(sent_at, self.now),
            meeting_id=meeting_id,
            purpose=purpose,
            document_id=document_id,
            **self.stamp(min(day, self.today)),
        )
        for n in range(attempts):
            rows.add(
                EmailAttempt,
                id=rows.next_id(EmailAttempt),
                email_id=email_id,
                at=min(sent_at + timedelta(minutes=n * 20), self.now),
                succeeded=not failed,
                error="550 5.1.1 Recipient address rejected" if failed else None,
            )

    def _poll(self, loc: _Locality) -> None:
        """An open availability poll for an extra complex-case meeting, some members already answered."""
        rng, rows = self.rng, self.rows
        poll_id = rows.next_id(AvailabilityPoll)
        rows.add(
            AvailabilityPoll,
            id=poll_id,
            locality_id=loc.id,
            title=f"{loc.name}: extra complex-case review",
            duration_minutes=90,
            closes_at=self.now + timedelta(days=7),
            status=PollStatus.open,
            created_by_id=loc.coordinator_id,
            **self.stamp(self.today - timedelta(days=2)),
        )
        slot_ids = []
        for offset in (21, 22, 24):
            day = self.today + timedelta(days=offset)
            slot_ids.append(rows.next_id(PollSlot))
            rows.add(
                PollSlot,
                id=slot_ids[-1],
                poll_id=poll_id,
                starts_at=self.at(day, 14, 0),
                **self.stamp(self.today - timedelta(days=2)),
            )
        for contact_id, _, _ in loc.members:
            answered = rng.random() < 0.5
            rows.add(
                PollInvitation,
                id=rows.next_id(PollInvitation),
                poll_id=poll_id,
                contact_id=contact_id,
                token=secrets.token_urlsafe(24),
                sent_count=1,
                available_slot_ids=",".join(str(s) for s in slot_ids if rng.random() < 0.6) if answered else None,
                answered_at=self.now - timedelta(hours=rng.randint(1, 40)) if answered else None,
                **self.stamp(self.today - timedelta(days=2)),
            )

    def _advance_sequences(self) -> None:
        """PostgreSQL: ids were given explicitly, so move each sequence past them or the next ORM insert collides."""
        session = db.session()
        if session.get_bind().dialect.name != "postgresql":
            return
        for table in db.metadata.sorted_tables:
            if "id" in table.columns and self.rows.counts.get(table.name):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM \"{table.name}\"))"
                    )
                )


@dataclass
class _Story:
    """What the rest of a patient's story needs to know about what happened so far."""

    pid: int
    loc: _Locality
    practice: dict
    born: date
    died_on: date | None = None
    withdrawn_on: date | None = None
    last_episode: dict | None = None
    last_change: date | None = None
    plans: int = 0
    #: This patient's action rows, settled once the story's end is known.
    actions: list[dict] = field(default_factory=list)

    def touch(self, day: date | None) -> None:
        if day is not None and (self.last_change is None or day > self.last_change):
            self.last_change = day
