"""The shared care plan as a Word document: the agencies' copy, and the patient's own, addressed to them in plain
English (without the notes for professionals), in standard or large print."""

from __future__ import annotations

from docx.shared import Pt

from exports import word
from services.care_plan_documents import CarePlanContext

#: The patient's plain-English headings, by field (the agencies' come with the context).
PATIENT_HEADINGS = {
    "about_me": "About you",
    "what_matters": "What matters to you",
    "support_by_agency": "Who is helping you, and how",
    "contingency_plan": "If things get worse, or in a crisis",
    "carers_and_contacts": "Your carers and the people to contact",
    "involved": "The people you chose to involve",
}
#: Large print: the RNIB's clear print guidance asks for 16 point or more; headings larger still.
LARGE_PRINT = {"Normal": 16, "Title": 26, "Heading 1": 22, "Heading 2": 18}
#: The standard print of the patient's copy: a little larger than the agencies' 11 point, for easy reading.
STANDARD_PRINT = {"Normal": 12, "Title": 20, "Heading 1": 16, "Heading 2": 13}


def _print_size(document, sizes: dict[str, int]) -> None:
    for name, size in sizes.items():
        word.font_size(document.styles[name], Pt(size))


def render(context: CarePlanContext, base=None, *, for_patient: bool = False, large_print: bool = False) -> bytes:
    """The plan: who it is for, its version, each section, the goals, the agencies' actions."""
    if for_patient:
        return _render_for_patient(context, base, large_print)
    document = word.new_document(f"Shared care plan: {context.patient}", base)
    word.paragraph(document, context.nhs_number or "Not recorded", "NHS number")
    word.paragraph(document, context.born, "Date of birth")
    word.paragraph(document, context.gp_practice or "Not recorded", "GP practice")
    word.paragraph(document, context.named_gp, "Named GP")
    word.paragraph(document, context.version, "Version")
    if context.agreed:
        word.paragraph(
            document,
            (context.agreed_by or "Not recorded")
            + (f", with {context.agreed_with}" if context.agreed_with else ", with whom not recorded"),
            "Agreed by",
        )
    word.paragraph(document, context.review_on or "Not set", "Review date")
    for name, label in context.headings.items():
        if name == "support_by_agency":
            continue
        word.heading(document, label, 1)
        word.paragraph(document, context.text[name] or "Not recorded")
        if name == "what_matters":
            _goals(document, context)
            _support(document, context, context.headings["support_by_agency"])
    return word.to_bytes(document)


def _goals(document, context: CarePlanContext) -> None:
    word.heading(document, "Goals, in my own words", 1)
    if not context.goals:
        word.paragraph(document, "No goals recorded yet.")
        return
    word.table(
        document,
        ["Goal", "Domain", "Target date", "Status"],
        [[g.description, g.domain, g.target, g.status] for g in context.goals],
        widths=[8, 3, 3, 3],
    )


def _support(document, context: CarePlanContext, title: str) -> None:
    word.heading(document, title, 1)
    if context.text["support_by_agency"]:
        word.paragraph(document, context.text["support_by_agency"])
    if not context.support:
        word.paragraph(document, "No open actions.")
    for agency, lines in context.support.items():
        word.heading(document, agency, 2)
        word.table(
            document,
            ["Action", "Person", "Due", "Status"],
            [[a.description, a.owner_person, a.due, a.status] for a in lines],
            widths=[8, 3.4, 2.8, 2.8],
        )


def _render_for_patient(context: CarePlanContext, base, large_print: bool) -> bytes:
    """Addressed to the person by the name they write, in plain English, and nothing meant only for the
    professionals; large print when asked."""
    document = word.new_document("Your care and support plan", base)
    _print_size(document, LARGE_PRINT if large_print else STANDARD_PRINT)
    word.paragraph(document, context.written_name, "For")
    word.paragraph(
        document,
        "This is the plan you made with the team. It says what matters to you, your goals, and who is helping you. "
        "Everyone who helps you works to the same plan.",
    )
    if context.agreed:
        word.paragraph(
            document, f"This is version {context.number} of your plan. You agreed it on {context.agreed_on}."
        )
    else:
        word.paragraph(document, f"This is version {context.number} of your plan. It is still a draft.")
    word.paragraph(document, context.review_on or "a date we will agree with you", "We will look at it again on")
    for name, heading in PATIENT_HEADINGS.items():
        if name == "support_by_agency":
            continue
        word.heading(document, heading, 1)
        word.paragraph(document, context.text[name] or "Nothing written yet.")
        if name == "what_matters":
            _patient_goals(document, context)
            _patient_support(document, context)
    _who_to_contact(document, context)
    return word.to_bytes(document)


def _patient_goals(document, context: CarePlanContext) -> None:
    """One paragraph a goal, in the print size of the copy (a table's small print would undo large print)."""
    word.heading(document, "Your goals", 1)
    if not context.goals:
        word.paragraph(document, "You have not set any goals yet.")
    for goal in context.goals:
        when = f"By {goal.target}" if goal.target else "No date set"
        word.paragraph(document, f"{goal.description.rstrip('. ')}. {when}. How it is going: {goal.status.lower()}.")


def _patient_support(document, context: CarePlanContext) -> None:
    word.heading(document, PATIENT_HEADINGS["support_by_agency"], 1)
    if context.text["support_by_agency"]:
        word.paragraph(document, context.text["support_by_agency"])
    if not context.support:
        word.paragraph(document, "Nothing is waiting to be done.")
    for agency, lines in context.support.items():
        word.heading(document, agency, 2)
        for line in lines:
            who = f"{line.owner_person} will do this" if line.owner_person else "They will do this"
            word.paragraph(document, f"{line.description.rstrip('. ')}. {who} by {line.due}.")


def _who_to_contact(document, context: CarePlanContext) -> None:
    """Who to ask about the plan: the person who made this copy, with the details they keep."""
    contact = context.contact
    if contact is None:
        return
    word.heading(document, "If you have questions about your plan", 1)
    how = " or ".join(filter(None, [f"phone {contact.phone}" if contact.phone else "",
                                    f"email {contact.secure_email}" if contact.secure_email else ""]))  # fmt: skip
    who = ", ".join(filter(None, [contact.name, contact.role, contact.team]))
    word.paragraph(document, f"Please contact {who}" + (f": {how}." if how else "."))
