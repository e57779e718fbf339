"""Care plans with their goals and shares, onward referrals to the directory's services, and goal attainment when an
episode closes."""

from __future__ import annotations

from datetime import date

from demo.context import Context, Story
from demo.reference import ABOUT_ME, ACTION_TEMPLATES, GOALS, MEMBERSHIP, OUTCOMES
from demo.system import sent_email
from models import (
    ATTAINMENTS,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    ClosureGoal,
    DocumentKind,
    GeneratedDocument,
    Goal,
    GoalDomain,
    GoalStatus,
    GoalUpdate,
    OnwardMethod,
    OnwardOutcome,
    OnwardReferral,
    OutboxAttachment,
    SignpostedTo,
    Signposting,
)

#: Shares sent from the tool as one email with the letter and the plan attached: a few, so the outbox shows how.
GP_EMAILS = 6
#: With whom a plan was agreed.
AGREED_WITH = ("the patient", "the patient and their daughter", "the patient's carer", "the patient and their son")
#: Progress recorded on an agreed plan's goal since it was agreed.
PROGRESS_NOTES = ("Reviewed with the patient by phone.", "Seen at home; carer present.", "Update from the GP practice.")

#: Every goal in the reference data, with its domain.
ALL_GOALS = [(domain, words) for domain, said in GOALS.items() for words in said]

CONTINGENCY = (
    "If unwell out of hours call 111; if a fall with injury call 999. Key safe code with the ambulance service."
)


def care_plan(ctx: Context, story: Story, episode: dict, discussed_on: date) -> None:
    """A care plan drafted after a discussion, usually agreed and shared with the GP, with two to four goals."""
    rng, rows = ctx.rng, ctx.rows
    story.plans += 1
    plan_id = rows.next_id(CarePlan)
    agreed_on = discussed_on + ctx.days(1, 14)
    agreed = (
        agreed_on <= ctx.today
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
        what_matters=f"{rng.choice(GOALS[GoalDomain.environmental])}. {rng.choice(GOALS[GoalDomain.social])}.",
        support_by_agency="\n".join(
            f"{MEMBERSHIP[t][0]}: {rng.choice(ACTION_TEMPLATES[t]).lower()}" for _, t in rng.sample(story.loc.owners, 3)
        ),
        contingency_plan=CONTINGENCY,
        carers_and_contacts="Next of kin and named GP as recorded.",
        review_on=discussed_on + ctx.days(56, 112),
        agreed_on=agreed_on if agreed else None,
        agreed_by_id=episode["coordinator"] if agreed else None,
        agreed_with=rng.choice(AGREED_WITH) if agreed else None,
        **ctx.stamp(discussed_on, agreed_on if agreed else None),
    )
    episode["goals"] = []  # the latest plan's goals are the ones whose attainment the closure records
    # Two to four goals, each in different words (a draft refuses the same goal twice).
    for position, (domain, words) in enumerate(rng.sample(ALL_GOALS, rng.randint(2, 4)), start=1):
        if closed is not None and agreed:
            status = ctx.pick(
                {
                    GoalStatus.achieved: 40,
                    GoalStatus.partly_achieved: 25,
                    GoalStatus.not_achieved: 15,
                    GoalStatus.no_longer_relevant: 10,
                    GoalStatus.in_progress: 10,
                }
            )
        elif agreed:
            status = ctx.pick(
                {
                    GoalStatus.in_progress: 60,
                    GoalStatus.proposed: 20,
                    GoalStatus.achieved: 15,
                    GoalStatus.partly_achieved: 5,
                }
            )
        else:
            status = GoalStatus.proposed
        goal_id = rows.next_id(Goal)
        episode["goals"].append((goal_id, status))
        rows.add(
            Goal,
            id=goal_id,
            care_plan_id=plan_id,
            description=words,
            domain=domain,
            target_on=discussed_on + ctx.days(42, 120),
            status=status,
            position=position,
            **ctx.stamp(discussed_on),
        )
        # An agreed plan stays as agreed: the progress since is also a dated update on the goal.
        if agreed and status not in (GoalStatus.proposed, GoalStatus.in_progress):
            recorded_on = min(ctx.today, closed or ctx.today, agreed_on + ctx.days(14, 70))
            rows.add(
                GoalUpdate,
                id=rows.next_id(GoalUpdate),
                goal_id=goal_id,
                status=status,
                recorded_on=recorded_on,
                note=rng.choice(PROGRESS_NOTES),
                recorded_by_id=episode["coordinator"],
                **ctx.stamp(recorded_on),
            )
    shared_on = agreed_on + ctx.days(0, 12)
    # Nothing is shared after a death or a withdrawal of consent.
    no_sharing_after = story.withdrawn_on or story.died_on
    if (
        agreed
        and shared_on <= ctx.today
        and rng.random() < 0.88
        and (no_sharing_after is None or shared_on <= no_sharing_after)
    ):
        method = rng.choice(["Secure email", "EMIS task", "Post"])
        email_id = None
        if method == "Secure email" and ctx.org_mailbox.get(story.practice["id"]) and ctx.gp_emails < GP_EMAILS:
            email_id = _gp_email(ctx, story, episode, plan_id, shared_on)
        rows.add(
            CarePlanShare,
            id=rows.next_id(CarePlanShare),
            care_plan_id=plan_id,
            shared_on=shared_on,
            shared_by_id=episode["coordinator"],
            shared_with_id=story.practice["id"],
            method=method,
            outbox_email_id=email_id,
            **ctx.stamp(shared_on),
        )


