"""Reference data: the (made-up) agencies, localities, meeting members and the phrases records are made of."""

from __future__ import annotations

import base64
import hashlib
import random

from models import (
    ActionStatus,
    GoalDomain,
    MemberRole,
    NoteSource,
    OrganisationType,
    Role,
    SafeguardingCategory,
)
from services.accounts import ILR_TEAM_ODS
from services.second_factor import RECOVERY_CODES, recovery_code_from

#: The demo accounts' shared password: for the demo database only.
DEMO_PASSWORD = "demo-password-2026"


def demo_totp_secret(email: str) -> str:
    """A demo account's second-factor secret: derived from its address, so `flask demo-logins` can print it
    without reading the database (it never prints a real account's secret). Demo data only."""
    return base64.b32encode(hashlib.sha256(f"ilr-demo-second-factor:{email}".encode()).digest()[:20]).decode()


def demo_recovery_codes(email: str) -> list[str]:
    """A demo account's ten recovery codes, derived from its address like its secret (demo data only)."""
    chooser = random.Random(f"ilr-demo-recovery:{email}")  # noqa: S311 - demo data, printed on purpose
    return [recovery_code_from(chooser.choice) for _ in range(RECOVERY_CODES)]


#: The demo accounts `make run` prints: (email, name, role, ODS code of their organisation, None for the ILR team).
DEMO_ACCOUNTS = [
    ("coordinator@ilr-demo.nhs.net", "Casey Coordinator", Role.coordinator, None),
    ("lead@ilr-demo.nhs.net", "Lindsay Lead", Role.team_lead, None),
    ("partner@social-demo.gov.uk", "Pat Partner", Role.partner, "DEMOSS"),
    ("observer@ilr-demo.nhs.net", "Oakley Observer", Role.read_only, None),
]

#: The demo accounts' job titles, which sign the letters they make (with a telephone and their secure address).
DEMO_JOB_TITLES = {
    Role.coordinator: "ILR coordinator",
    Role.team_lead: "ILR team lead",
    Role.partner: "Senior social worker",
    Role.read_only: "Quality and governance officer",
}

