"""What each KPI means, in the words the dashboard and the report show (DESIGN.md §5, with this service's choices
said where the design leaves one)."""

from __future__ import annotations

NOT_RECORDED = "Not yet recorded"
#: Shown with the hospital-use figures, in these words on the page and in the report.
HOSPITAL_CAVEAT = (
    "Without a matched comparison group this is not evidence of the ILR's impact: people are often referred at a "
    "peak of hospital use, which tends to fall afterwards whatever is done (regression to the mean)."
)

DEFINITIONS = {
    "referrals": "Referrals with a received date in the period; by month and by referrer organisation.",
    "acceptance": (
        "Accepted ÷ (accepted + declined + advice only + redirected) among referrals triaged in the period "
        "(a triage decision that settled the referral dated in the period); decline reasons counted."
    ),
    "triage_days": (
        "Days from the received date to the triage decision that settled the referral: median and 90th percentile "
        "(nearest rank), over referrals triaged in the period."
    ),
    "discussion_days": (
        "Days from the received date to the date of the first meeting where the case was discussed: median and "
        "90th percentile (nearest rank), over referrals whose first discussion falls in the period."
    ),
    "listed": (
        "Agenda items of meetings held in the period (withdrawn items left out): discussed ÷ listed; cases not "
        "reached or rolled over; late additions."
    ),
    "attendance": (
        "For meetings held in the period: the meetings where the agency had at least one member attending ÷ the "
        "meetings held that it was invited to (most agencies serve one locality: with all localities chosen, a "
        "practice is not measured against the other localities' meetings). Agencies under the team lead's threshold "
        "are highlighted. An agency attended a meeting when any of its people did, sent apologies when any did and "
        "nobody came, and was absent otherwise; 'missed in a row' counts its latest meetings not attended."
    ),
    "actions": (
        "Actions with a due date in the period (cancelled actions left out): completed on or before the due date "
        "÷ all; by owner organisation; plus the actions overdue today (open or in progress, due before today)."
    ),
    "onward": "Onward referrals made in the period, by service, with their outcomes (signposting is counted apart).",
    "signposting": (
        "Signposting given in the period (advice to the patient or their carer about a service they contact "
        "themselves, which awaits no answer), by service and by whom it was given to."
    ),
    "care_plans": (
        "Patients first discussed in the period whose care plan was shared with their GP within the team lead's "
        "number of working days of that discussion (weekends and England & Wales bank holidays skipped) ÷ those "
        "patients."
    ),
    "goals": "Goals achieved or partly achieved ÷ goals, over the episodes closed in the period.",
    "safeguarding": "Concerns raised in the period; those referred; median days from raised to referred.",
    "caseload": (
        "Open episodes at the period's end (today, while it runs); median length of stay (days) of the episodes "
        "closed in the period; reviews overdue today (open episodes whose review date has passed)."
    ),
    "data_quality": (
        "Patients on the caseload at the period's end (open episodes) with a verified NHS number (status 01), a "
        "frailty score (Clinical Frailty Scale or eFI) and consent recorded, each as a percentage."
    ),
    "hospital": (
        "For patients first discussed in the period: non-elective admissions and A&E attendances in the 6 months "
        "before the first discussion against the 6 months from it."
    ),
}
