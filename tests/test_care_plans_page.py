"""The care-plan page (issue 12): agreed versions frozen by form, code and SQL; a new draft is a copy; the
stale-save refusal; the comparison; the documents read back; the send to the GP; the letterhead upload."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import date

import docx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import (
    Action,
    CarePlan,
    CarePlanShare,
    CarePlanState,
    DomainError,
    EmailStatus,
    GeneratedDocument,
    Goal,
    GoalDomain,
    GoalStatus,
    OrganisationType,
    OutboxEmail,
    db,
)
from services import care_plans, documents
from services.outbox import build_message
from tests.conftest import page_text, require_tool


@pytest.fixture
def practice(make_org):
    return make_org(
        name="Riverside Surgery", type=OrganisationType.gp_practice, secure_email="riverside.surgery@nhs.net",
        postal_address="1 River Street\nRochester\nME1 1AA",
    )  # fmt: skip


@pytest.fixture
def draft(create_patient, practice, make_user):
    """A draft with two goals for a patient of the practice, with an open action by another agency."""
    patient = create_patient(gp_practice=practice, named_gp="Dr Ruth Okafor")
    coordinator = make_user()
    plan = care_plans.start_new_draft(CarePlan(patient=patient), coordinator)
    care_plans.save_draft(plan, {"about_me": "I was a nurse", "what_matters": "Staying at home",
                                 "contingency_plan": "Call my daughter", "carers_and_contacts": "Jo (daughter)",
                                 "involved": "Jo", "notes_for_professionals": "Hard of hearing: face her"},
                          coordinator)  # fmt: skip
    care_plans.add_goal(plan, "Walk to the shop", GoalDomain.functional, date(2027, 3, 1), coordinator)
    care_plans.add_goal(plan, "See my friends", GoalDomain.social, None, coordinator)
    council = db.session.get(type(practice), practice.id)
    db.session.add(Action(patient=patient, description="Fit a grab rail", owner_organisation=council,
                          due_on=date(2027, 1, 10)))  # fmt: skip
    db.session.commit()
    plan.coordinator = coordinator
    return plan


def _agree(plan):
    care_plans.agree_care_plan(plan, plan.coordinator, agreed_with="the patient and Jo (daughter)")
    db.session.commit()
    return plan


# --- freezing -----------------------------------------------------------------------------------


def test_agreeing_records_who_when_and_with_whom(draft):
    plan = _agree(draft)
    assert plan.state == CarePlanState.agreed and plan.agreed_on is not None
    assert plan.agreed_by.id == draft.coordinator.id and plan.agreed_with == "the patient and Jo (daughter)"


def test_an_agreed_plan_cannot_change_by_code(draft):
    plan = _agree(draft)
    plan.about_me = "changed"
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    plan.goals[0].target_on = date(2030, 1, 1)
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DomainError):
        care_plans.save_draft(plan, {"about_me": "x"}, plan.coordinator)
    with pytest.raises(DomainError):
        care_plans.edit_goal(plan.goals[0], "x", GoalDomain.social, None, None, plan.coordinator)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE care_plan SET about_me = 'x' WHERE id = :plan",
        "UPDATE care_plan SET notes_for_professionals = 'x' WHERE id = :plan",
        "UPDATE care_plan SET agreed_with = NULL WHERE id = :plan",
        "UPDATE care_plan SET state = 'draft' WHERE id = :plan",
        "UPDATE care_plan SET review_on = '2030-01-01' WHERE id = :plan",
        "DELETE FROM care_plan WHERE id = :plan",
        "UPDATE goal SET description = 'x' WHERE care_plan_id = :plan",
        "UPDATE goal SET domain = 'social' WHERE care_plan_id = :plan",
        "UPDATE goal SET target_on = '2030-01-01' WHERE care_plan_id = :plan",
        "UPDATE goal SET status = 'achieved' WHERE care_plan_id = :plan",
        "UPDATE goal SET position = 9 WHERE care_plan_id = :plan",
        "DELETE FROM goal WHERE care_plan_id = :plan",
    ],
)
def test_an_agreed_plan_cannot_change_by_sql(draft, sql):
    """The database's own triggers refuse it (SQLite here; PostgreSQL when the suite runs on it)."""
    plan = _agree(draft)
    with pytest.raises(DatabaseError, match="agreed care plan"):
        db.session.execute(text(sql), {"plan": plan.id})
    db.session.rollback()


