"""List filters read dates as people type them (20/12/2026, 24-hour London times), and a filter that cannot be read
lists nothing and says why: never the whole table, in the list or in its export."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from formats.dates import LONDON, read_date, read_london_time
from models import ActionStatus, AuditAction, AuditEntry, ContactMethod, db
from tests.factories import shown

DECEMBER = [date(2026, 12, 19), date(2026, 12, 20), date(2026, 12, 20), date(2026, 12, 24), date(2027, 1, 5)]


@pytest.fixture
def december(create_action, make_org):
    """Five actions due around Christmas 2026, one of them done."""
    owner = make_org(name="Medway Pharmacy")
    for number, due in enumerate(DECEMBER, start=1):
        done = number == 2
        create_action(
            description=f"Action {number} due {due:%d/%m/%Y}",
            owner_organisation=owner,
            due_on=due,
            status=ActionStatus.done if done else ActionStatus.open,
            completed_on=due if done else None,
        )


def listed(page: str) -> list[int]:
    """The numbers of the December actions the list shows."""
    return [n for n in range(1, len(DECEMBER) + 1) if f"Action {n} due" in page]


# --- reading what was typed --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [("20/12/2026", date(2026, 12, 20)), ("1/2/2027", date(2027, 2, 1)), ("20-12-2026", date(2026, 12, 20)),
     ("20.12.2026", date(2026, 12, 20)), (" 2026-12-20 ", date(2026, 12, 20))],
)  # fmt: skip
def test_a_date_is_read_day_first_or_year_first(typed, read):
    assert read_date(typed) == read


@pytest.mark.parametrize(
    ("typed", "said"),
    [("31/02/2026", "is not a day on the calendar"), ("20/12/26", "write the year in full"),
     ("12/20/2026", "is not a day on the calendar"), ("tomorrow", "enter it as day/month/year"),
     ("", "enter a date"), ("20/12/0026", "between 1800 and 2999")],
)  # fmt: skip
def test_a_date_that_cannot_be_read_says_what_to_type(typed, said):
    with pytest.raises(ValueError, match=said):
        read_date(typed)


def test_a_london_day_runs_midnight_to_midnight_whatever_the_clocks_do():
    start, end = read_london_time("25/10/2026")  # the clocks go back: a 25-hour day
    assert (end - start).total_seconds() == 24 * 3600  # wall-clock arithmetic: midnight to midnight
    assert end.astimezone(UTC) - start.astimezone(UTC) == (end - start) + (start.utcoffset() - end.utcoffset())
    assert read_london_time("20/07/2026 14:30") == (
        datetime(2026, 7, 20, 14, 30, tzinfo=LONDON),
        datetime(2026, 7, 20, 14, 31, tzinfo=LONDON),
    )
    with pytest.raises(ValueError, match="24-hour clock"):
        read_london_time("20/07/2026 2.30pm")


# --- the action list's due date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("flt0_due_on=20/12/2026", [2, 3]), ("flt0_due_not_on=20/12/2026", [1, 4, 5]),
     ("flt0_due_after=20/12/2026", [4, 5]), ("flt0_due_before=20/12/2026", [1]),
     ("flt0_due_between=20/12/2026 to 24/12/2026", [2, 3, 4]),
     ("flt0_due_not_between=20/12/2026 to 24/12/2026", [1, 5]),
     ("flt0_due_on=2026-12-20", [2, 3])],
)  # fmt: skip
def test_the_action_list_filters_by_a_british_due_date(signed_in, december, query, expected):
    page = shown(signed_in("read_only").get(f"/admin/action/?{query}"))
    assert listed(page) == expected
    assert "Invalid Filter Value" not in page and "Nothing is listed" not in page


@pytest.mark.parametrize(
    ("value", "said"),
    [("31/02/2026", "“31/02/2026” is not a day on the calendar"), ("20/12/26", "“20/12/26”: write the year in full"),
     ("24/12/2026 to 20/12/2026", "put the earlier date first")],
)  # fmt: skip
def test_a_due_date_that_cannot_be_read_lists_nothing_and_says_why(signed_in, december, value, said):
    operation = "between" if " to " in value else "on"
    response = signed_in("read_only").get(f"/admin/action/?flt0_due_{operation}={value}")
    page = shown(response)
    assert response.status_code == 200
    assert f"Due: {said}" in page and "Nothing is listed until the filter is corrected or removed." in page
    assert listed(page) == []  # not the whole table
    assert f'"Due", "{value}"' in page  # the value stays in its box, to correct


def test_the_refusal_is_said_once_and_the_list_is_audited_as_empty(signed_in, december):
    reader = signed_in("read_only")
    page = shown(reader.get("/admin/action/?flt0_due_on=32/12/2026"))
    assert page.count("is not a day on the calendar") == 1
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.list)).all()[-1]
    assert entry.detail.endswith("rows=0")


def test_an_export_through_a_refused_filter_sends_no_file_and_the_list_says_why(signed_in, december):
    coordinator = signed_in("coordinator")
    for kind in ("csv", "xlsx"):
        response = coordinator.get(f"/admin/action/export/{kind}/?flt0_due_on=31/02/2026")
        assert response.status_code == 302 and "Content-Disposition" not in response.headers
        assert "/admin/action/?flt0_due_on=31" in response.headers["Location"]
    page = shown(coordinator.get("/admin/action/?flt0_due_on=31/02/2026"))
    assert "is not a day on the calendar" in page and listed(page) == []
    assert not db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()


def test_an_export_through_a_british_filter_holds_those_rows(signed_in, december):
    body = signed_in("coordinator").get("/admin/action/export/csv/?flt0_due_on=20/12/2026").get_data(as_text=True)
    assert "Action 2 due" in body and "Action 3 due" in body and "Action 1 due" not in body


def test_a_choice_a_url_was_edited_to_lose_lists_nothing_rather_than_failing(signed_in, december):
    response = signed_in("read_only").get("/admin/action/?flt0_status_equals=finished")
    page = shown(response)
    assert response.status_code == 200
    assert "Status: “finished” is not one of its choices." in page and listed(page) == []


# --- a time column: typed in London, stored in UTC ----------------------------------------------------------


def test_a_contact_time_filter_reads_london_days_and_times(signed_in, create_contact_entry):
    # 00:30 on 21/07/2026 in London is 23:30 UTC the day before: it belongs to London's 21/07.
    create_contact_entry(contacted_at=datetime(2026, 7, 20, 23, 30, tzinfo=UTC), summary="Just after midnight")
    create_contact_entry(contacted_at=datetime(2026, 7, 21, 13, 45, tzinfo=UTC), summary="Afternoon call")
    create_contact_entry(contacted_at=datetime(2026, 7, 20, 12, 0, tzinfo=UTC), summary="The day before",
                         method=ContactMethod.email)  # fmt: skip
    reader = signed_in("read_only")

    def summaries(query: str) -> set[str]:
        page = shown(reader.get(f"/admin/contact_log/?{query}"))
        return {s for s in ("Just after midnight", "Afternoon call", "The day before") if s in page}

    assert summaries("flt0_when_on=21/07/2026") == {"Just after midnight", "Afternoon call"}
    assert summaries("flt0_when_on=21/07/2026 14:45") == {"Afternoon call"}  # 13:45 UTC is 14:45 in summer
    assert summaries("flt0_when_before=21/07/2026 00:31") == {"Just after midnight", "The day before"}
    assert summaries("flt0_when_between=20/07/2026 13:00 to 21/07/2026 00:30") == {"Just after midnight",
                                                                                    "The day before"}  # fmt: skip
    page = shown(reader.get("/admin/contact_log/?flt0_when_on=21/07/2026 2pm"))
    assert "When: “2pm” is not a time: enter it on the 24-hour clock, for example 14:30." in page
    assert summaries("flt0_when_on=21/07/2026 2pm") == set()


def test_a_later_page_lists_the_next_rows_in_the_lists_order_with_its_filter_kept(create_action, make_org, signed_in):
    """A page reads its ids first, then those rows (admin/listing.py): the rows and their order are the list's own."""
    owner, start = make_org(name="Medway Pharmacy"), date(2027, 1, 1)
    for number in range(1, 61):
        done = number % 3 == 0
        create_action(description=f"Paged action {number:02d}", owner_organisation=owner,
                      due_on=start + timedelta(days=number), status=ActionStatus.done if done else ActionStatus.open,
                      completed_on=date(2026, 12, 1) if done else None)  # fmt: skip
    lead = signed_in("team_lead")
    second = shown(lead.get("/admin/action/?flt0_status_equals=open&page=1"))
    still_open = [number for number in range(1, 61) if number % 3]
    assert [int(n) for n in dict.fromkeys(re.findall(r"Paged action (\d\d)", second))] == still_open[25:40]
