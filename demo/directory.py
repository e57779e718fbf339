"""The services directory (plausible Medway-area services, all synthetic), and the contact log of each episode.

Every service is run by a "Demo ..." organisation (or none, for a service the team only signposts to); secure
addresses are on the demo domains the team lead accredited or on `*-demo.nhs.net`, phone numbers are Ofcom's drama
ranges and forms live on example.org.
"""

from __future__ import annotations

from datetime import date, timedelta

from demo.bulk import existing_ids
from demo.context import Context, Story
from models import ContactLogEntry, ContactMethod, ContactParty, DirectoryService, OnwardMethod

#: (service, organisation's ODS code or None, what it offers, who it is for, how to refer, where, area covered).
#: "Where" is the secure mailbox for email, the form's path for a form, else None (the phone number is drawn).
DIRECTORY = [
    (
        "Falls prevention and strength and balance",
        "DEMOCH",
        "Falls risk assessment at home; a 12-week strength and balance class; advice on footwear, eyesight and "
        "hazards at home.",
        "Adults aged 65 and over who have fallen in the last year or are afraid of falling.",
        OnwardMethod.form,
        "falls-referral",
        "Medway",
    ),
    (
        "Community occupational therapy",
        "DEMOCH",
        "Assessment of daily living at home; equipment (bed and chair raisers, perching stools); minor adaptations.",
        "Adults registered with a Medway GP who struggle with personal care or moving about at home.",
        OnwardMethod.email,
        "ot.referrals@community-demo.nhs.net",
        "Medway",
    ),
    (
        "Continence advisory service",
        "DEMOCH",
        "Continence assessment, bladder and bowel care plans, products.",
        "Adults with bladder or bowel problems who have seen their GP.",
        OnwardMethod.form,
        "continence-referral",
        "Medway and Swale",
    ),
    (
        "Telecare and community alarms",
        "DEMOTC",
        "Pendant alarms, falls detectors, key safes and 24-hour monitoring with a response service.",
        "Adults at risk at home, especially living alone; charged, or free after a council assessment.",
        OnwardMethod.phone,
        None,
        "Kent and Medway",
    ),
    (
        "Safe and well visit",
        "DEMOFR",
        "A free home visit: smoke alarms fitted, fire safety advice, falls and health checks, a referral on when "
        "needed.",
        "Anyone at higher risk of fire at home: older people living alone, smokers, oxygen users, hoarding.",
        OnwardMethod.email,
        "safe.and.well@fire-demo.gov.uk",
        "Kent and Medway",
    ),
    (
        "Housing options and disabled facilities grants",
        "DEMOH2",
        "Advice on rehousing; disabled facilities grants for level-access showers, stairlifts and ramps.",
        "Medway residents whose home no longer suits their needs (owner-occupiers and private tenants).",
        OnwardMethod.email,
        "housing.options@housing.borough-demo.gov.uk",
        "Medway",
    ),
    (
        "Tenancy sustainment and handyperson",
        "DEMOHO",
        "Support to keep a tenancy; grab rails, key safes and small repairs by the handyperson team.",
        "Tenants of Demo Homes, and older homeowners for the handyperson service.",
        OnwardMethod.email,
        "tenancy.support@homes.example.org",
        "Medway",
    ),
    (
        "Adult social care: Care Act assessment",
        "DEMOSS",
        "Assessment of care and support needs and of carers' needs; care at home, respite and reablement.",
        "Adults who may need care and support, and their carers.",
        OnwardMethod.email,
        "adult.social.care@social-demo.gov.uk",
        "Kent",
    ),
    (
        "Carers' support and breaks",
        "DEMOVC",
        "Carers' assessments with the council, emotional support, peer groups, short breaks and a carers' card.",
        "Unpaid carers of any age caring for someone in Medway.",
        OnwardMethod.signposted,
        None,
        "Medway",
    ),
    (
        "Befriending: telephone and home visits",
        "DEMOVA",
        "A volunteer who calls or visits weekly; a monthly lunch club.",
        "Older people who are lonely or isolated.",
        OnwardMethod.form,
        "befriending",
        "Medway",
    ),
    (
        "Good neighbours: shopping and lifts",
        "DEMOVG",
        "Volunteers for shopping, prescription collection and lifts to appointments.",
        "Older and disabled people in the Medway towns without family nearby.",
        OnwardMethod.phone,
        None,
        "Chatham, Gillingham, Rochester and Strood",
    ),
    (
        "Drug and alcohol recovery service",
        "DEMODA",
        "Assessment, community detox, harm reduction, recovery groups and family support.",
        "Adults (18 and over) worried about their own or someone else's drinking or drug use.",
        OnwardMethod.signposted,
        None,
        "Medway",
    ),
    (
        "Memory assessment service",
        "DEMOMH",
        "Assessment and diagnosis of memory problems and dementia; post-diagnostic support.",
        "Adults with memory concerns, referred by their GP after blood tests.",
        OnwardMethod.form,
        "memory-assessment",
        "Kent and Medway",
    ),
    (
        "Dementia support hub",
        "DEMOVA",
        "Dementia advisers, carers' courses, memory cafes and activity groups.",
        "People living with dementia and those who care for them, with or without a diagnosis.",
        OnwardMethod.signposted,
        None,
        "Medway",
    ),
    (
        "Hospice at home",
        "DEMOOT",
        "Specialist palliative care nurses at home, night sitting, family and bereavement support.",
        "Adults with a life-limiting illness in the last months of life, and their families.",
        OnwardMethod.phone,
        None,
        "Medway and Swale",
    ),
    (
        "Structured medication review",
        "DEMOPH",
        "A clinical pharmacist's review of all medicines, with the patient, for side effects, falls risk and burden.",
        "Patients on ten or more medicines, in care homes or at risk of medicine-related harm.",
        OnwardMethod.email,
        "pcn.pharmacy@pharmacy-demo.nhs.net",
        "Medway",
    ),
    (
        "Welfare benefits and money advice",
        None,
        "Benefit checks (Attendance Allowance, Pension Credit), form filling, debt advice.",
        "Anyone in Medway, particularly people newly disabled or caring.",
        OnwardMethod.signposted,
        None,
        "Medway",
    ),
]