def test_lifecycle_columns_still_change_on_an_agreed_plan(draft):
    plan = _agree(draft)
    sql = "UPDATE care_plan SET archived_at = CURRENT_TIMESTAMP, version = version + 1 WHERE id = :p"
    db.session.execute(text(sql), {"p": plan.id})
    db.session.commit()


def test_a_draft_still_changes_by_sql(draft):
    db.session.execute(text("UPDATE goal SET description = 'y' WHERE care_plan_id = :p"), {"p": draft.id})
    db.session.commit()


def test_progress_on_an_agreed_goal_is_a_dated_update(draft):
    plan = _agree(draft)
    goal = plan.goals[0]
    care_plans.record_goal_update(goal, GoalStatus.in_progress, date(2026, 1, 5), "Walks to the gate", plan.coordinator)
    care_plans.record_goal_update(goal, GoalStatus.achieved, None, "Walked to the shop", plan.coordinator)
    db.session.commit()
    assert goal.status == GoalStatus.proposed  # as agreed
    assert goal.current_status == GoalStatus.achieved and len(goal.updates) == 2


# --- new drafts and comparison --------------------------------------------------------------------


def test_editing_an_agreed_plan_starts_a_draft_copied_from_it(draft):
    plan = _agree(draft)
    care_plans.record_goal_update(plan.goals[0], GoalStatus.in_progress, None, None, plan.coordinator)
    new = care_plans.draft_for(plan.patient, plan.coordinator)
    db.session.commit()
    assert new.number == 2 and new.state == CarePlanState.draft and new.id != plan.id
    assert [(g.description, g.domain, g.target_on) for g in new.goals] == [
        (g.description, g.domain, g.target_on) for g in plan.goals
    ]
    assert new.goals[0].status == GoalStatus.in_progress
    assert all(getattr(new, f) == getattr(plan, f) for f in care_plans.PLAN_FIELDS)
    assert care_plans.draft_for(plan.patient, plan.coordinator).id == new.id  # one draft at a time


def test_two_versions_compared_with_what_changed_marked(draft, signed_in):
    plan = _agree(draft)
    new = care_plans.draft_for(plan.patient, plan.coordinator)
    care_plans.save_draft(new, {"what_matters": "Staying at home with my cat"}, plan.coordinator)
    care_plans.add_goal(new, "Go to church", GoalDomain.social, None, plan.coordinator)
    db.session.commit()
    rows = {r.label: r for r in care_plans.compare(plan, new)}
    assert rows["What matters to me"].changed and not rows["About me"].changed
    assert rows["Goal: Go to church"].before == "(not in this version)"
    client = signed_in()
    page = client.get(f"/admin/care-plan/{plan.patient_id}/compare?a=1&b=2")
    assert page.status_code == 200
    assert "<ins>Staying at home with my cat</ins>" in page_text(page) and "table-warning" in page_text(page)


# --- the page: autosave and its stale-save refusal ------------------------------------------------


def test_stale_autosave_from_a_second_client_is_refused_and_keeps_both_texts(draft, signed_in):
    first, second = signed_in(), signed_in()
    url = f"/admin/care-plan/plan/{draft.id}/draft"
    version = draft.version
    ok = first.submit(url, {"about_me": "First's words", "expected_version": version})
    assert ok.status_code == 200 and ok.json["saved"] is True
    stale = second.submit(url, {"about_me": "Second's words", "expected_version": version})
    assert stale.status_code == 409 and stale.json["conflict"] is True
    assert stale.json["theirs"]["about_me"] == "First's words"
    db.session.expire_all()
    assert db.session.get(CarePlan, draft.id).about_me == "First's words"