#: (name, type, code, email domain, the address that may receive patient data)
AGENCIES = [
    (
        "Demo Community Health NHS Trust",
        OrganisationType.community_health,
        "DEMOCH",
        "community-demo.nhs.net",
        "ilr.referrals",
    ),
    (
        "Demo Hospitals NHS Foundation Trust",
        OrganisationType.acute_trust,
        "DEMOAT",
        "hospitals-demo.nhs.net",
        "frailty.team",
    ),
    (
        "Demo County Council Adult Social Care",
        OrganisationType.social_services,
        "DEMOSS",
        "social-demo.gov.uk",
        "adult.social.care",
    ),
    (
        "Demo Borough Council Adult Social Care",
        OrganisationType.social_services,
        "DEMOS2",
        "borough-demo.gov.uk",
        "asc.duty",
    ),
    (
        "Demo PCN Clinical Pharmacy Team",
        OrganisationType.pharmacy,
        "DEMOPH",
        "pharmacy-demo.nhs.net",
        "pcn.pharmacists",
    ),
    (
        "Demo Mental Health Partnership NHS Trust",
        OrganisationType.mental_health,
        "DEMOMH",
        "mh-demo.nhs.net",
        "older.adults",
    ),
    ("Demo Integrated Care Board", OrganisationType.icb, "DEMOIC", "icb-demo.nhs.net", "ilr.programme"),
    ("Demo Telecare Service", OrganisationType.telecare, "DEMOTC", "telecare.example.org", None),
    ("Demo Drug and Alcohol Service", OrganisationType.drug_alcohol, "DEMODA", "recovery.example.org", None),
    (
        "Demo Ambulance Service NHS Trust",
        OrganisationType.ambulance,
        "DEMOAM",
        "ambulance-demo.nhs.net",
        "frequent.callers",
    ),
    ("Demo Fire and Rescue Service", OrganisationType.fire_rescue, "DEMOFR", "fire-demo.gov.uk", "safe.and.well"),
    ("Demo Homes Housing Association", OrganisationType.housing, "DEMOHO", "homes.example.org", "tenancy.support"),
    (
        "Demo Council Housing Options",
        OrganisationType.housing,
        "DEMOH2",
        "housing.borough-demo.gov.uk",
        "housing.options",
    ),
    ("Demo Age Concern", OrganisationType.voluntary, "DEMOVA", "ageconcern.example.org", None),
    ("Demo Carers' Centre", OrganisationType.voluntary, "DEMOVC", "carers.example.org", None),
    ("Demo Good Neighbours", OrganisationType.voluntary, "DEMOVG", "neighbours.example.org", None),
    ("Demo Hospice", OrganisationType.other, "DEMOOT", "hospice.example.org", None),
]
#: The domains the demo team lead has recorded as accredited (DCB1596), with their notes: those of the councils, the
#: fire service and the housing agencies (the agencies with partner logins). Accreditation is by domain, so Council
#: Housing Options passes on a subdomain of the borough council's; telecare, recovery, the voluntary sector and the
#: hospice are left off, so the demo also shows a chase or the minutes refused for want of a secure address.
ACCREDITED_DOMAINS = [
    (
        "social-demo.gov.uk",
        "Demo County Council, all departments: on the NHS list of organisations accredited to the secure email "
        "standard (DCB1596); the council's IT security team confirmed the domain.",
    ),
    (
        "borough-demo.gov.uk",
        "Demo Borough Council, with Council Housing Options on housing.borough-demo.gov.uk: on the DCB1596 "
        "accredited list; confirmed by the council's information governance lead.",
    ),
    (
        "fire-demo.gov.uk",
        "Demo Fire and Rescue Service: on the DCB1596 accredited list; the safe and well team confirmed the mailbox.",
    ),
    (
        "homes.example.org",
        "Demo Homes Housing Association: its DCB1596 accreditation letter seen and filed with the ILR's IG records "
        "(a reserved example domain stands in for the association's own).",
    ),
]
#: What an owner writes when they update an action through the link in a chase.
UPDATE_NOTES = {
    ActionStatus.in_progress: [
        "Visit booked for next week.",
        "Waiting for the family to confirm a date.",
        "Equipment ordered; fitting booked.",
    ],
    ActionStatus.done: [
        "Assessment done; report sent to the GP.",
        "Done: see the shared care record.",
        "Visit completed; no further concerns.",
    ],
}
#: The ILR team itself, in the same shape: the demo coordinators and the lead belong to it.
ILR_TEAM = ("Integrated Locality Review team", OrganisationType.ilr_team, ILR_TEAM_ODS, "ilr-demo.nhs.net", "ilr.team")

#: The localities: the first three, and the fourth from 5,000 patients.
LOCALITIES = ["Riverside", "Northdown", "Wealden Vale", "Coastside"]
#: Each locality's towns and the postcode district each lies in: one area, Medway and Swale in Kent (the ME postcode
#: area), as the services directory's "Medway" says. Patients live, and practices are named, in their locality's towns.
LOCALITY_AREAS = {
    "Riverside": [("Rochester", "ME1"), ("Strood", "ME2"), ("Chatham", "ME4"), ("Walderslade", "ME5")],
    "Northdown": [("Gillingham", "ME7"), ("Hempstead", "ME7"), ("Rainham", "ME8"), ("Twydall", "ME8")],
    "Wealden Vale": [("Snodland", "ME6"), ("Aylesford", "ME20"), ("Larkfield", "ME20"), ("Hoo St Werburgh", "ME3")],
    "Coastside": [("Sittingbourne", "ME10"), ("Sheerness", "ME12"), ("Minster-on-Sea", "ME12"), ("Faversham", "ME13")],
}
#: Street names as Kent towns have them: each stem with each ending ("Church Road", "Nelson Terrace").
STREET_STEMS = [
    "Church", "Station", "Victoria", "Albert", "Mill", "Park", "King's", "Queen's", "London", "Maidstone",
    "Canterbury", "Castle", "Priory", "Orchard", "Cherry", "Hawthorn", "Oak", "Beech", "Willow", "Elm", "Chestnut",
    "Medway", "Hillside", "Valley", "Fort", "Dock", "Watling", "Bredgar", "Cobham", "Darnley", "Marlborough",
    "Nelson", "Napier", "Balmoral", "Windsor", "Wellington", "Grange", "Manor", "Rectory", "Hazel", "Chapel",
    "Saxon", "Roman", "Bligh", "Cossack", "Luton", "Pier", "Admiral", "Ordnance", "Hop Garden",
]  # fmt: skip
STREET_ENDINGS = ["Road", "Street", "Avenue", "Close", "Lane", "Gardens", "Crescent", "Way", "Drive", "Grove",
                  "Place", "Terrace"]  # fmt: skip