#: What a concern of each category says had happened (safeguarding concerns raised by the ILR).
CONCERN_TEXT = {
    "self_neglect": "Home found cluttered and unheated; not eating regularly; declining personal care.",
    "neglect": "Carer not giving prescribed medicines; pressure sore not reported.",
    "financial": "Neighbour holds the bank card and pension has been withdrawn without the patient knowing.",
    "psychological": "Family member shouts and threatens to put the patient in a home.",
    "domestic_abuse": "Patient disclosed being pushed by their partner; bruising to the arm.",
    "physical": "Unexplained bruising to both wrists noticed by the district nurse.",
    "organisational": "Care agency visits repeatedly missed or cut short.",
    "discriminatory": "Care worker refuses to help with religious dietary needs.",
    "sexual": "Patient disclosed unwanted touching by a visitor.",
    "modern_slavery": "Lodger appears to work unpaid for the household and has no access to their documents.",
}

#: A contact's summary for each kind of person the coordinator was in touch with.
CONTACT_SUMMARIES = {
    ContactParty.patient: [
        "Explained the ILR and what the meeting will look at; patient happy for the GP to share the plan.",
        "Checked how things are since the meeting; the new equipment is in use.",
        "Patient asked when the falls class starts; said we would chase the service.",
    ],
    ContactParty.carer: [
        "Daughter worried about coping at night; discussed telecare and carers' support.",
        "Husband confirmed the key safe code has been shared with the district nurses.",
    ],
    ContactParty.referrer: [
        "Updated the GP on the meeting's recommendations; GP to discuss them with the patient.",
        "Asked the referrer for the recent blood results before the meeting.",
    ],
    ContactParty.service: [
        "Service confirmed the referral was received and is being triaged.",
        "Service asked for the patient's communication needs before their visit.",
    ],
}
CARER_NAMES = ["daughter", "son", "husband", "wife", "neighbour"]
REFERRER_NAMES = ["Dr Patel (GP)", "Dr Okafor (GP)", "District nurse team", "Frailty practitioner"]


