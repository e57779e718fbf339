"""One patient's two years: referrals and what follows them, hospital use, safeguarding, notes, the risk score."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from demo.actions import settle_actions
from demo.context import HISTORY_DAYS, Context, Story
from demo.directory import CONCERN_TEXT
from demo.reference import (
    COMMUNICATION,
    CONDITIONS,
    HOSPITAL_NOTES,
    HOSPITALS,
    LANGUAGES,
    LATER_LIFE_CONDITIONS,
    NOTE_SUMMARIES,
    SAFEGUARDING_OUTCOMES,
    SAFEGUARDING_WEIGHTS,
)
from demo.referrals import referral, second_referral_date
from formats.nhs import with_check_digit
from models import (
    CollatedNote,
    HospitalEvent,
    HospitalEventKind,
    NhsNumberStatus,
    NoteSource,
    OrganisationType,
    Patient,
    SafeguardingConcern,
    Sex,
    db,
)
from services import risk

#: Letters a postcode's inward part may end with.
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXY"
#: The Clinical Frailty Scale by age (the youngest age of each band): frailty rises with age, and nobody under 50 is
#: living with frailty (5 or more); the younger adults the ILR sees come for complex needs, not frailty.
CFS_BY_AGE = (
    (18, {2: 10, 3: 35, 4: 55}),
    (50, {3: 10, 4: 30, 5: 35, 6: 20, 7: 5}),
    (65, {3: 4, 4: 14, 5: 30, 6: 30, 7: 17, 8: 5}),
    (75, {4: 8, 5: 24, 6: 30, 7: 26, 8: 9, 9: 3}),
    (85, {4: 4, 5: 14, 6: 30, 7: 32, 8: 13, 9: 7}),
)
#: Most people the ILR sees are in their eighties; some younger adults come for complex needs.
YOUNGER_SHARE = 0.1


def frailty(ctx: Context, age: int) -> tuple[int | None, Decimal | None]:
    """A Clinical Frailty Scale score and an eFI for someone of `age`, each rising with age (either may be
    unrecorded): the eFI follows the frailty score, and under 50 stays below moderate frailty."""
    rng = ctx.rng
    bands = next(weights for youngest, weights in reversed(CFS_BY_AGE) if age >= youngest)
    cfs = None if rng.random() < 0.08 else ctx.pick(bands)
    if rng.random() < 0.12:
        return cfs, None
    mean = 0.045 * (cfs or 5) - 0.04 + 0.002 * max(0, age - 65)
    highest = 0.24 if age < 50 else 0.8
    return cfs, Decimal(f"{min(highest, max(0.02, rng.gauss(mean, 0.05))):.3f}")


def _conditions(ctx: Context, age: int, cfs: int | None) -> list[str]:
    """Long-term conditions, more of them with age and frailty; those of later life only from 60."""
    rng = ctx.rng
    pool = CONDITIONS + LATER_LIFE_CONDITIONS if age >= 60 else CONDITIONS
    many = int(rng.triangular(1, 9, 2 + (cfs or 5) // 2))
    return rng.sample(pool, min(len(pool), max(1, many)))


def draw_nhs_numbers(ctx: Context) -> list[str]:
    """Unique test-range numbers (999 + six digits + check digit), skipping those with no check digit."""
    taken = set(db.session.scalars(select(Patient.nhs_number).where(Patient.nhs_number.like("999%"))))
    wanted = ctx.n + 10
    numbers = []
    for body in ctx.rng.sample(range(1_000_000), min(1_000_000, int(wanted * 1.2) + 100)):
        number = with_check_digit(f"999{body:06d}")
        if number and number not in taken:
            numbers.append(number)
            if len(numbers) == wanted:
                break
    return numbers


def seed_patient(ctx: Context) -> None:
    """A patient and their story; the patient row is written last, when the risk inputs are known."""
    rng, rows = ctx.rng, ctx.rows
    pid = rows.next_id(Patient)
    loc = rng.choices(ctx.localities, [loc.weight for loc in ctx.localities])[0]
    practice = rng.choice(loc.practices)
    sex = ctx.pick({Sex.female: 55, Sex.male: 43, Sex.other: 1, Sex.unknown: 1})
    given, family = ctx.person(sex if sex in (Sex.female, Sex.male) else None)
    age = rng.randint(30, 64) if rng.random() < YOUNGER_SHARE else int(rng.triangular(65, 101, 84))
    born = ctx.today - timedelta(days=round(age * 365.25) + 2 + rng.randrange(362))  # `age` years old today
    cfs, efi = frailty(ctx, age)
    conditions = _conditions(ctx, age, cfs)

    story = Story(pid=pid, loc=loc, practice=practice, born=born, cfs=cfs)
    first = ctx.start + ctx.days(0, HISTORY_DAYS - 1)
    referral(ctx, story, first)
    if story.died_on is None and story.withdrawn_on is None:
        second = second_referral_date(ctx, story, first)
        if second is not None:
            referral(ctx, story, second)

    settle_actions(ctx, story)
    events = _hospital_events(ctx, story, cfs, first)
    concerns_open = _safeguarding(ctx, story)
    _notes(ctx, story)
    inputs = risk.RiskInputs(
        cfs=cfs,
        efi=efi,
        admissions_12m=events["admissions_12m"],
        ae_12m=events["ae_12m"],
        conditions=len(conditions),
        discharged_within_30_days=events["recent_discharge"],
        open_safeguarding=concerns_open,
    )
    result = risk.assess(inputs, ctx.points)

    if rng.random() < 0.95 and ctx.nhs_numbers:
        number = ctx.nhs_numbers.pop()
        status = NhsNumberStatus.verified if rng.random() < 0.93 else NhsNumberStatus.needs_tracing
    else:
        number, status = None, rng.choice([NhsNumberStatus.not_present, NhsNumberStatus.trace_required])
    street = rng.choice(ctx.streets)
    town, district = rng.choice(loc.area)  # the locality's towns, each in its own postcode district
    postcode = f"{district} {rng.randint(1, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    carer = None
    if rng.random() < 0.35:
        carer_given, _ = ctx.person()
        relation = rng.choice(["wife", "husband", "daughter", "son", "neighbour"])
        carer = f"{carer_given} {family} ({relation}), {rng.choice(ctx.phones)}"
    kin_given, _ = ctx.person()
    rows.add(
        Patient,
        id=pid,
        nhs_number=number,
        nhs_number_status=status,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex=sex,
        address=f"{rng.randint(1, 180)} {street}, {town}",
        postcode=postcode,
        phone=rng.choice(ctx.phones),
        gp_practice_id=practice["id"],
        named_gp=rng.choice(practice["gps"]) if rng.random() < 0.92 else None,  # some referrals name no GP
        carer_details=carer,
        next_of_kin=f"{kin_given} {family}, {rng.choice(ctx.phones)}" if rng.random() < 0.75 else None,
        communication_needs=rng.choice(COMMUNICATION) if rng.random() < 0.15 else None,
        interpreter_language=rng.choice(LANGUAGES) if rng.random() < 0.03 else None,
        long_term_conditions="\n".join(conditions),
        cfs=cfs,
        efi=efi,
        # Calculated from the GP record a week or more before the first referral (no draw: the data stays the same).
        efi_on=first - timedelta(days=7 + pid % 50) if efi is not None else None,
        date_of_death=story.died_on,
        consent_withdrawn_on=story.withdrawn_on,
        risk_score=result.score,
        risk_band=result.band,
        risk_reasons="\n".join(result.reasons) or None,
        **ctx.stamp(first, story.last_change),
    )


def _hospital_events(ctx: Context, story: Story, cfs: int | None, first: date) -> dict:
    """Non-elective admissions and A&E attendances, more for the frailer; counted for the risk rule."""
    rng = ctx.rng
    mean = {None: 1.2, 3: 0.5, 4: 0.8, 5: 1.2, 6: 1.8, 7: 2.4, 8: 3.0, 9: 3.0}.get(cfs, 1.2)
    last_day = min(ctx.today, story.died_on or ctx.today)
    counts = {"admissions_12m": 0, "ae_12m": 0, "recent_discharge": False}
    for _ in range(min(12, int(rng.expovariate(1 / mean) + 0.5))):
        before = rng.random() < 0.6  # most hospital use comes before the referral
        day = first - ctx.days(0, 365) if before else first + ctx.days(0, max(0, (last_day - first).days))
        if day > last_day or day < story.born:
            continue
        kind = HospitalEventKind.admission if rng.random() < 0.45 else HospitalEventKind.ae_attendance
        discharged = None
        if kind == HospitalEventKind.admission:
            discharged = day + ctx.days(1, 21)
            if discharged > ctx.today:
                discharged = None  # still in hospital
        ctx.rows.add(
            HospitalEvent,
            id=ctx.rows.next_id(HospitalEvent),
            patient_id=story.pid,
            kind=kind,
            occurred_on=day,
            discharged_on=discharged,
            hospital=rng.choice(HOSPITALS),
            notes=rng.choice(HOSPITAL_NOTES),
            **ctx.stamp(discharged or day),
        )
        if ctx.today - timedelta(days=365) < day <= ctx.today:
            counts["admissions_12m" if kind == HospitalEventKind.admission else "ae_12m"] += 1
        if kind == HospitalEventKind.admission and ctx.today - timedelta(days=30) < (discharged or day) <= ctx.today:
            counts["recent_discharge"] = True
    return counts


def _safeguarding(ctx: Context, story: Story) -> bool:
    """A concern for one patient in twenty-five on the caseload (at least one in all); True while it is open."""
    rng, episode = ctx.rng, story.last_episode
    if episode is None or (rng.random() > 0.04 and ctx.rows.held(SafeguardingConcern)):
        return False
    end = episode["closed_on"] or ctx.today
    raised = episode["opened_on"] + ctx.days(0, max(0, (end - episode["opened_on"]).days))
    referred = raised + ctx.days(0, 4) if rng.random() < 0.8 else None
    if referred and referred > ctx.today:
        referred = None
    closed = raised + ctx.days(20, 150)
    closed = closed if closed <= ctx.today else None
    category = ctx.pick(SAFEGUARDING_WEIGHTS)
    council = (
        "Demo County Council"
        if story.loc.council_id == ctx.orgs_by_type[OrganisationType.social_services][0]
        else "Demo Borough Council"
    )
    ctx.rows.add(
        SafeguardingConcern,
        id=ctx.rows.next_id(SafeguardingConcern),
        patient_id=story.pid,
        raised_on=raised,
        raised_by_id=episode["coordinator"],
        concern=CONCERN_TEXT[category.value],
        category=category,
        s42_care_needs=rng.choice([True, True, True, None]),
        s42_at_risk=rng.choice([True, True, False, None]),
        s42_unable_to_protect=rng.choice([True, False, None]),
        referred_to=f"Adult safeguarding team, {council}" if referred else None,
        referred_on=referred,
        reference=f"SG-{raised.year}-{rng.randint(1000, 99999)}" if referred else None,
        outcome=rng.choice(SAFEGUARDING_OUTCOMES) if closed else None,
        closed_on=closed,
        **ctx.stamp(raised, closed),
    )
    return closed is None


def _notes(ctx: Context, story: Story) -> None:
    """None to two summaries collated from other records, most checked by the coordinator."""
    rng = ctx.rng
    for _ in range(rng.choice([0, 0, 1, 1, 1, 2])):
        source = ctx.pick(
            {
                NoteSource.emis: 35,
                NoteSource.shared_care_record: 25,
                NoteSource.rio: 20,
                NoteSource.ibis: 10,
                NoteSource.other: 10,
            }
        )
        made = min(ctx.start + ctx.days(0, HISTORY_DAYS), story.died_on or ctx.today)
        checked = rng.random() < 0.8
        ctx.rows.add(
            CollatedNote,
            id=ctx.rows.next_id(CollatedNote),
            patient_id=story.pid,
            source=source,
            summary=NOTE_SUMMARIES[source],
            checked_by_id=story.loc.coordinator_id if checked else None,
            checked_on=min(ctx.today, made + ctx.days(0, 5)) if checked else None,
            **ctx.stamp(made),
        )