#: Relative sizes: patients are spread, and weekly meeting slots sized, in these proportions.
LOCALITY_WEIGHTS = [4, 3, 3, 2]

#: Meeting member per agency type: (job title, member role, chance of attending a held meeting).
MEMBERSHIP = {
    OrganisationType.community_health: ("Community matron", MemberRole.core, 0.92),
    OrganisationType.acute_trust: ("Consultant geriatrician", MemberRole.core, 0.80),
    OrganisationType.social_services: ("Senior social worker", MemberRole.core, 0.85),
    OrganisationType.pharmacy: ("Clinical pharmacist", MemberRole.core, 0.88),
    OrganisationType.mental_health: ("Older adults mental health nurse", MemberRole.core, 0.62),
    OrganisationType.icb: ("ILR programme manager", MemberRole.core, 0.70),
    OrganisationType.telecare: ("Telecare assessor", MemberRole.optional, 0.45),
    OrganisationType.drug_alcohol: ("Recovery worker", MemberRole.optional, 0.30),
    OrganisationType.ambulance: ("Frequent caller lead", MemberRole.optional, 0.35),
    OrganisationType.fire_rescue: ("Safe and well officer", MemberRole.optional, 0.40),
    OrganisationType.housing: ("Tenancy sustainment officer", MemberRole.optional, 0.50),
    OrganisationType.voluntary: ("Community navigator", MemberRole.optional, 0.55),
}