def test_the_page_shows_the_plan_and_agreeing_freezes_it_by_form(draft, signed_in):
    client = signed_in()
    page = page_text(client.get(f"/admin/care-plan/{draft.patient_id}/"))
    for shown in ("About me", "Walk to the shop", "Fit a grab rail", "Riverside Surgery", "Agree version 1"):
        assert shown in page
    client.submit(f"/admin/care-plan/plan/{draft.id}/agree", {"agreed_with": "the patient"})
    db.session.expire_all()
    assert db.session.get(CarePlan, draft.id).state == CarePlanState.agreed
    refused = client.submit(f"/admin/care-plan/plan/{draft.id}/draft", {"about_me": "x"})
    assert refused.status_code == 400 and "agreed" in refused.json["message"]
    client.submit(f"/admin/care-plan/goal/{draft.goals[0].id}/edit", {"description": "x", "domain": "social"})
    db.session.expire_all()
    assert db.session.get(Goal, draft.goals[0].id).description == "Walk to the shop"


# --- documents ---------------------------------------------------------------------------------


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.documents
def test_the_plan_and_the_patients_copy_read_back(draft):
    plan = _agree(draft)
    agencies = documents.generate_care_plan(plan, plan.coordinator)
    mine = documents.generate_care_plan(plan, plan.coordinator, for_patient=True)
    agencies_text, mine_text = _text(agencies.content), _text(mine.content)
    for value in ("I was a nurse", "Staying at home", "Call my daughter", "Jo (daughter)", "Walk to the shop",
                  "Functional", "01/03/2027", "Proposed", "Fit a grab rail", "Riverside Surgery", "Version 1, agreed",
                  "the patient and Jo (daughter)", "Hard of hearing: face her"):  # fmt: skip
        assert value in agencies_text, value
    assert "Hard of hearing" not in mine_text and "Notes for professionals" not in mine_text
    assert "Your goals" in mine_text and "What matters to you" in mine_text
    large = documents.generate_care_plan(plan, plan.coordinator, for_patient=True, large_print=True)
    assert docx.Document(io.BytesIO(mine.content)).styles["Normal"].font.size.pt == 12
    assert docx.Document(io.BytesIO(large.content)).styles["Normal"].font.size.pt >= 16
    assert _text(large.content) == mine_text and large.filename.endswith("-patient-copy-large-print.docx")
    assert sorted(r.kind.value for r in db.session.scalars(db.select(GeneratedDocument))) == [
        "care_plan",
        "care_plan_patient",
        "care_plan_patient",
    ]


@pytest.mark.documents
def test_the_gp_letter_reads_back_and_libreoffice_converts_it(draft, tmp_path):
    plan = _agree(draft)
    letter = documents.generate_gp_letter(plan, plan.coordinator)
    content = _text(letter.content)
    for value in ("Dr Ruth Okafor", "Riverside Surgery", "1 River Street", "ME1 1AA", "The question for the ILR",
                  "What was discussed", "The meeting's answer", "Fit a grab rail", "version 1"):  # fmt: skip
        assert value in content, value
    require_tool("soffice", "LibreOffice")
    require_tool("pdftotext", "poppler-utils")
    source = tmp_path / "letter.docx"
    source.write_bytes(letter.content)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)  # fmt: skip
    pdf = subprocess.run(["pdftotext", str(tmp_path / "letter.pdf"), "-"], check=True, capture_output=True, text=True)
    assert "Riverside Surgery" in pdf.stdout and "Fit a grab rail" in pdf.stdout


# --- sending to the GP ---------------------------------------------------------------------------


