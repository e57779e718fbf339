"""The app's own words: counts and files said in words, Flask-Admin's sentences in ours, pickers that say what to type
and show who is who, pick-lists where the values are known."""

from __future__ import annotations

import io

import docx
import pytest

from admin.words import own_gettext, own_ngettext, own_words
from formats.words import describe_file, file_summary, plural
from models import Locality, OrganisationType, Role, db
from services.outbox import purpose_label
from tests.factories import shown


@pytest.mark.parametrize(
    ("count", "word", "said"),
    [(1, "case", "1 case"), (3, "case", "3 cases"), (0, "case", "0 cases"), (1, "weekly meeting", "1 weekly meeting"),
     (2, "weekly meeting", "2 weekly meetings"), (612, "day", "612 days"), (2, "agency", "2 agencies"),
     (1200, "entry", "1,200 entries"), (2, "follow-up", "2 follow-ups")],
)  # fmt: skip
def test_counts_are_said_in_words(count, word, said):
    assert plural(count, word) == said


def test_a_file_is_described_by_its_kind_and_size():
    document = docx.Document()
    document.add_paragraph("Minutes")
    out = io.BytesIO()
    document.save(out)
    content = out.getvalue()
    summary = file_summary(content)
    assert summary["file"] == "a Word document" and summary["bytes"] == len(content)
    assert describe_file(summary) == f"a Word document, {round(len(content) / 1000)} KB"
    assert describe_file(file_summary(b"%PDF-1.7 ...")) == "a PDF, 12 bytes"


def test_flask_admins_sentences_are_said_in_ours():
    assert own_gettext("Save and Add Another") == "Save, then add another"
    assert own_gettext("Sort by %(name)s", name="Received") == "Sort by Received"  # not ours to change: passed on
    assert own_ngettext("25 item", "25 items", 25) == "25 per page"
    assert own_words("Record was successfully created.") == "Saved."
    assert own_words("Invalid Filter Value: Ashdown") == "“Ashdown” is not a value this filter can take."
    assert own_words("Referral recorded for ASHDOWN, Margaret.") == "Referral recorded for ASHDOWN, Margaret."


def test_an_emails_kind_is_said_in_words():
    assert purpose_label("gp_feedback") == "Letter to the GP" and purpose_label("action_log") == "Action log"


def test_the_patient_picker_says_what_to_type_and_shows_who_is_who(signed_in, create_patient, make_org):
    northdown = Locality(name="Northdown")
    db.session.add(northdown)
    practice = make_org(name="Castle Surgery", type=OrganisationType.gp_practice, locality=northdown)
    create_patient(given_name="Margaret", family_name="Ashdown", nhs_number="9997771230", gp_practice=practice)
    create_patient(given_name="Ada", family_name="Lovelace")
    coordinator = signed_in(Role.coordinator)
    assert "Type a surname or NHS number" in shown(coordinator.get("/admin/referral/new/"))
    for typed in ("ashd", "999 777", "ASHDOWN, Marg"):
        found = coordinator.get(f"/admin/referral/ajax/lookup/?name=patient&query={typed}").get_json()
        assert [label for _, label in found] == ["ASHDOWN, Margaret · 999 777 1230 · Northdown"], typed


def test_the_action_lists_agency_is_chosen_from_a_list(signed_in, make_org):
    make_org(name="Medway Council")
    page = shown(signed_in(Role.coordinator).get("/admin/action/"))
    assert '"Agency": [{"arg": "agency_is"' in page and '"Medway Council"]' in page
