"""Each role's home page, put together from the lists of services/home.py and services/home_meetings.py.

- A coordinator: their own work (referrals awaiting triage, the next meetings of their localities, their overdue
  actions, reviews, follow-ups, onward referrals, care plans for the GP, failed emails).
- The team lead: the same for the whole team, by coordinator, with the month's headline KPIs (from
  `services.kpis`, not counted again), sign-in alerts and accounts awaiting set-up. The headlines are a report, not a
  list: their thirty-odd sums take as long as the rest of the page, so the page says where they go
  (`HomePage.month_figures`) and they come in their own request once it is shown (`month_headlines`).
- A partner: their organisation's open actions and their upcoming meetings.
- An observer: the lists they may read (the page's links, from the menu).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from access import row_filters
from formats.dates import today
from models import Action, Episode, Locality, Role, User, db
from services import home
from services.actions import overdue
from services.caseload import case_holders, review_due_before
from services.home import HomeList, Target, review_args
from services.home_meetings import next_meetings, partner_meetings
from services.kpis.periods import Scope, period_dates
from services.kpis.report import build_report


@dataclass
class Headline:
    """One KPI's first figure for the month, linked to the records behind it."""

    title: str
    label: str
    text: str
    target: Target | None
    flagged: bool = False


@dataclass
class TeamRow:
    """The team lead's view of one coordinator's caseload, or one locality's."""

    name: str
    open_cases: int
    reviews_due: int
    overdue_actions: int
    caseload: Target
    reviews: Target
    #: The overdue actions' list (by coordinator; the action list has no locality filter).
    overdue: Target | None = None


#: Whose home page has the month's headline KPIs (and who may ask for them).
MONTH_FIGURES_ROLES = frozenset({Role.team_lead})


@dataclass
class HomePage:
    role: Role
    lists: list[HomeList] = field(default_factory=list)
    team: list[TeamRow] = field(default_factory=list)
    localities: list[TeamRow] = field(default_factory=list)
    #: The month's headline KPIs have a place on this page, filled in by their own request (`month_headlines`).
    month_figures: bool = False
    admin: list[HomeList] = field(default_factory=list)


def staff_lists(user: User, holder_id: int | None, on: date | None = None) -> list[HomeList]:
    """The coordinator's lists (`holder_id` theirs), or the whole team's (None)."""
    return [
        home.awaiting_triage(user, on),
        next_meetings(user, holder_id, on),
        home.overdue_actions(user, holder_id, on),
        home.reviews_due(user, holder_id, on),
        home.follow_ups(user, holder_id),
        home.onward_waiting(user, holder_id, on),
        home.plans_for_the_gp(user, holder_id),
        home.failed_emails(user),
    ]


def _team_counts(user: User, on: date) -> dict[tuple[int | None, int], list[int]]:
    """(coordinator id, locality id) → [open cases, reviews due this week, overdue actions]: three grouped queries."""
    key = (Episode.coordinator_id, Episode.locality_id)
    open_cases = select(*key, func.count()).where(Episode.closed_on.is_(None), *row_filters(Episode, user))
    due = open_cases.where(Episode.review_on < review_due_before(on))
    # Overdue actions read in the partial index of open actions and counted per patient first, then matched to open
    # episodes: SQLite otherwise probes every open episode's actions (110 ms → 46 ms at 100,000 patients).
    overdue_patients = (
        select(Action.patient_id, func.count().label("n"))
        .where(overdue(on), *row_filters(Action, user))
        .group_by(Action.patient_id)
        .subquery()
    )
    late = (
        select(*key, func.sum(overdue_patients.c.n))
        .join(overdue_patients, overdue_patients.c.patient_id == Episode.patient_id)
        .where(Episode.closed_on.is_(None), Episode.archived_at.is_(None))
    )
    counts: dict[tuple[int | None, int], list[int]] = {}
    for place, query in enumerate((open_cases, due, late)):
        for coordinator_id, locality_id, n in db.session.execute(query.group_by(*key)):
            counts.setdefault((coordinator_id, locality_id), [0, 0, 0])[place] = n
    return counts


def _sums(counts: dict, side: int) -> dict[int | None, list[int]]:
    summed: dict[int | None, list[int]] = {}
    for pair, values in counts.items():
        total = summed.setdefault(pair[side], [0, 0, 0])
        for place, n in enumerate(values):
            total[place] += n
    return summed


def by_coordinator_and_locality(user: User, on: date | None = None) -> tuple[list[TeamRow], list[TeamRow]]:
    """Each case holder's and each locality's open cases, reviews due this week and overdue actions."""
    on = on or today()
    counts = _team_counts(user, on)
    holders, places = _sums(counts, 0), _sums(counts, 1)
    team = [
        TeamRow(
            u.name,
            *holders.get(u.id, [0, 0, 0]),
            Target("caseload.index_view", {"coordinator": str(u.id)}),
            Target("caseload.index_view", {"coordinator": str(u.id), **review_args(on)}),
            Target("action.index_view", {"flt0_overdue_is": "1", "flt9_coordinator_is": str(u.id)}),
        )  # fmt: skip
        for u in case_holders()
    ]
    localities = [
        TeamRow(
            name,
            *places.get(locality_id, [0, 0, 0]),
            Target("caseload.index_view", {"coordinator": "all", "locality": str(locality_id)}),
            Target("caseload.index_view", {"coordinator": "all", "locality": str(locality_id), **review_args(on)}),
        )  # fmt: skip
        for locality_id, name in db.session.execute(
            select(Locality.id, Locality.name).where(*row_filters(Locality, user)).order_by(Locality.name)
        )
    ]
    return team, localities


def month_headlines(on: date | None = None) -> list[Headline]:
    """The first figure of each KPI this month, as the dashboard shows it (`services.kpis.report.build_report`)."""
    start, end = period_dates("this_month", on or today())
    report = build_report(Scope(start, end), "This month")
    found = []
    for kpi in report.kpis:
        if not kpi.figures:
            continue
        figure = kpi.figures[0]
        target = Target("kpis.records", {"period": "this_month", **figure.link.args()}) if figure.link else None
        label = "" if figure.label == kpi.title else figure.label  # said once
        found.append(Headline(kpi.title, label, figure.text, target, figure.flagged))
    return found


def home_page(user: User, on: date | None = None) -> HomePage:
    """What `user`'s home page lists."""
    page = HomePage(user.role, month_figures=user.role in MONTH_FIGURES_ROLES)
    if user.role == Role.coordinator:
        page.lists = staff_lists(user, user.id, on)
    elif user.role == Role.team_lead:
        page.lists = staff_lists(user, None, on)
        page.team, page.localities = by_coordinator_and_locality(user, on)
        page.admin = [home.sign_in_alerts(user), home.accounts_to_set_up(user)]
    elif user.role == Role.partner:
        page.lists = [home.partner_actions(user, on), partner_meetings(user)]
    return page