def seed_directory(ctx: Context) -> None:
    """The services directory, kept by the demo team lead (services already held are reused)."""
    held = existing_ids(DirectoryService, "name")
    for name, code, offers, who_for, how, where, area in DIRECTORY:
        org_id = ctx.orgs_by_code.get(code) if code else None
        service_id = held.get(name)
        if service_id is None:
            service_id = ctx.rows.next_id(DirectoryService)
            ctx.rows.add(
                DirectoryService,
                id=service_id,
                name=name,
                organisation_id=org_id,
                offers=offers,
                who_for=who_for,
                how_to_refer=how,
                secure_email=where if how == OnwardMethod.email else None,
                referral_form_url=f"https://example.org/demo/{where}" if how == OnwardMethod.form else None,
                phone=ctx.rng.choice(ctx.phones[:1000]),
                area=area,
                **ctx.stamp(ctx.set_up_on),
            )
        ctx.directory.append({"id": service_id, "name": name, "organisation_id": org_id, "how": how})


def contact_log(ctx: Context, story: Story, episode: dict) -> None:
    """One to four contacts during an episode; while it is open, the latest may still await its follow-up."""
    rng = ctx.rng
    end = min(episode["closed_on"] or ctx.today, story.died_on or ctx.today, ctx.today)
    span = max(0, (end - episode["opened_on"]).days)
    days = sorted(episode["opened_on"] + timedelta(days=rng.randint(0, span)) for _ in range(rng.randint(1, 4)))
    for n, day in enumerate(days):
        party = ctx.pick({ContactParty.patient: 35, ContactParty.carer: 25, ContactParty.referrer: 25,
                          ContactParty.service: 15})  # fmt: skip
        name = None
        if party == ContactParty.carer:
            name = f"{ctx.person()[0]} ({rng.choice(CARER_NAMES)})"
        elif party == ContactParty.referrer:
            name = rng.choice(REFERRER_NAMES)
        elif party == ContactParty.service:
            name = rng.choice(ctx.directory)["name"] if ctx.directory else "Adult social care"
        last = n == len(days) - 1
        follow_up, done = _follow_up(ctx, day, still_open=last and episode["closed_on"] is None)
        ctx.rows.add(
            ContactLogEntry,
            id=ctx.rows.next_id(ContactLogEntry),
            patient_id=story.pid,
            contacted_at=ctx.at(day),
            party=party,
            with_name=name,
            method=ctx.pick(
                {
                    ContactMethod.phone: 55,
                    ContactMethod.email: 20,
                    ContactMethod.teams: 10,
                    ContactMethod.visit: 10,
                    ContactMethod.letter: 5,
                }
            ),  # fmt: skip
            summary=rng.choice(CONTACT_SUMMARIES[party]),
            follow_up_on=follow_up,
            followed_up_on=done,
            by_id=episode["coordinator"],
            **ctx.stamp(day, done),
        )


def _follow_up(ctx: Context, day: date, still_open: bool) -> tuple[date | None, date | None]:
    """(due, done): half the contacts ask for a follow-up; the latest of an open episode's may still await it."""
    if ctx.rng.random() < 0.5:
        return None, None
    due = day + ctx.days(3, 21)
    if still_open and ctx.rng.random() < 0.6:
        return due, None
    return due, max(day, min(ctx.today, due + ctx.days(-2, 3)))
