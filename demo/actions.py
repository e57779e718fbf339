"""The actions agreed at each discussion, the chasers sent for them, and the owners' updates by the chase links."""

from __future__ import annotations

import secrets
from datetime import timedelta

from demo.context import Context, Story
from demo.reference import ACTION_TEMPLATES, CHASE_NOTES, UPDATE_NOTES
from models import Action, ActionChase, ActionStatus, ActionUpdate, ChaseMethod, OrganisationType
from services.outbox import is_secure_address

#: Actions agreed per patient over the two years (DESIGN.md §7: 1,000,000 at 100,000 patients).
ACTIONS_PER_PATIENT = 10
#: Discussed cases per patient, measured: sets how many actions each discussion agrees.
DISCUSSED_PER_PATIENT = 1.93
#: Actions due within this many days before today may still be open (overdue by days or weeks); those due earlier were
#: all done or cancelled long since, as in a service that chases its actions.
STILL_OPEN_DAYS = 56
#: What became of an action by today: due recently, a few still open; due long ago, settled.
RECENTLY_DUE = {ActionStatus.done: 80, ActionStatus.cancelled: 4, ActionStatus.in_progress: 7, ActionStatus.open: 9}
LONG_DUE = {ActionStatus.done: 95, ActionStatus.cancelled: 5}


def agree_actions(ctx: Context, story: Story, item_id: int, index: int) -> None:
    """What the agencies agreed at the discussion; statuses follow the due dates (done ones have a completion date,
    most within a few weeks; only those due in the last eight weeks may still be open)."""
    rng, rows, loc = ctx.rng, ctx.rows, story.loc
    meeting_day = loc.meeting_days[index]
    meeting_at = loc.meeting_starts[index]
    mean = ACTIONS_PER_PATIENT * ctx.n / max(1.0, ctx.n * DISCUSSED_PER_PATIENT)
    agreed: set[str] = set()
    for _ in range(rng.randint(max(1, round(mean * 0.4)), max(1, round(mean * 1.6)))):
        owner, type_, description = _owner_and_task(ctx, story, agreed)
        due = meeting_day + timedelta(days=rng.choice([7, 14, 14, 21, 28, 28, 42, 56]))
        completed = None
        if due > ctx.today:
            status = ctx.pick({ActionStatus.open: 55, ActionStatus.in_progress: 35, ActionStatus.done: 10})
            if status == ActionStatus.done:
                completed = min(ctx.today, meeting_day + ctx.days(1, 14))
        else:
            status = ctx.pick(RECENTLY_DUE if (ctx.today - due).days <= STILL_OPEN_DAYS else LONG_DUE)
            if status == ActionStatus.done:
                late = rng.random() < 0.15
                completed = due + ctx.days(1, 30) if late else max(meeting_day, due - ctx.days(0, 14))
                completed = min(completed, ctx.today)
        agreed_at = min(meeting_at + timedelta(hours=2), ctx.now)
        story.actions.append(
            rows.add(
                Action,
                id=rows.next_id(Action),
                agenda_item_id=item_id,
                patient_id=story.pid,
                description=description,
                owner_organisation_id=owner,
                owner_contact_id=loc.member_of.get(owner) if rng.random() < 0.85 else None,
                due_on=due,
                status=status,
                completed_on=completed,
                created_at=agreed_at,
                updated_at=agreed_at,
            )
        )


def _owner_and_task(ctx: Context, story: Story, agreed: set[str]) -> tuple[int, OrganisationType, str]:
    """An agency and a task for it, not one already agreed at this discussion (a few tries: the same task twice is
    rare, as in real minutes)."""
    rng = ctx.rng
    for _ in range(3):
        if rng.random() < 0.3:
            owner, type_ = story.practice["id"], OrganisationType.gp_practice
        else:
            owner, type_ = rng.choice(story.loc.owners)
        description = rng.choice(ACTION_TEMPLATES[type_])
        if description not in agreed:
            break
    agreed.add(description)
    return owner, type_, description


def settle_actions(ctx: Context, story: Story) -> None:
    """Once the story's end is known: a death or withdrawal cancels what is open; late actions were chased.

    A chase email carries an update link only to a secure address, as `services.chasing` sends it; an owner who
    has since reported progress or the action done did so through the last one.
    """
    rng, rows = ctx.rng, ctx.rows
    ended = story.died_on or story.withdrawn_on
    for action in story.actions:
        status, due, completed = action["status"], action["due_on"], action["completed_on"]
        if ended is not None and status != ActionStatus.cancelled and (completed is None or completed > ended):
            action["status"], action["completed_on"] = status, completed = ActionStatus.cancelled, None
            action["updated_at"] = max(action["created_at"], min(ctx.at(ended), ctx.now))
        elif completed is not None:
            action["updated_at"] = max(action["created_at"], min(ctx.at(completed), ctx.now))
        overdue = status in (ActionStatus.open, ActionStatus.in_progress) and due < ctx.today
        done_late = completed is not None and completed > due
        stopped = ended is not None and status == ActionStatus.cancelled and due < ended
        if not (overdue or done_late or stopped) or rng.random() > 0.7:
            continue
        chase_until = min(completed or ctx.today, ctx.today, ended or ctx.today)
        chased = due + timedelta(days=3)
        address, linked = _chase_address(ctx, action), None
        for _ in range(rng.choice([1, 1, 2, 3])):
            if chased > chase_until:
                break
            chase = rows.add(
                ActionChase,
                id=rows.next_id(ActionChase),
                action_id=action["id"],
                chased_at=ctx.at(chased),
                chased_by_id=story.loc.coordinator_id,
                method=ctx.pick({"email": 60, "phone": 25, "meeting": 15}),
                note=rng.choice(CHASE_NOTES),
                **ctx.stamp(chased),
            )
            if address and chase["method"] == ChaseMethod.email.value:
                chase["sent_to"], chase["token"], linked = address, secrets.token_urlsafe(24), chase
            chased += ctx.days(5, 10)
        if linked is not None and action["status"] in (ActionStatus.in_progress, ActionStatus.done):
            _update_by_link(ctx, action, linked, address)


def _chase_address(ctx: Context, action: dict) -> str | None:
    """Where a chase email may go: the owner's own secure address, else the agency's secure mailbox, else nowhere."""
    person = ctx.contact_email.get(action["owner_contact_id"])
    mailbox = ctx.org_mailbox.get(action["owner_organisation_id"])
    return next((a for a in (person, mailbox) if a and is_secure_address(a)), None)


def _update_by_link(ctx: Context, action: dict, chase: dict, address: str) -> None:
    """The owner's answer through the chase's link: in progress soon after, or done on the day it was done."""
    sent, status = chase["chased_at"], action["status"]
    if status == ActionStatus.done:
        answered = max(ctx.at(action["completed_on"]), sent + timedelta(hours=1))
    else:
        answered = sent + timedelta(hours=ctx.rng.randint(1, 48))
    if answered > ctx.now:
        return  # not answered yet: the link still works
    chase["link_used_at"] = answered
    ctx.rows.add(
        ActionUpdate,
        id=ctx.rows.next_id(ActionUpdate),
        action_id=action["id"],
        at=answered,
        status=status,
        note=ctx.rng.choice(UPDATE_NOTES[status]),
        by_name=address,
        chase_id=chase["id"],
        created_at=answered,
        updated_at=answered,
    )
    action["updated_at"] = max(action["updated_at"], answered)
