"""The weekly meeting schedule with its registers, and each case's place on the agendas."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta

from demo.actions import agree_actions
from demo.care import care_plan, onward_referral
from demo.context import HISTORY_DAYS, Context, Locality, Story
from demo.reference import DISCUSSION_BITS, OUTCOMES, SUMMARY_BITS
from formats.dates import LONDON
from models import AgendaItem, Attendance, AttendanceStatus, CaseStatus, Meeting, MeetingStatus

#: Case discussions (agenda items) per patient over the two years, measured: sizes the meeting schedule.
ITEMS_PER_PATIENT = 2.1
#: Cases a meeting is planned to hold (DESIGN.md §7's 25-case meeting); a locality adds weekly slots rather than
#: exceed it.
CASES_PER_MEETING = 25
#: London start times of a locality's meetings: the first slot, then the extra ones as the caseload grows.
SLOT_TIMES = [(9, 0), (11, 15), (13, 30), (15, 45)]


def seed_meetings(ctx: Context) -> None:
    """Weekly meetings per locality for two years and five weeks ahead, more a week as the caseload grows."""
    rng, rows = ctx.rng, ctx.rows
    weeks = HISTORY_DAYS // 7 + 6
    total_weight = sum(loc.weight for loc in ctx.localities)
    cases_a_week = ctx.n * ITEMS_PER_PATIENT / weeks
    for loc in ctx.localities:
        loc.per_week = max(1, round(cases_a_week * loc.weight / total_weight / CASES_PER_MEETING))
    expected_cases = cases_a_week / sum(loc.per_week for loc in ctx.localities)
    ctx.slot_minutes = max(4, min(15, 110 // max(1, round(expected_cases))))
    monday = ctx.start - timedelta(days=ctx.start.weekday())
    for index, loc in enumerate(ctx.localities):
        for week in range(weeks):
            for slot in range(loc.per_week):
                # One locality meets on Tuesdays, the next on Wednesdays...; extra slots fill the week.
                day = monday + timedelta(weeks=week, days=(1 + index + slot // len(SLOT_TIMES)) % 5)
                hour, minute = SLOT_TIMES[(slot + index) % len(SLOT_TIMES)]
                starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)
                if day < ctx.start or day > ctx.today + timedelta(days=35) or not ctx.is_working_day(day):
                    continue  # outside the demo's dates, or a bank holiday: no meeting that week
                if starts < ctx.now:
                    status = MeetingStatus.cancelled if rng.random() < 0.03 else MeetingStatus.held
                elif day <= ctx.today + timedelta(days=14):
                    status = MeetingStatus.booked
                else:
                    status = MeetingStatus.planned
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
                    **ctx.stamp(booked_on, day if status in (MeetingStatus.held, MeetingStatus.cancelled) else None),
                )
                if status != MeetingStatus.cancelled:
                    loc.meeting_days.append(day)
                    loc.meeting_ids.append(meeting_id)
                    loc.meeting_starts.append(starts)
                    loc.meeting_status.append(status)
                _attendance(ctx, loc, meeting_id, status, day)
        order = sorted(range(len(loc.meeting_ids)), key=lambda i: (loc.meeting_starts[i], loc.meeting_ids[i]))
        for name in ("meeting_days", "meeting_ids", "meeting_starts", "meeting_status"):
            values = getattr(loc, name)
            setattr(loc, name, [values[i] for i in order])


def _attendance(ctx: Context, loc: Locality, meeting_id: int, status: MeetingStatus, day: date) -> None:
    """The register: every member of a held meeting, by how reliably their agency attends; invited for booked ones."""
    if status in (MeetingStatus.planned, MeetingStatus.cancelled):
        return
    for contact_id, attends, core in loc.members:
        if status == MeetingStatus.booked:
            state = AttendanceStatus.invited
        else:
            roll = ctx.rng.random()
            if roll < attends:
                state = AttendanceStatus.attended
            elif roll < attends + (1 - attends) * (0.6 if core else 0.3):
                state = AttendanceStatus.apologies  # core members send apologies more often than they stay away
            else:
                state = AttendanceStatus.absent
        ctx.rows.add(
            Attendance,
            id=ctx.rows.next_id(Attendance),
            meeting_id=meeting_id,
            contact_id=contact_id,
            status=state,
            **ctx.stamp(day - timedelta(days=28), day),
        )


def discuss_case(ctx: Context, story: Story, episode: dict) -> list[date]:
    """The case on agendas: first discussion soon after acceptance, reviews every six to twelve weeks."""
    rng, loc = ctx.rng, story.loc
    end = episode["closed_on"] or (ctx.today + timedelta(days=35))
    day = episode["opened_on"] + ctx.days(2, 12)
    discussed: list[date] = []
    while day <= end and len(discussed) < 5:
        index = _meeting_on_or_after(ctx, loc, day, story.pid)
        if index is None or loc.meeting_days[index] > end:
            break
        status = loc.meeting_status[index]
        if status == MeetingStatus.held:
            roll = rng.random()
            if roll < 0.04 and loc.meeting_days[index] < ctx.today - timedelta(days=7):
                _agenda_item(ctx, story, episode, index, CaseStatus.rolled_over)
                later = _meeting_on_or_after(ctx, loc, loc.meeting_days[index] + timedelta(days=1), story.pid)
                if later is None:
                    break
                index, status = later, loc.meeting_status[later]
            elif roll < 0.05 and loc.meeting_days[index] >= ctx.today - timedelta(days=7):
                _agenda_item(ctx, story, episode, index, CaseStatus.not_reached)
                break
        case = CaseStatus.discussed if status == MeetingStatus.held else CaseStatus.listed
        item_id = _agenda_item(ctx, story, episode, index, case)
        meeting_day = loc.meeting_days[index]
        discussed.append(meeting_day)
        if case == CaseStatus.discussed:
            agree_actions(ctx, story, item_id, index)
            if len(discussed) == 1 or (len(discussed) == 3 and rng.random() < 0.4):
                care_plan(ctx, story, episode, meeting_day)
            if rng.random() < 0.3:
                onward_referral(ctx, story, episode, meeting_day, item_id)
        day = meeting_day + ctx.days(42, 84)
    return discussed


def _meeting_on_or_after(ctx: Context, loc: Locality, day: date, patient_id: int) -> int | None:
    """Index of one of the week's meetings from `day` on that does not already list the patient (None past the end)."""
    index = bisect_left(loc.meeting_days, day)
    # After a cancelled week the cases spread over the next two weeks, not all onto the next meeting.
    gap = index < len(loc.meeting_days) and loc.meeting_days[index] - day > timedelta(days=7)
    index += ctx.rng.randrange(loc.per_week * (2 if gap else 1))
    while index < len(loc.meeting_ids) and (loc.meeting_ids[index], patient_id) in ctx.used_pairs:
        index += 1
    return index if index < len(loc.meeting_ids) else None


def _agenda_item(ctx: Context, story: Story, episode: dict, index: int, case: CaseStatus) -> int:
    """The case listed on the locality's `index`-th meeting, with the discussion when it was held."""
    rng, loc = ctx.rng, story.loc
    meeting_id = loc.meeting_ids[index]
    ctx.used_pairs.add((meeting_id, story.pid))
    item_id = ctx.rows.next_id(AgendaItem)
    held = case == CaseStatus.discussed
    meeting_day = loc.meeting_days[index]
    # Cases go on the agenda in the order they are listed, each with a time slot.
    ctx.positions[meeting_id] += 1
    position = ctx.positions[meeting_id]
    slot = loc.meeting_starts[index] + timedelta(minutes=min(position - 1, 110 // ctx.slot_minutes) * ctx.slot_minutes)
    ctx.rows.add(
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
        **ctx.stamp(meeting_day - ctx.days(3, 10), meeting_day if held else None),
    )
    return item_id