def _gp_email(ctx: Context, story: Story, episode: dict, plan_id: int, sent_on: date) -> int:
    """The outcome letter and the agreed plan as one email to the practice, both recorded (bytes not kept)."""
    ctx.gp_emails += 1
    rows = ctx.rows
    documents = {}
    for kind, stem in ((DocumentKind.gp_letter, "gp-letter"), (DocumentKind.care_plan, "care-plan")):
        documents[kind] = rows.next_id(GeneratedDocument)
        rows.add(
            GeneratedDocument,
            id=documents[kind],
            kind=kind,
            filename=f"{stem}-v{story.plans}-{sent_on:%Y-%m-%d}.docx",
            generated_by_id=episode["coordinator"],
            patient_id=story.pid,
            **ctx.stamp(sent_on),
        )
    email_id = sent_email(
        ctx,
        f"ILR outcome and care plan v{story.plans}",
        ctx.org_mailbox[story.practice["id"]],
        "gp_feedback",
        sent_on,
        None,
        True,
        documents[DocumentKind.gp_letter],
        patient_id=story.pid,
    )
    for document_id in documents.values():
        rows.add(OutboxAttachment, id=rows.next_id(OutboxAttachment), email_id=email_id, document_id=document_id)
    return email_id


def onward_referral(ctx: Context, story: Story, episode: dict, discussed_on: date, item_id: int) -> None:
    """A directory service agreed at the discussion: a referral, most of them answered within weeks, or, for a
    service people contact themselves, signposting given to the patient or their carer."""
    rng = ctx.rng
    service = rng.choice(ctx.directory)
    referred = min(ctx.today, discussed_on + ctx.days(0, 7))
    if service["how"] == OnwardMethod.signposted:
        _signposting(ctx, story, episode, service, referred, item_id)
        return
    decided = referred + ctx.days(5, 45)
    if decided > ctx.today or rng.random() < 0.08:
        outcome, outcome_on = OnwardOutcome.waiting, None
    else:
        outcome, outcome_on = ctx.pick({OnwardOutcome.accepted: 78, OnwardOutcome.declined: 22}), decided
    ctx.rows.add(
        OnwardReferral,
        id=ctx.rows.next_id(OnwardReferral),
        patient_id=story.pid,
        episode_id=episode["id"],
        service=service["name"],
        directory_service_id=service["id"],
        organisation_id=service["organisation_id"],
        referred_on=referred,
        reason=f"Agreed at the ILR: {rng.choice(OUTCOMES).lower()}",
        method=service["how"] if rng.random() < 0.9 else OnwardMethod.phone,
        referred_by_id=episode["coordinator"],
        agenda_item_id=item_id,
        outcome=outcome,
        outcome_on=outcome_on,
        **ctx.stamp(referred, outcome_on),
    )


#: What signposting advised, by whom it was given to.
SIGNPOSTED = {
    SignpostedTo.patient: (
        "Leaflet given and the number written down; they will phone this week.",
        "Talked through what the service offers; they would rather call themselves.",
    ),
    SignpostedTo.carer: (
        "Details given to the carer, who will ring on the patient's behalf.",
        "The carer was given the service's number and its drop-in times.",
    ),
    SignpostedTo.both: (
        "Talked through with the patient and their carer; the leaflet and number left with them.",
        "Both were keen; the carer will help with the first call.",
    ),
}


def _signposting(ctx: Context, story: Story, episode: dict, service: dict, given_on: date, item_id: int) -> None:
    """Advice about a service the patient or carer contacts themselves: recorded as given, awaiting nothing."""
    given_to = ctx.pick({SignpostedTo.patient: 50, SignpostedTo.carer: 30, SignpostedTo.both: 20})
    ctx.rows.add(
        Signposting,
        id=ctx.rows.next_id(Signposting),
        patient_id=story.pid,
        episode_id=episode["id"],
        service=service["name"],
        directory_service_id=service["id"],
        given_on=given_on,
        given_to=given_to,
        what=ctx.rng.choice(SIGNPOSTED[given_to]),
        given_by_id=episode["coordinator"],
        agenda_item_id=item_id,
        **ctx.stamp(given_on),
    )


#: What a goal still under way when the episode closed came to.
_AT_CLOSURE = {
    GoalStatus.proposed: {GoalStatus.not_achieved: 50, GoalStatus.no_longer_relevant: 50},
    GoalStatus.in_progress: {GoalStatus.partly_achieved: 60, GoalStatus.not_achieved: 40},
}


def closure_goals(ctx: Context, episode: dict) -> None:
    """Each goal of the episode's latest plan, as attained when the episode closed (a death records none)."""
    for goal_id, status in episode.get("goals", []):
        attained = status if status in ATTAINMENTS else ctx.pick(_AT_CLOSURE[status])
        ctx.rows.add(
            ClosureGoal,
            id=ctx.rows.next_id(ClosureGoal),
            episode_id=episode["id"],
            goal_id=goal_id,
            attainment=attained,
            **ctx.stamp(episode["closed_on"]),
        )