def test_the_send_makes_one_email_with_two_attachments_and_one_share(draft, signed_in):
    plan = _agree(draft)
    client = signed_in()
    client.submit(f"/admin/care-plan/{plan.patient_id}/send-to-gp", {})
    emails = db.session.scalars(db.select(OutboxEmail)).all()
    assert len(emails) == 1 and emails[0].to_address == "riverside.surgery@nhs.net"
    assert len(emails[0].documents) == 2
    message = build_message(emails[0], "ilr@nhs.net")
    names = [part.get_filename() for part in message.iter_attachments()]
    assert len(names) == 2 and any("gp-letter" in n for n in names) and any("care-plan" in n for n in names)
    shares = db.session.scalars(db.select(CarePlanShare)).all()
    assert len(shares) == 1 and shares[0].outbox_email_id == emails[0].id
    record = page_text(client.get(f"/admin/record/{plan.patient_id}/"))
    assert "queued in the outbox" in record
    emails[0].status, emails[0].sent_at = EmailStatus.sent, db.func.now()
    db.session.commit()
    assert "sent to the GP on" in page_text(client.get(f"/admin/record/{plan.patient_id}/"))


def test_a_draft_is_never_sent(draft):
    assert "agreed" in documents.gp_send_barrier(draft)
    with pytest.raises(DomainError):
        documents.send_to_gp(draft, draft.coordinator)


@pytest.mark.parametrize("barrier", ["died", "withdrawn", "insecure", "no address"])
def test_the_send_is_refused_with_the_reason(draft, signed_in, barrier):
    plan = _agree(draft)
    patient, practice = plan.patient, plan.patient.gp_practice
    if barrier == "died":
        patient.date_of_death = date(2026, 1, 1)
    elif barrier == "withdrawn":
        patient.consent_withdrawn_on = date(2026, 1, 1)
    elif barrier == "insecure":
        practice.secure_email = "surgery@gmail.com"
    else:
        practice.secure_email = None
    db.session.commit()
    client = signed_in()
    page = page_text(client.submit(f"/admin/care-plan/{plan.patient_id}/send-to-gp", {}, follow_redirects=True))
    assert ("Nothing is sent" in page) if barrier in ("died", "withdrawn") else ("no secure email address" in page)
    assert db.session.scalar(db.select(db.func.count(OutboxEmail.id))) == 0
    assert db.session.scalar(db.select(db.func.count(CarePlanShare.id))) == 0


# --- the letterhead -------------------------------------------------------------------------------


def _docx_bytes(header: str) -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_an_uploaded_letterhead_is_used_by_every_document(draft, signed_in):
    lead = signed_in("team_lead")
    answer = lead.submit("/admin/letterhead/", {"document": (io.BytesIO(_docx_bytes("Medway ILR team")), "lh.docx")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302
    made = documents.generate_care_plan(_agree(draft), draft.coordinator)
    assert docx.Document(io.BytesIO(made.content)).sections[0].header.paragraphs[0].text == "Medway ILR team"


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("upload", "message"),
    [(b"not a word document", "not a Word document"), ("bomb", "far more than a letterhead")],
)
def test_a_hostile_letterhead_is_refused_on_a_page_in_the_layout(signed_in, upload, message):
    lead = signed_in("team_lead")
    content = _zip_bomb() if upload == "bomb" else upload
    page = lead.submit("/admin/letterhead/", {"document": (io.BytesIO(content), "x.docx")},
                       content_type="multipart/form-data")  # fmt: skip
    assert page.status_code == 200 and message in page_text(page) and "navbar" in page_text(page)


def test_a_50_mb_letterhead_gets_the_apps_413_page(signed_in):
    lead = signed_in("team_lead")
    # The body encoded here, in memory: the test client would spool it to a temporary file that nobody closes
    # when the app refuses it unread.
    boundary, body = encode_multipart(
        {"csrf_token": lead.csrf_token(), "document": FileStorage(io.BytesIO(b"0" * (50 * 1024 * 1024)), "big.docx")}
    )
    page = lead.http.post("/admin/letterhead/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert page.status_code == 413 and "navbar" in page_text(page)