#: Long-term conditions any adult may have; those of later life are in `LATER_LIFE_CONDITIONS` (from 60).
CONDITIONS = [
    "Type 2 diabetes",
    "Type 1 diabetes",
    "COPD",
    "Asthma",
    "Heart failure",
    "Atrial fibrillation",
    "Hypertension",
    "Ischaemic heart disease",
    "Chronic kidney disease stage 3",
    "Previous stroke",
    "Peripheral vascular disease",
    "Depression",
    "Anxiety",
    "Bipolar disorder",
    "Schizophrenia",
    "Epilepsy",
    "Multiple sclerosis",
    "Learning disability",
    "Chronic pain",
    "Fibromyalgia",
    "Rheumatoid arthritis",
    "Hypothyroidism",
    "Obesity",
    "Alcohol dependence",
    "Opioid dependence",
    "Chronic liver disease",
    "Cancer (in remission)",
    "Bronchiectasis",
    "Leg ulcers",
    "Sickle cell disease",
]
#: Conditions of later life: given only from 60.
LATER_LIFE_CONDITIONS = [
    "Dementia (Alzheimer's type)",
    "Vascular dementia",
    "Mild cognitive impairment",
    "Parkinson's disease",
    "Osteoarthritis",
    "Osteoporosis",
    "Previous hip fracture",
    "Macular degeneration",
    "Glaucoma",
    "Hearing loss",
    "Urinary incontinence",
    "Aortic stenosis",
    "Polymyalgia rheumatica",
    "Prostate cancer (on hormone therapy)",
    "Recurrent falls",
]
HOSPITALS = [
    "Riverside General Hospital",
    "Kingsmead Hospital",
    "St Aldhelm's Hospital",
    "Coastside Community Hospital",
]
LANGUAGES = ["Polish", "Punjabi", "Nepali", "Romanian", "Lithuanian", "Turkish", "Bengali", "Urdu", "Portuguese"]
COMMUNICATION = [
    "Hard of hearing: face them and speak clearly.",
    "Registered blind: large print or phone calls.",
    "Memory problems: involve daughter in all calls.",
    "Uses BSL; needs an interpreter for appointments.",
    "Aphasia after stroke: allow time, use yes/no questions.",
    "Prefers contact by phone, not letter.",
]
#: Why a frail older person is referred.
REFERRAL_REASONS = [
    "Three falls in two months and struggling to manage at home.",
    "Frequent A&E attendances with breathlessness; lives alone.",
    "Carer breakdown: wife admitted to hospital, patient now alone.",
    "Recent discharge after a long admission; poor mobility and missed medication.",
    "Escalating care needs and repeated calls to the ambulance service.",
    "Weight loss, self-neglect concerns and declining support.",
    "Memory worsening; family worried about safety at home (cooker left on).",
    "Complex polypharmacy with recent admission for a fall on anticoagulants.",
    "Housing no longer suitable: cannot manage the stairs.",
    "Low mood, isolated, not engaging with community services.",
    "Husband with dementia cares for her; both struggling since his diagnosis.",
    "Four admissions this year with heart failure; not keen on going back in.",
    "Pressure sores developing; declining district nurse visits.",
    "Found on the floor overnight twice; no pendant alarm.",
    "Daughter moving abroad; no other family nearby.",
    "Getting lost when out walking; police brought him home last week.",
    "Not eating since his wife died in the spring; losing weight.",
    "Repeated urinary infections and confusion; three admissions in six months.",
    "Care package keeps breaking down; agencies unable to staff the calls.",
    "Wants to stay at home to the end; family unsure how to support that.",
]
#: Why a younger adult (under 65) with complex needs is referred.
YOUNGER_REASONS = [
    "Alcohol-related admissions and a tenancy at risk.",
    "Uncontrolled diabetes with repeated A&E visits; missing clinic appointments.",
    "Severe COPD, housebound, struggling with oxygen at home.",
    "Learning disability; his mother, his carer, has just been admitted.",
    "Chronic pain and low mood; frequent calls to 111 and the out-of-hours GP.",
    "Multiple sclerosis progressing; adaptations and care needed at home.",
    "Mental illness and diabetes: several agencies involved, none leading.",
    "Homeless after eviction, with heart failure and leg ulcers.",
]
QUESTIONS = [
    "Can the agencies agree one plan to keep them safely at home?",
    "Is a care home placement now in their best interests?",
    "What support would reduce the A&E attendances?",
    "Who should lead on the safeguarding concerns?",
    "Could a medication review and telecare reduce the falls?",
    "Can we plan ahead with the family for the last months of life?",
    "Which agency can support the carer before they break down?",
    "Is there a safer home: sheltered housing, extra care?",
    "How do we engage someone who keeps declining help?",
    "Would a joint visit by the community team and social care help?",
    "What would stop the repeated calls to the ambulance service?",
    "Can the hospital and community teams share one plan after discharge?",
]
SIGNPOSTING = [
    "Age UK information and advice; falls prevention leaflet.",
    "Social prescriber contacted; carers' centre details given.",
    "Community pharmacy medication use review.",
    "Fire service safe and well visit offered.",
    "Referred to falls clinic.",
]
#: Triage outcomes: what more information is asked for, advice given, where redirected, why declined.
MISSING = [
    "Please confirm the patient's consent to the referral.",
    "Please send the current medication list.",
    "Please say what signposting has already been tried.",
    "Please confirm the NHS number and current address.",
]
ADVICE = [
    "Advised GP to refer directly to the falls service.",
    "Suggested a structured medication review by the PCN pharmacist.",
    "Advised carers' assessment via adult social care.",
    "Recommended memory clinic referral from the practice.",
]
REDIRECT_SERVICES = [
    "Rapid response team",
    "Community mental health team",
    "Hospice at home",
    "Falls service",
    "Care home support team",
]
OTHER_DECLINE = [
    "Patient moved out of area before triage.",
    "Needs are being met by the virtual ward.",
    "Referred in error by the practice.",
]
#: Phrases agenda items are made of.
SUMMARY_BITS = [
    "Lives alone in a first-floor flat.",
    "Lives with a spouse who has dementia.",
    "Daughter visits twice a week.",
    "Son lives in Scotland and phones daily.",
    "Package of care twice daily.",
    "Four calls a day since the last discharge.",
    "Three falls since the last review.",
    "Two A&E attendances in the last quarter.",
    "Struggling with medication.",
    "Wife is main carer and exhausted.",
    "Recently discharged after pneumonia.",
    "Weight has dropped by 5 kg.",
    "Neighbour does the shopping.",
    "Has a cat and will not leave it.",
    "Uses a frame indoors; housebound.",
    "Key safe fitted; pendant not worn.",
]
DISCUSSION_BITS = [
    "GP reported the recent medication changes.",
    "Community matron has seen them weekly since discharge.",
    "Social worker noted the package of care is not meeting needs in the evenings.",
    "Pharmacist recommended stopping the sedating antihistamine.",
    "Mental health nurse will assess mood and memory.",
    "Geriatrician suggested a comprehensive geriatric assessment in clinic.",
    "Housing can fit grab rails within four weeks.",
    "Fire service found no working smoke alarm and will fit one.",
    "Telecare pendant declined previously; to revisit.",
    "Family are keen for more support but patient wants to stay independent.",
    "Ambulance service reported four calls for falls without injury.",
    "Voluntary sector befriending offered weekly.",
    "District nurses are dressing leg ulcers three times a week.",
    "Occupational therapist recommends a stairlift assessment.",
    "Carer has not had a break in two years; respite discussed.",
    "Patient has capacity and declines a care home; risks explained and recorded.",
    "Advance care plan started with the GP; resuscitation wishes discussed with the family.",
    "Recovery worker reports drinking has reduced since the last meeting.",
]
OUTCOMES = [
    "Plan agreed: stay at home with increased support.",
    "Medication review and falls assessment to be completed.",
    "Carers' assessment and respite to be arranged.",
    "Safeguarding concern to be raised with adult social care.",
    "Review at the next meeting once assessments are back.",
    "Refer to memory clinic; GP to discuss with patient.",
    "Joint visit by the community matron and social worker.",
    "Advance care planning with the patient and family.",
    "Move to extra-care housing to be explored with housing.",
    "Telecare and a key safe to be installed; falls team to follow up.",
]
#: What an agency of each type can be asked to do at a meeting.
ACTION_TEMPLATES = {
    OrganisationType.gp_practice: [
        "Discuss the ILR recommendations with the patient",
        "Medication review",
        "Refer to memory clinic",
        "Repeat bloods and review renal function",
        "Complete advance care planning conversation",
    ],
    OrganisationType.community_health: [
        "District nurse visit to review pressure areas",
        "Occupational therapy home assessment",
        "Falls assessment at home",
        "Continence assessment",
    ],
    OrganisationType.acute_trust: [
        "Comprehensive geriatric assessment in clinic",
        "Review discharge summary and follow-up",
    ],
    OrganisationType.social_services: [
        "Review the package of care",
        "Carers' assessment",
        "Care Act needs assessment",
        "Explore respite options",
    ],
    OrganisationType.pharmacy: ["Structured medication review", "Arrange blister packs with community pharmacy"],
    OrganisationType.mental_health: ["Mood and memory assessment", "Review antidepressant with GP"],
    OrganisationType.icb: ["Check continuing healthcare eligibility"],
    OrganisationType.telecare: ["Install falls detector pendant", "Fit key safe and door sensor"],
    OrganisationType.drug_alcohol: ["Offer alcohol brief intervention", "Arrange recovery worker visit"],
    OrganisationType.ambulance: ["Add care plan flag to the ambulance record"],
    OrganisationType.fire_rescue: ["Safe and well visit; fit smoke alarm"],
    OrganisationType.housing: ["Assess for stairlift and grab rails", "Discuss move to ground-floor flat"],
    OrganisationType.voluntary: ["Befriending referral", "Help with attendance allowance claim"],
}
CHASE_NOTES = [
    "No reply yet; chased by email.",
    "Spoke to the team: visit booked.",
    "Raised at the meeting; owner to update.",
    "Left voicemail for the owner.",
]
#: Care plan goals, in the patient's words.
GOALS = {
    GoalDomain.physical: [
        "I want to walk to the corner shop again",
        "I want to stop falling",
        "I want to breathe more easily",
        "I want my legs to heal",
        "I want to sleep through the night",
        "I want to get my strength back after hospital",
    ],
    GoalDomain.psychological: [
        "I want to feel less low",
        "I want to stop worrying about my memory",
        "I want to feel safe at night",
        "I want to stop drinking so much",
        "I want to feel like myself again",
    ],
    GoalDomain.social: [
        "I want to see my friends at the lunch club",
        "I want my daughter to have a break",
        "I want to get to church on Sundays",
        "I want to see my grandchildren more",
        "I want someone to talk to in the week",
    ],
    GoalDomain.functional: [
        "I want to wash and dress myself",
        "I want to manage my own tablets",
        "I want to cook a proper meal",
        "I want to get out into the garden",
        "I want to get in and out of the bath",
    ],
    GoalDomain.environmental: [
        "I want to stay in my own home",
        "I want to be able to use the stairs safely",
        "I want a warm house this winter",
        "I want to live nearer my family",
        "I want my flat to be clear and safe",
    ],
}
ABOUT_ME = [
    "I was a bus driver for 30 years and love my garden.",
    "I have lived in this town all my life; my cat matters to me.",
    "I used to sing in the church choir.",
    "I like to do the crossword every morning.",
    "I worked at the dockyard in Chatham until it closed.",
    "I was a nurse at the old hospital; I like to be independent.",
    "I follow Gillingham FC and never miss a home game on the radio.",
    "My husband and I ran a pub for twenty years.",
    "I keep an allotment and grow my own vegetables.",
    "I came here from Jamaica in 1962 and raised five children.",
    "I love my dog, Bess; she is my reason to get up.",
    "I was a teacher; I still read two books a week.",
    "I play dominoes at the club on Thursdays when I can get there.",
    "I like my routine: tea at four, the news at six.",
    "I served in the navy and do not like a fuss.",
    "My faith is important to me; the mosque community visits.",
]
#: Reasons for a hospital event (None: not recorded).
HOSPITAL_NOTES = [
    "Fall at home",
    "Chest infection",
    "Shortness of breath",
    "Urinary tract infection",
    "Confusion",
    "Dizziness",
    None,
]
#: How closed safeguarding concerns ended.
SAFEGUARDING_OUTCOMES = [
    "Section 42 enquiry: protection plan agreed.",
    "No further action; support via care management.",
    "Enquiry ongoing.",
]
#: Relative frequency of each safeguarding category.
SAFEGUARDING_WEIGHTS = {
    SafeguardingCategory.self_neglect: 30,
    SafeguardingCategory.neglect: 18,
    SafeguardingCategory.financial: 15,
    SafeguardingCategory.psychological: 10,
    SafeguardingCategory.domestic_abuse: 9,
    SafeguardingCategory.physical: 8,
    SafeguardingCategory.organisational: 4,
    SafeguardingCategory.discriminatory: 2,
    SafeguardingCategory.sexual: 2,
    SafeguardingCategory.modern_slavery: 2,
}
#: What each source of collated notes says.
NOTE_SUMMARIES = {
    NoteSource.emis: "GP record: recent consultations for falls and breathlessness; repeat medication reviewed.",
    NoteSource.rio: "Community record: district nurse visits twice weekly; leg ulcer healing.",
    NoteSource.ibis: "Ambulance record: four calls in three months, two conveyed.",
    NoteSource.shared_care_record: "Shared care record: two admissions this year; discharge letters reviewed.",
    NoteSource.other: "Social care record: package of care started after discharge.",
}
