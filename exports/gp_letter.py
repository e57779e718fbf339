"""The GP's outcome letter: the referrer's question answered, what was discussed, the recommendations, the actions
and who owns them, and the care-plan version attached."""

from __future__ import annotations

from exports import word
from services.care_plan_documents import GpLetterContext


def render(context: GpLetterContext, base=None) -> bytes:
    plan = context.plan
    document = word.new_document(f"Integrated Locality Review: outcome for {plan.patient}", base)
    addressee = [context.dear if context.dear != "Doctor" else "The GP", context.practice, *context.practice_address]
    word.paragraph(document, "\n".join(line for line in addressee if line))
    word.paragraph(document, context.date, "Date")
    word.paragraph(document, f"{plan.patient}, NHS number {plan.nhs_number or 'not recorded'}, born {plan.born}", "Re")
    if plan.address:
        word.paragraph(document, plan.address, "Address")
    word.paragraph(document, f"Dear {context.dear},")
    word.paragraph(
        document,
        f"{plan.patient} was discussed at the {context.meeting or 'Integrated Locality Review'}. "
        "This letter answers the question asked of the ILR and sets out what was agreed.",
    )
    word.heading(document, "The question for the ILR", 1)
    asked = context.question or "Not recorded"
    word.paragraph(document, asked + (f" (asked by {context.referrer})" if context.referrer else ""))
    word.heading(document, "What was discussed", 1)
    word.paragraph(document, context.discussion or "Not recorded")
    word.heading(document, "Recommendations", 1)
    word.paragraph(document, context.recommendations or "Not recorded")
    word.heading(document, "Actions and who owns them", 1)
    if context.actions:
        word.table(
            document,
            ["Action", "Owner", "Person", "Due", "Status"],
            [[a.description, a.owner_organisation, a.owner_person, a.due, a.status] for a in context.actions],
            widths=[6, 3.4, 2.8, 2.4, 2.4],
        )
    else:
        word.paragraph(document, "No open actions.")
    word.heading(document, "The shared care plan", 1)
    word.paragraph(
        document,
        f"The shared care plan, version {plan.number}"
        + (
            f", agreed on {plan.agreed_on}" + (f" with {plan.agreed_with}" if plan.agreed_with else "")
            if plan.agreed
            else ""
        )
        + ", is attached. Please discuss the recommendations with the patient.",
    )
    word.paragraph(document, "Yours sincerely,\n\nILR Coordinator\nIntegrated Locality Review team")
    return word.to_bytes(document)
