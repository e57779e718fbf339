"""Referrals, their triage decisions, and the episode of care an accepted referral opens."""

from __future__ import annotations

from datetime import date, timedelta

from demo.care import closure_goals
from demo.context import Context, Locality, Story
from demo.directory import contact_log
from demo.meetings import discuss_case
from demo.reference import (
    ADVICE,
    MEMBERSHIP,
    MISSING,
    OTHER_DECLINE,
    QUESTIONS,
    REDIRECT_SERVICES,
    REFERRAL_REASONS,
    SIGNPOSTING,
    YOUNGER_REASONS,
)
from models import (
    ClosureReason,
    Consent,
    DeclineReason,
    Episode,
    Referral,
    ReferralStatus,
    RiskBand,
    TriageDecision,
    TriageOutcome,
)
from services.referrals import STATUS_AFTER


def second_referral_date(ctx: Context, story: Story, first: date) -> date | None:
    """About three in ten patients are referred again: a duplicate, or a re-referral after closure or decline."""
    rng = ctx.rng
    episode = story.last_episode
    if episode is not None and episode["closed_on"] is None:
        day = episode["opened_on"] + ctx.days(10, 120) if rng.random() < 0.10 else None
    elif episode is not None:
        day = episode["closed_on"] + ctx.days(30, 240) if rng.random() < 0.35 else None
    else:
        day = first + ctx.days(20, 200) if rng.random() < 0.45 else None
    return day if day is not None and day < ctx.today else None


def referral(ctx: Context, story: Story, received: date) -> None:
    """A referral received on `received`, triaged, and (when accepted) the episode it opens."""
    rng, rows = ctx.rng, ctx.rows
    loc, practice = story.loc, story.practice
    rid = rows.next_id(Referral)
    duplicate = story.last_episode is not None and story.last_episode["closed_on"] is None
    from_gp = rng.random() < 0.6
    if from_gp:
        referrer, role, org = rng.choice(practice["gps"]), "GP", practice["id"]
    else:
        org, type_ = rng.choice(loc.owners)
        referrer, role = " ".join(ctx.person()), MEMBERSHIP[type_][0]
    outcomes = _triage(ctx, received, duplicate)
    final = outcomes[-1][1] if outcomes else None
    reason = outcomes[-1][2] if outcomes else None

    # Consent and signposting agree with the decision: acceptance needs both (referrals.acceptance_gaps).
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
    # Frailty is ticked for someone living with frailty (CFS 5 or more), rarely at 4 (very mild).
    frail = story.cfs is not None and (story.cfs >= 5 or (story.cfs == 4 and rng.random() < 0.3))
    criteria = [rng.random() < 0.8, rng.random() < 0.6, frail, rng.random() < 0.75, rng.random() < 0.5]
    if reason == DeclineReason.criteria_not_met:
        criteria = [False, rng.random() < 0.3, False, False, False]
    domain = ctx.org_domain.get(org, "gp-demo.nhs.net")
    recorded = consent != Consent.not_recorded
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
        referrer_phone=rng.choice(ctx.phones),
        reason=rng.choice(YOUNGER_REASONS if (received - story.born).days < 65 * 365 else REFERRAL_REASONS),
        question=rng.choice(QUESTIONS),
        criteria_multiple_ltcs=criteria[0],
        criteria_complex_needs=criteria[1],
        criteria_frailty=criteria[2],
        criteria_multi_agency=criteria[3],
        criteria_urgent_care=criteria[4],
        consent=consent,
        consent_by=("Patient" if consent == Consent.given else "Dr " + ctx.person()[1]) if recorded else None,
        consent_on=received - ctx.days(0, 10) if recorded else None,
        best_interests_reason="Lacks capacity to decide about the referral; daughter consulted."
        if consent == Consent.best_interests
        else None,
        signposting_tried=signposting,
        patient_aware=rng.random() < 0.92,
        status=ReferralStatus.awaiting_triage if final is None else STATUS_AFTER[final],
        **ctx.stamp(received, outcomes[-1][0] if outcomes else None),
    )
    story.touch(received)
    for decided_on, outcome, why in outcomes:
        _decision(ctx, rid, decided_on, outcome, why, loc)
        story.touch(decided_on)
    if accepted:
        _episode(ctx, story, rid, outcomes[-1][0])


