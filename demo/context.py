"""What the seeders share: the random source, the clock, the rows being written and the ids made so far."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from faker import Faker

from demo.bulk import BulkRows
from demo.reference import STREET_ENDINGS, STREET_STEMS
from formats.dates import LONDON
from formats.dates import today as london_today
from models import MeetingStatus, OrganisationType, Sex, db
from services.calendar import bank_holidays

#: Days of history the demo covers: two years up to today (meetings also run five weeks ahead).
HISTORY_DAYS = 730


@dataclass
class Locality:
    """A locality's meeting and the people and organisations around it, as the patient seeders need them."""

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
    #: Its towns, each with the postcode district it lies in (`demo.reference.LOCALITY_AREAS`).
    area: list[tuple[str, str]] = field(default_factory=list)
    #: Non-cancelled meetings in date order: their London dates, ids, start times and statuses.
    meeting_days: list[date] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)
    meeting_starts: list[datetime] = field(default_factory=list)
    meeting_status: list[MeetingStatus] = field(default_factory=list)


@dataclass
class Story:
    """What the rest of a patient's story needs to know about what happened so far."""

    pid: int
    loc: Locality
    practice: dict
    born: date
    #: Clinical Frailty Scale (None: not recorded): what the referral says about frailty follows it.
    cfs: int | None = None
    died_on: date | None = None
    withdrawn_on: date | None = None
    last_episode: dict | None = None
    last_change: date | None = None
    plans: int = 0
    #: This patient's action rows, settled once the story's end is known.
    actions: list[dict] = field(default_factory=list)

    def touch(self, day: date | None) -> None:
        """Note that the patient's record changed on `day` (its updated_at is the latest)."""
        if day is not None and (self.last_change is None or day > self.last_change):
            self.last_change = day


class Context:
    """One run's shared state; the seeders add the ids they make so later seeders can point at them."""

    def __init__(self, patients: int, seed: int):
        self.n = max(0, patients)
        #: Every random choice comes from here, in a fixed order: the same seed, N and day give the same data.
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.today = london_today()
        self.now = datetime.now(UTC)
        self.start = self.today - timedelta(days=HISTORY_DAYS)
        #: No meeting is held, nor a time offered, on these (the years the demo covers).
        self.bank_holidays = set(bank_holidays(self.start.year, self.today.year + 1))
        #: The day the reference data (organisations, people, members) was set up: before the history starts.
        self.set_up_on = self.start - timedelta(days=30)
        self.rows = BulkRows(db.session)
        #: Risk points in force (the stored score is computed with them).
        self.points: dict = {}
        self.localities: list[Locality] = []
        self.orgs_by_code: dict[str, int] = {}
        self.orgs_by_type: dict[OrganisationType, list[int]] = defaultdict(list)
        self.org_domain: dict[int, str] = {}
        #: Organisation id -> its secure mailbox, and contact id -> email: where a chase about an action goes.
        self.org_mailbox: dict[int, str | None] = {}
        self.contact_email: dict[int, str] = {}
        #: The services directory as the onward referrals and contacts pick from it (see demo.directory).
        self.directory: list[dict] = []
        #: Care-plan shares sent so far as an email from the tool (see demo.care.GP_EMAILS).
        self.gp_emails = 0
        self.team_id = 0
        self.lead_id = 0
        self.coordinators: list[int] = []
        #: (meeting id, patient id) already on an agenda: a patient is listed once per meeting.
        self.used_pairs: set[tuple[int, int]] = set()
        #: Agenda items listed so far per meeting id.
        self.positions: Counter = Counter()
        #: Minutes each case gets on an agenda, set with the meeting schedule.
        self.slot_minutes = 15
        self.nhs_numbers: list[str] = []
        self._draw_pools()

    def _draw_pools(self) -> None:
        """Faker is slow: draw small pools once, then pick from them."""
        fake = self.fake
        self.female = sorted({fake.first_name_female() for _ in range(600)})
        self.male = sorted({fake.first_name_male() for _ in range(600)})
        self.surnames = sorted({fake.last_name() for _ in range(2000)})
        self.streets = [f"{stem} {ending}" for stem in STREET_STEMS for ending in STREET_ENDINGS]
        # Ofcom's drama ranges: numbers that ring nobody.
        self.phones = [f"01632 960{n:03d}" for n in range(1000)] + [f"07700 900{n:03d}" for n in range(1000)]

    def working_days_from(self, day: date, count: int) -> list[date]:
        """The first `count` working days from `day` on (weekends and England & Wales bank holidays skipped)."""
        found = []
        while len(found) < count:
            if self.is_working_day(day):
                found.append(day)
            day += timedelta(days=1)
        return found

    def is_working_day(self, day: date) -> bool:
        """Not a weekend nor an England & Wales bank holiday: a day a meeting is held."""
        return day.weekday() < 5 and day not in self.bank_holidays

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
        """One key of `weights`, chosen in proportion to its value."""
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def days(self, low: int, high: int) -> timedelta:
        """A random number of days from `low` to `high` inclusive."""
        return timedelta(days=self.rng.randint(low, high))

    def person(self, sex: Sex | None = None) -> tuple[str, str]:
        """A (given name, family name) from the pools; of either sex unless told."""
        sex = sex or self.rng.choice([Sex.female, Sex.male])
        given = self.rng.choice(self.female if sex == Sex.female else self.male)
        return given, self.rng.choice(self.surnames)
