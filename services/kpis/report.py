"""The KPI report (DESIGN.md §5): every KPI's figures and tables for a scope, each figure with its link to the
records behind it, and the charts' data; in a fixed number of queries whatever the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from formats.dates import format_date
from models import DeclineReason, HospitalEventKind, OnwardOutcome, SignpostedTo, TriageOutcome
from services.kpis import tallies
from services.kpis.breakdowns import Breakdowns, count_breakdowns
from services.kpis.counts import caseload_counts, count_links, percentiles_of
from services.kpis.definitions import DEFINITIONS, HOSPITAL_CAVEAT, NOT_RECORDED
from services.kpis.links import Link, link
from services.kpis.periods import Scope
from services.kpis.rules import SETTLED
from services.settings import ATTENDANCE_THRESHOLD, CARE_PLAN_SHARE_DAYS, get_setting


@dataclass
class Figure:
    """One number on the dashboard, how it reads, and the link to its records."""

    label: str
    text: str
    value: float | int | None = None
    link: Link | None = None
    #: Under the team lead's threshold (shown highlighted).
    flagged: bool = False


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[Figure]]


@dataclass
class Kpi:
    key: str
    title: str
    definition: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    caveat: str | None = None
    #: The name of its chart (`exports.charts`), when it has one.
    chart: str | None = None


@dataclass
class Report:
    scope: Scope
    period_label: str
    locality: str
    practice: str
    kpis: list[Kpi]
    #: Data for the charts: name → (labels, series name → values); threshold for the attendance chart.
    chart_data: dict = field(default_factory=dict)
    attendance_threshold: int = 75

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def links(self) -> list[Link]:
        """Every distinct drill-down the report links to (the spreadsheet's record sheets)."""
        seen = {}
        for kpi in self.kpis:
            for figure in [*kpi.figures, *(f for t in kpi.tables for row in t.rows for f in row)]:
                if figure.link and figure.link.drill not in seen:
                    seen[figure.link.drill] = Link(figure.link.drill)
        return list(seen.values())


def _count_text(n) -> str:
    return f"{n:,}"


def _ratio(label: str, top: int, bottom: int, link: Link, threshold: int | None = None) -> Figure:
    if not bottom:
        return Figure(label, NOT_RECORDED, None, link)
    percent = 100 * top / bottom
    flagged = threshold is not None and percent < threshold
    return Figure(label, f"{percent:.0f} % ({top:,} of {bottom:,})", round(percent, 1), link, flagged)


def _days_figure(label: str, days, link: Link) -> Figure:
    if days is None:
        return Figure(label, NOT_RECORDED, None, link)
    return Figure(label, f"{days} day{'s' if days != 1 else ''}", days, link)


def _count_figure(label: str, n: int, link: Link | None) -> Figure:
    return Figure(label, _count_text(n), n, link)


def build_report(scope: Scope, period_label: str = "") -> Report:
    """Every KPI of DESIGN.md §5 for the scope, in a fixed number of queries."""
    scope = tallies.counted_scope(scope)
    threshold = int(get_setting(ATTENDANCE_THRESHOLD))
    breakdowns = count_breakdowns(scope)
    counts = _headline_counts(scope, breakdowns)
    kpis = [
        _referrals_kpi(counts, breakdowns),
        _acceptance_kpi(counts, breakdowns),
        *_days_kpis(counts),
        _listed_kpi(counts),
        _attendance_kpi(counts["meetings"], breakdowns, threshold),
        _actions_kpi(counts, breakdowns),
        _onward_kpi(counts, breakdowns),
        _signposting_kpi(breakdowns),
        _care_plans_kpi(counts, int(get_setting(CARE_PLAN_SHARE_DAYS))),
        _goals_kpi(counts),
        _safeguarding_kpi(counts),
        *_caseload_kpis(scope, counts),
        _hospital_kpi(counts),
    ]
    report = Report(
        scope, period_label or scope.label, breakdowns.locality, breakdowns.practice, kpis,
        attendance_threshold=threshold,
    )  # fmt: skip
    report.chart_data = _chart_data(report, breakdowns)
    return report


def _headline_counts(scope: Scope, breakdowns: Breakdowns) -> dict:
    """The headline figures: counts of links (one query per drill-down), the caseload, the medians and percentiles,
    and the totals the breakdowns already counted (grouped over the same drill-downs, not counted twice)."""
    counts = count_links(
        {
            "discussed_refs": link("first_discussed"),
            "listed": link("listed"),
            "discussed": link("listed", outcome="discussed"),
            "rolled_over": link("listed", outcome="rolled_over"),
            "late": link("listed", late="yes"),
            "meetings": link("meetings"),
            "onward": link("onward"),
            "patients": link("first_discussed_patients"),
            "shared_in_time": link("first_discussed_patients", shared_in_time="yes"),
            "after_incomplete": link("first_discussed_patients", after_incomplete="yes"),
            "goals": link("closure_goals"),
            "goals_achieved": link("closure_goals", achieved="yes"),
            "concerns": link("safeguarding"),
            "referred": link("safeguarding", referred="yes"),
            "closed": link("closed"),
            "reviews_overdue": link("reviews_overdue"),
            **{
                f"{kind.value}_{window}": link("hospital_events", kind=kind.value, window=window)
                for kind in HospitalEventKind
                for window in ("before", "after")
            },
        },
        scope,
    )
    counts.update(caseload_counts(scope))
    for name, key in (("triage", "triaged"), ("discussion", "first_discussed"), ("stay", "closed")):
        counts[f"{name}_p50"], counts[f"{name}_p90"] = percentiles_of(key, scope)
    counts["safeguarding_p50"], _ = percentiles_of("safeguarding", scope)
    counts["received"] = sum(count for _, count in breakdowns.referrers)
    counts["triaged"] = sum(breakdowns.outcomes.values())
    counts["accepted"] = breakdowns.outcomes.get(TriageOutcome.accept.value, 0)
    counts["actions_due"] = sum(due for _, due, _ in breakdowns.actions_by_org)
    counts["actions_on_time"] = sum(on_time for _, _, on_time in breakdowns.actions_by_org)
    counts["actions_overdue"] = sum(breakdowns.overdue_by_org.values())
    return counts


def _days_kpis(counts) -> list[Kpi]:
    return [
        Kpi("triage_days", "Days to triage", DEFINITIONS["triage_days"], [
            _days_figure("Median", counts["triage_p50"], link("triaged")),
            _days_figure("90th percentile", counts["triage_p90"], link("triaged")),
        ]),
        Kpi("discussion_days", "Days to first discussion", DEFINITIONS["discussion_days"], [
            _days_figure("Median", counts["discussion_p50"], link("first_discussed")),
            _days_figure("90th percentile", counts["discussion_p90"], link("first_discussed")),
        ]),
    ]  # fmt: skip


def _listed_kpi(counts) -> Kpi:
    discussed = link("listed", outcome="discussed")
    return Kpi("listed", "Listed vs discussed", DEFINITIONS["listed"], [
        _ratio("Discussed ÷ listed", counts["discussed"], counts["listed"], discussed),
        _count_figure("Listed", counts["listed"], link("listed")),
        _count_figure("Not reached or rolled over", counts["rolled_over"], link("listed", outcome="rolled_over")),
        _count_figure("Late additions", counts["late"], link("listed", late="yes")),
    ])  # fmt: skip


def _care_plans_kpi(counts, share_days: int) -> Kpi:
    in_time = link("first_discussed_patients", shared_in_time="yes")
    return Kpi("care_plans", "Care plans shared with the GP in time",
               DEFINITIONS["care_plans"] + f" The team lead's setting is {share_days} working days.", [
        _ratio(f"Shared within {share_days} working days", counts["shared_in_time"], counts["patients"], in_time),
        _count_figure("Patients first discussed", counts["patients"], link("first_discussed_patients")),
    ])  # fmt: skip


def _goals_kpi(counts) -> Kpi:
    achieved = link("closure_goals", achieved="yes")
    return Kpi("goals", "Goals achieved at closure", DEFINITIONS["goals"], [
        _ratio("Achieved or partly achieved", counts["goals_achieved"], counts["goals"], achieved),
        _count_figure("Goals at closure", counts["goals"], link("closure_goals")),
    ])  # fmt: skip


def _safeguarding_kpi(counts) -> Kpi:
    referred = link("safeguarding", referred="yes")
    return Kpi("safeguarding", "Safeguarding", DEFINITIONS["safeguarding"], [
        _count_figure("Concerns raised", counts["concerns"], link("safeguarding")),
        _count_figure("Referred", counts["referred"], referred),
        _days_figure("Median days raised → referred", counts["safeguarding_p50"], referred),
    ])  # fmt: skip


def _caseload_kpis(scope: Scope, counts) -> list[Kpi]:
    return [
        Kpi("caseload", "Caseload", DEFINITIONS["caseload"], [
            _count_figure(f"Open episodes on {format_date(scope.as_at)}", counts["caseload"], link("caseload")),
            _days_figure("Median length of stay (closed in the period)", counts["stay_p50"], link("closed")),
            _count_figure("Episodes closed", counts["closed"], link("closed")),
            _count_figure("Reviews overdue today", counts["reviews_overdue"], link("reviews_overdue")),
        ]),
        Kpi("data_quality", "Data quality", DEFINITIONS["data_quality"], [
            _ratio(label, counts[part], counts["caseload"], link("caseload", **{part: "yes"}))
            for part, label in (("verified", "Verified NHS number"), ("frailty", "Frailty score"),
                                ("consent", "Consent recorded"))
        ]),
    ]  # fmt: skip


def _month_label(first: date, last: date) -> str:
    whole = first.day == 1 and (last + timedelta(days=1)).day == 1
    return f"{first:%B %Y}" if whole else f"{format_date(first)} to {format_date(last)}"


def _referrals_kpi(counts, breakdowns: Breakdowns) -> Kpi:
    months = Table(
        "Referrals received and accepted, by month",
        ["Month", "Received", "Accepted (triaged that month)"],
        [
            [
                Figure("Month", _month_label(a, b)),
                _count_figure("Received", received, link("received", a, b)),
                _count_figure("Accepted", accepted, link("triaged", a, b, outcome="accept")),
            ]
            for a, b, received, accepted in breakdowns.months
        ],
    )
    referrers = Table(
        "By referrer organisation",
        ["Referrer organisation", "Referrals"],
        [
            [
                Figure("Organisation", breakdowns.organisations.get(org, "Not recorded")),
                _count_figure("Referrals", count, link("received", organisation=str(org))),
            ]
            for org, count in breakdowns.referrers
        ],
    )
    return Kpi(
        "referrals",
        "Referrals received",
        DEFINITIONS["referrals"],
        [_count_figure("Referrals received", counts["received"], link("received"))],
        [months, referrers],
        chart="referrals",
    )


def _acceptance_kpi(counts, breakdowns: Breakdowns) -> Kpi:
    outcomes = Table(
        "Triage outcomes",
        ["Outcome", "Referrals"],
        [
            [
                Figure("Outcome", o.label),
                _count_figure(o.label, breakdowns.outcomes.get(o.value, 0), link("triaged", outcome=o.value)),
            ]
            for o in SETTLED
        ],
    )
    reasons = Table(
        "Decline reasons",
        ["Reason", "Referrals"],
        [
            [
                Figure("Reason", DeclineReason(r).label if r in DeclineReason._value2member_map_ else "Not recorded"),
                _count_figure("Referrals", c, link("triaged", reason=r)),
            ]
            for r, c in breakdowns.reasons
        ],
    )
    return Kpi(
        "acceptance",
        "Acceptance rate",
        DEFINITIONS["acceptance"],
        [
            _ratio(
                "Accepted", counts["accepted"], counts["triaged"], link("triaged", outcome=TriageOutcome.accept.value)
            ),
            _count_figure("Referrals triaged", counts["triaged"], link("triaged")),
        ],
        [outcomes, reasons],
    )


def _attendance_kpi(meetings: int, breakdowns: Breakdowns, threshold: int) -> Kpi:
    return Kpi(
        "attendance",
        "Attendance by agency",
        DEFINITIONS["attendance"] + f" The threshold is {threshold} %.",
        [_count_figure("Meetings held", meetings, link("meetings"))],
        [_attendance_table(breakdowns, threshold)],
        chart="attendance",
    )


def _attendance_table(breakdowns: Breakdowns, threshold: int) -> Table:
    rows = []
    for agency in sorted(breakdowns.agencies, key=lambda a: breakdowns.organisations.get(a["organisation_id"], "")):
        org = agency["organisation_id"]
        attended = link("agency_meetings", organisation=org, outcome="attended")
        rate = _ratio("Attendance", agency["attended"], agency["invited"], attended, threshold)
        rows.append(
            [
                Figure("Agency", breakdowns.organisations.get(org, ""), flagged=rate.flagged),
                rate,
                _count_figure("Invited", agency["invited"], link("agency_meetings", organisation=org)),
                *(
                    _count_figure(label, agency[outcome], link("agency_meetings", organisation=org, outcome=outcome))
                    for outcome, label in (("attended", "Attended"), ("apologies", "Apologies"), ("absent", "Absent"))
                ),
                Figure("Missed in a row", _count_text(agency["in_a_row"]), agency["in_a_row"]),
            ]
        )
    return Table(
        f"Attendance and non-attendance by agency (threshold {threshold} %)",
        ["Agency", "Attendance", "Invited", "Attended", "Apologies", "Absent", "Missed in a row"],
        rows,
    )


def _actions_kpi(counts, breakdowns: Breakdowns) -> Kpi:
    return Kpi(
        "actions",
        "Actions on time",
        DEFINITIONS["actions"],
        [
            _ratio(
                "Completed on time",
                counts["actions_on_time"],
                counts["actions_due"],
                link("actions_due", on_time="yes"),
            ),
            _count_figure("Actions due", counts["actions_due"], link("actions_due")),
            _count_figure("Overdue today", counts["actions_overdue"], link("actions_overdue")),
        ],
        [_actions_table(breakdowns)],
        chart="actions",
    )


def _actions_table(breakdowns: Breakdowns) -> Table:
    rows = [
        [
            Figure("Owner", breakdowns.organisations.get(org, "")),
            _ratio("On time", on_time, due, link("actions_due", organisation=org, on_time="yes")),
            _count_figure("Due", due, link("actions_due", organisation=org)),
            _count_figure(
                "Overdue today", breakdowns.overdue_by_org.get(org, 0), link("actions_overdue", organisation=org)
            ),
        ]
        for org, due, on_time in breakdowns.actions_by_org
    ]
    return Table("By owner organisation", ["Owner", "On time", "Due", "Overdue today"], rows)


def _onward_kpi(counts, breakdowns: Breakdowns) -> Kpi:
    services: dict[str, dict[str, int]] = {}
    for service, outcome, count in breakdowns.onward:
        services.setdefault(service, {})[outcome] = count
    rows = [
        [
            Figure("Service", service),
            _count_figure("Made", sum(counts.values()), link("onward", service=service)),
            *(
                _count_figure(o.label, counts.get(o.value, 0), link("onward", service=service, outcome=o.value))
                for o in OnwardOutcome
            ),
        ]
        for service, counts in services.items()
    ]
    return Kpi(
        "onward",
        "Onward referrals",
        DEFINITIONS["onward"],
        [_count_figure("Onward referrals made", counts["onward"], link("onward"))],
        [Table("By service", ["Service", "Made", *(o.label for o in OnwardOutcome)], rows)],
    )


def _signposting_kpi(breakdowns: Breakdowns) -> Kpi:
    """Signposting given, counted apart from the referrals: in all, to whom, and by service."""
    services: dict[str, dict[str, int]] = {}
    for service, given_to, count in breakdowns.signposting:
        services.setdefault(service, {})[given_to] = count
    given = sum(count for _, _, count in breakdowns.signposting)
    to_whom = {g.value: sum(c.get(g.value, 0) for c in services.values()) for g in SignpostedTo}
    rows = [
        [
            Figure("Service", service),
            _count_figure("Given", sum(counts.values()), link("signposting", service=service)),
            *(
                _count_figure(g.label, counts.get(g.value, 0), link("signposting", service=service, given_to=g.value))
                for g in SignpostedTo
            ),
        ]
        for service, counts in services.items()
    ]
    return Kpi(
        "signposting",
        "Signposting",
        DEFINITIONS["signposting"],
        [
            _count_figure("Signposting given", given, link("signposting")),
            *(
                _count_figure(
                    f"To {g.label[0].lower()}{g.label[1:]}", to_whom[g.value], link("signposting", given_to=g.value)
                )
                for g in SignpostedTo
            ),
        ],  # fmt: skip
        [Table("By service", ["Service", "Given", *(g.label for g in SignpostedTo)], rows)],
    )


def _hospital_kpi(counts) -> Kpi:
    patients = counts["patients"]
    figures = [_count_figure("Patients first discussed", patients, link("first_discussed_patients"))]
    rows = []
    for kind in HospitalEventKind:
        cells = [Figure("Kind", _HOSPITAL_WORDS[kind])]
        for window in ("before", "after"):
            target = link("hospital_events", kind=kind.value, window=window)
            count = counts[f"{kind.value}_{window}"]
            cells.append(_count_figure(window.capitalize(), count, target) if patients else Figure("", NOT_RECORDED))
        rows.append(cells)
    if counts["after_incomplete"]:
        figures.append(
            _count_figure(
                "Of whom the 6 months after have not yet passed",
                counts["after_incomplete"],
                link("first_discussed_patients", after_incomplete="yes"),
            )
        )
    return Kpi(
        "hospital",
        "Hospital use before and after",
        DEFINITIONS["hospital"],
        figures,
        [
            Table(
                "Hospital use, 6 months before and after the first discussion",
                ["Kind of hospital use", "Before", "After"],
                rows,
            )
        ],
        caveat=HOSPITAL_CAVEAT,
    )


_HOSPITAL_WORDS = {HospitalEventKind.admission: "Non-elective admissions", HospitalEventKind.ae_attendance:
                   "A&E attendances"}  # fmt: skip


def _month_series(months) -> tuple[list[str], dict[str, list]]:
    return (
        [_month_label(a, b) for a, b, _, _ in months],
        {"Received": [r for _, _, r, _ in months], "Accepted": [a for _, _, _, a in months]},
    )


def _rate_series(table: Table, name: str) -> tuple[list[str], dict[str, list]]:
    """A table's first column against its rate column (the second), for a bar chart."""
    return [row[0].text for row in table.rows], {name: [row[1].value or 0 for row in table.rows]}


def _chart_data(report: Report, breakdowns: Breakdowns) -> dict:
    return {
        "referrals": _month_series(breakdowns.months),
        "attendance": _rate_series(report.kpi("attendance").tables[0], "Attendance %"),
        "actions": _rate_series(report.kpi("actions").tables[0], "On time %"),
    }


def chart_report(scope: Scope, name: str, period_label: str = "") -> Report:
    """A report holding one chart's data only (the chart's own request computes no other figure)."""
    scope = tallies.counted_scope(scope)
    threshold = int(get_setting(ATTENDANCE_THRESHOLD))
    part = {"referrals": "months", "attendance": "agencies", "actions": "actions"}[name]
    breakdowns = count_breakdowns(scope, frozenset({part}))
    series = {
        "referrals": lambda: _month_series(breakdowns.months),
        "attendance": lambda: _rate_series(_attendance_table(breakdowns, threshold), "Attendance %"),
        "actions": lambda: _rate_series(_actions_table(breakdowns), "On time %"),
    }[name]()
    report = Report(
        scope, period_label or scope.label, breakdowns.locality, breakdowns.practice, [], attendance_threshold=threshold
    )
    report.chart_data = {name: series}
    return report
