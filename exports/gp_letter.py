"""The GP's outcome letter: addressed to the named GP (else the practice), a subject line naming the patient, the
referrer's question answered, what was discussed and decided, the actions and who owns them, the onward referrals and
signposting, the care plan's state, and the signature of the person who generated it."""

from __future__ import annotations

from exports import word
from exports.minutes import onward_tables
from services.care_plan_documents import GpLetterContext


def render(context: GpLetterContext, base=None) -> bytes:
    plan = context.plan
    document = word.new_document("Integrated Locality Review: outcome letter", base)
    addressee = [context.addressee, context.practice, *context.practice_address]
    word.paragraph(document, "\n".join(line for line in addressee if line) or "The patient's GP")
    word.paragraph(document, context.date)
    word.paragraph(document, f"Dear {context.dear},")
    subject = word.paragraph(document, "")
    word.write(subject, f"Re: {context.subject}", bold=True)
    word.direct(subject)
    if plan.address:
        word.paragraph(document, plan.address, "Address")
    word.paragraph(
        document,
        # The sentence starts in English whatever the name's script: a right-to-left name first would turn it round.
        f"We discussed {plan.written_name} at the {context.meeting or 'Integrated Locality Review'}. "
        "This letter answers the question asked of the ILR and sets out what was agreed.",
    )
    _decided(document, context)
    word.heading(document, "The shared care plan", 1)
    word.paragraph(document, _plan_state(context))
    word.paragraph(document, "Please discuss the recommendations with the patient.")
    word.paragraph(document, "\n".join(["Yours sincerely,", "", *context.signatory.lines]))
    return word.to_bytes(document)


def _decided(document, context: GpLetterContext) -> None:
    """The question, what was discussed, the answer and decisions, actions, and the referrals made onward."""
    word.heading(document, "The question for the ILR", 1)
    asked = context.question or "Not recorded"
    word.paragraph(document, asked + (f" (asked by {context.referrer})" if context.referrer else ""))
    word.heading(document, "What was discussed", 1)
    word.paragraph(document, context.discussion or "Not recorded")
    word.heading(document, "The meeting's answer", 1)
    word.paragraph(document, context.outcome or "Not recorded")
    word.heading(document, "Decisions", 1)
    word.paragraph(document, context.decisions or "No decisions were recorded beyond the actions below.")
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
    word.heading(document, "Onward referrals and signposting", 1)
    if context.onward:
        onward_tables(document, context.onward, level=2)
    else:
        word.paragraph(document, "No onward referrals or signposting were made.")


def _plan_state(context: GpLetterContext) -> str:
    """ "The shared care plan, version 2, agreed on 12/06/2026 with the patient, is attached; it is due for review on
    ..." (a draft is never sent, but a letter downloaded for one says so)."""
    plan = context.plan
    if plan.agreed:
        state = f"version {plan.number}, agreed on {plan.agreed_on}" + (
            f" with {plan.agreed_with}" if plan.agreed_with else ""
        )
        text = f"The shared care plan, {state}, is attached."
    else:
        text = f"The shared care plan is a draft (version {plan.number}): it has not been agreed yet."
    return text + (f" It is due for review on {plan.review_on}." if plan.review_on else "")
