"""The shared care plan as a Word document: the agencies' copy, and the patient's own in plain English and large
print (without the notes for professionals)."""

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
#: Large print: the RNIB's clear print guidance asks for 16 point or more.
LARGE_PRINT = Pt(16)


def _large_print(document) -> None:
    document.styles["Normal"].font.size = LARGE_PRINT
    for name, size in (("Title", 26), ("Heading 1", 22), ("Heading 2", 18)):
        document.styles[name].font.size = Pt(size)


def render(context: CarePlanContext, base=None, *, for_patient: bool = False) -> bytes:
    """The plan: who it is for, its version, each section, the goals, the agencies' actions."""
    if for_patient:
        return _render_for_patient(context, base)
    document = word.new_document(f"Shared care plan: {context.patient}", base)
    word.paragraph(document, context.nhs_number or "Not recorded", "NHS number")
    word.paragraph(document, context.born, "Date of birth")
    word.paragraph(document, context.gp_practice or "Not recorded", "GP practice")
    word.paragraph(document, context.version, "Version")
    if context.agreed:
        word.paragraph(
            document,
            f"{context.agreed_by}, "
            + (f"with {context.agreed_with}" if context.agreed_with else "with whom not recorded"),
            "Agreed by",
        )
    word.paragraph(document, context.review_on or "Not set", "Review date")
    for name, label in context.headings.items():
        if name == "support_by_agency":
            continue
        word.heading(document, label, 1)
        word.paragraph(document, context.text[name] or "Not recorded")
        if name == "what_matters":
            _goals(document, context, "Goals, in my own words")
            _support(document, context, context.headings["support_by_agency"])
    return word.to_bytes(document)


def _goals(document, context: CarePlanContext, title: str) -> None:
    word.heading(document, title, 1)
    if not context.goals:
        word.paragraph(document, "No goals recorded yet.")
        return
    word.table(
        document,
        ["Goal", "Domain", "Target date", "Status"],
        [[g.description, g.domain, g.target, g.status] for g in context.goals],
        widths=[8, 3, 3, 3],
    )


def _support(document, context: CarePlanContext, title: str, plain: bool = False) -> None:
    word.heading(document, title, 1)
    if context.text["support_by_agency"]:
        word.paragraph(document, context.text["support_by_agency"])
    if not context.support:
        word.paragraph(document, "No open actions." if not plain else "Nothing is waiting to be done.")
    for agency, lines in context.support.items():
        word.heading(document, agency, 2)
        if plain:
            for line in lines:
                word.paragraph(document, f"{line.description} (by {line.due})")
        else:
            word.table(
                document,
                ["Action", "Person", "Due", "Status"],
                [[a.description, a.owner_person, a.due, a.status] for a in lines],
                widths=[8, 3.4, 2.8, 2.8],
            )


def _render_for_patient(context: CarePlanContext, base) -> bytes:
    """Plain English, large print, and nothing meant only for the professionals."""
    document = word.new_document(f"Your care plan, {context.patient}", base)
    _large_print(document)
    word.paragraph(
        document,
        "This is the plan you made with the team. It says what matters to you and who is helping. "
        "Everyone who helps you works to the same plan.",
    )
    word.paragraph(document, context.version, "This plan")
    word.paragraph(document, context.review_on or "to be agreed", "We will look at it again on")
    for name, heading in PATIENT_HEADINGS.items():
        if name == "support_by_agency":
            continue
        word.heading(document, heading, 1)
        word.paragraph(document, context.text[name] or "Nothing written yet.")
        if name == "what_matters":
            _goals(document, context, "Your goals")
            _support(document, context, PATIENT_HEADINGS["support_by_agency"], plain=True)
    return word.to_bytes(document)