def _triage(ctx: Context, received: date, duplicate: bool) -> list[tuple[date, TriageOutcome, DeclineReason | None]]:
    """The triage decisions made so far: a few days after receipt; the last week's referrals still wait."""
    outcomes = []
    decided = received + ctx.days(0, 12)
    if duplicate:
        outcomes.append((decided, TriageOutcome.decline, DeclineReason.duplicate))
    elif ctx.rng.random() < 0.10:
        outcomes.append((decided, TriageOutcome.more_information, None))
        decided = decided + ctx.days(3, 25)
        outcomes.append((decided, _outcome(ctx), None))
    else:
        outcomes.append((decided, _outcome(ctx), None))
    outcomes = [(d, o, r) for d, o, r in outcomes if d <= ctx.today]
    if outcomes and outcomes[-1][1] == TriageOutcome.decline and outcomes[-1][2] is None:
        reason = ctx.pick(
            {
                DeclineReason.criteria_not_met: 30,
                DeclineReason.no_consent: 15,
                DeclineReason.signposting_not_tried: 20,
                DeclineReason.better_met_elsewhere: 15,
                DeclineReason.patient_declined: 10,
                DeclineReason.other: 10,
            }
        )
        outcomes[-1] = (outcomes[-1][0], TriageOutcome.decline, reason)
    return outcomes


def _outcome(ctx: Context) -> TriageOutcome:
    """A triage outcome, in the proportions the service reports."""
    return ctx.pick(
        {
            TriageOutcome.accept: 70,
            TriageOutcome.decline: 14,
            TriageOutcome.advice_only: 8,
            TriageOutcome.redirect: 8,
        }
    )


def _decision(
    ctx: Context, referral_id: int, on: date, outcome: TriageOutcome, reason: DeclineReason | None, loc: Locality
) -> None:
    """One triage decision with the details its outcome needs (the check constraints ask for them)."""
    rng = ctx.rng
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
    by = loc.coordinator_id if rng.random() < 0.7 else ctx.lead_id
    ctx.rows.add(
        TriageDecision,
        id=ctx.rows.next_id(TriageDecision),
        referral_id=referral_id,
        decided_on=on,
        decided_by_id=by,
        outcome=outcome,
        **details,
        **ctx.stamp(on),
    )


def _episode(ctx: Context, story: Story, referral_id: int, opened: date) -> None:
    """The episode an accepted referral opens: its discussions, and its closure if it has ended."""
    rng, rows = ctx.rng, ctx.rows
    eid = rows.next_id(Episode)
    stay = int(rng.triangular(21, 330, 90))
    closed = opened + timedelta(days=stay)
    reason = None
    if closed >= ctx.today:
        closed = None
    else:
        reason = ctx.pick(
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
    coordinator = story.loc.coordinator_id if rng.random() < 0.85 else rng.choice(ctx.coordinators)
    episode = {
        "id": eid,
        "opened_on": opened,
        "closed_on": closed,
        "referral_id": referral_id,
        "coordinator": coordinator,
    }
    story.last_episode = episode
    discussed = discuss_case(ctx, story, episode)
    last = max([d for d in discussed if d <= ctx.today], default=opened)
    review = last + ctx.days(42, 84) if closed is None else min(closed, last + ctx.days(42, 84))
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
        risk_score=0,  # its patient's score and band, copied once every row is in (demo/__init__.py)
        risk_band=RiskBand.low,
        **ctx.stamp(opened, closed or last),
    )
    if closed is not None and reason != ClosureReason.died:
        closure_goals(ctx, episode)
    contact_log(ctx, story, episode)
    story.touch(closed or last)
