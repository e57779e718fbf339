"""No input breaks a page: bad text gets a message, bad numbers name nothing, errors are the app's own pages."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from werkzeug.exceptions import NotFound

from formats.dates import today
from formats.nhs import nhs_number_is_valid
from formats.numbers import record_id
from models import Locality, Role, db, utcnow
from services import meeting_room
from tests.conftest import FORM_TOKEN_INPUT, Client, base_config, page_text
from tests.factories import shown
from tests.meeting_fixtures import build_world

# --- text ------------------------------------------------------------------------------------------------


def test_a_control_character_in_a_name_is_refused_with_a_message(signed_in):
    lead = signed_in(Role.team_lead)
    response = lead.submit("/admin/locality/new/", {"name": "Medway\x0bNorth"})
    assert response.status_code == 200
    assert "Remove the invisible control characters" in shown(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Locality)) == 0


def test_a_line_break_is_refused_in_a_one_line_field_but_kept_in_text(signed_in, create_patient):
    lead = signed_in(Role.team_lead)
    assert "Keep this on one line" in shown(lead.submit("/admin/locality/new/", {"name": "Medway\nNorth"}))
    patient = create_patient()
    note = {"patient": patient.id, "source": "emis", "summary": "First line\nSecond line"}
    assert lead.submit("/admin/collated_note/new/", note).status_code == 302


def test_right_to_left_text_is_kept_and_names_are_stored_in_nfc(signed_in):
    lead = signed_in(Role.team_lead)
    decomposed = "Rene\u0301e \u200fمدينة"  # "é" as e + combining accent, a right-to-left mark and Arabic
    assert lead.submit("/admin/locality/new/", {"name": decomposed}).status_code == 302
    stored = db.session.scalar(db.select(Locality.name))
    assert stored == "Ren\u00e9e \u200fمدينة"


@pytest.mark.parametrize("number", ["999²234560", "９９９１２３４５６０", "99912345 6"])
def test_nhs_numbers_are_ascii_digits_only(number):
    assert nhs_number_is_valid(number.replace(" ", "")) is False


def test_superscript_digits_in_an_nhs_number_get_a_message_not_a_500(signed_in):
    coordinator = signed_in()
    form = {"nhs_number": "999²234560", "given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1940-01-02",
            "sex": "unknown"}  # fmt: skip
    response = coordinator.submit("/admin/patient/new/", form)
    assert response.status_code == 200 and "This is not a valid NHS number" in shown(response)
    search = coordinator.get("/admin/intake/?nhs_number=999%C2%B2234560")
    assert search.status_code == 200 and "not valid" in shown(search)


def test_rows_already_holding_control_characters_still_export(signed_in, create_patient):
    create_patient(family_name="Old\x0bRow")  # stored before the forms refused it
    coordinator = signed_in()
    csv = coordinator.get("/admin/patient/export/csv/")
    assert csv.status_code == 200 and "OldRow" in csv.get_data(as_text=True)
    xlsx = coordinator.get("/admin/patient/export/xlsx/")
    assert xlsx.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows() for c in row]
    assert "OldRow" in cells


def test_a_line_break_in_a_locality_name_does_not_break_its_documents(make_user, signed_in):
    world = build_world(make_user("coordinator"), cases=1)
    world.locality.name = "Medway\nNorth"  # stored before the forms refused it
    db.session.commit()
    coordinator = signed_in()
    response = coordinator.get(f"/admin/meeting-room/{world.meeting.id}/document/agenda")
    assert response.status_code == 200
    assert "ilr-medway-north-" in response.headers["Content-Disposition"]


# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "-1", "0", "1e3", "3000000000", "99999999999999999999", "", None, "12a"])
def test_the_one_id_parser_names_no_record_for_anything_but_a_row_id(value):
    assert record_id(value) is None


def test_the_one_id_parser_reads_plain_ids():
    assert (record_id("42"), record_id(" 7 "), record_id(2**31 - 1)) == (42, 7, 2**31 - 1)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/patient/?page=99999999999999999999",
        "/admin/patient/?page=-5",
        "/admin/patient/?sort=999",
        "/admin/patient/?page_size=10000000",
        "/admin/patient/details/?id=3000000000",
        "/admin/patient/details/?id=%C2%B2",
        "/admin/record/3000000000/",
        "/admin/action/agency-log/docx?organisation=3000000000",
    ],
)
def test_huge_or_strange_numbers_never_answer_500(signed_in, url):
    assert signed_in().get(url).status_code < 500


def test_an_id_in_a_path_beyond_the_integer_range_is_not_found_on_every_route(app, signed_in):
    """Every `<int:...>` route takes ids of the database's range only: PostgreSQL would refuse the query."""
    coordinator = signed_in()
    routes = [r for r in app.url_map.iter_rules() if "<int:" in r.rule and "GET" in r.methods]
    assert len(routes) > 10
    for rule in routes:
        url = re.sub(r"<int:\w+>", str(2**31), rule.rule)
        url = re.sub(r"<(?:string:)?\w+>", "x", url)
        assert coordinator.get(url).status_code == 404, url
    assert coordinator.get(f"/admin/record/{2**31 - 1}/").status_code == 404  # in range: looked up, not there
    # Refused by the routing itself, before any view could send it to the database.
    with pytest.raises(NotFound):
        app.url_map.bind("localhost").match(f"/admin/record/{2**31}/")
    assert app.url_map.bind("localhost").match(f"/admin/record/{2**31 - 1}/")[1] == {"patient_id": 2**31 - 1}


# --- scope holes -------------------------------------------------------------------------------------------


def test_archiving_a_patient_takes_their_actions_out_of_lists_and_exports(signed_in, create_action):
    action = create_action(description="Belongs to an archived patient")
    coordinator = signed_in()
    assert "Belongs to an archived patient" in shown(coordinator.get("/admin/action/"))
    action.patient.archived_at = utcnow()
    db.session.commit()
    assert "Belongs to an archived patient" not in shown(coordinator.get("/admin/action/"))
    assert "Belongs to an archived patient" not in coordinator.get("/admin/action/export/csv/").get_data(as_text=True)
    assert coordinator.get(f"/admin/action/details/?id={action.id}").status_code == 302  # not found


def test_the_meeting_room_refuses_an_episode_from_another_locality(make_user, signed_in, create_episode):
    world = build_world(make_user("coordinator"), cases=1)
    elsewhere = create_episode(locality=Locality(name="Somewhere else"))
    coordinator = signed_in()
    with pytest.raises(Exception, match="not Medway North's"):
        meeting_room.add_case_to_agenda(world.meeting, elsewhere, coordinator.user)
    db.session.rollback()
    coordinator.submit(f"/admin/meeting-room/{world.meeting.id}/add", {"episode_id": [elsewhere.id]})
    db.session.expire_all()
    assert [item.patient_id for item in world.meeting.agenda] == []


def test_a_closed_or_archived_episode_cannot_be_listed(make_user):
    coordinator = make_user("coordinator")
    world = build_world(coordinator, cases=2)
    closed, archived = world.episodes
    closed.closed_on, closed.closure_reason = today(), "goals_met"
    archived.archived_at = utcnow()
    db.session.commit()
    for episode in (closed, archived):
        with pytest.raises(Exception, match="not open to the ILR"):
            meeting_room.add_case_to_agenda(world.meeting, episode, coordinator)
        db.session.rollback()


# --- error pages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_args", "code", "words"),
    [
        (("get", "/admin/user/"), 403, "Not available to your account"),
        (("get", "/admin/no-such-page/"), 404, "Not found"),
        (("get", "/logout"), 405, "That cannot be done from here"),
        (("post", "/login"), 400, "That request could not be read"),
    ],
)
def test_errors_are_pages_in_the_apps_layout(signed_in, request_args, code, words):
    client = signed_in()
    method, url = request_args
    response = getattr(client.http, method)(url)
    assert response.status_code == code
    page = page_text(response)
    assert words in page and "ILR Coordinator" in page and "Werkzeug" not in page


def test_an_oversized_post_is_a_413_page(app, signed_in):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = signed_in().submit("/admin/intake/", {"reason": "x" * 5000})
    assert response.status_code == 413 and "Too large" in page_text(response)


def test_an_unexpected_failure_is_a_plain_500_page(app, another_app, make_user, create_patient, monkeypatch):
    live = another_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {"TESTING": False})
    user, patient = make_user(), create_patient()
    monkeypatch.setattr("admin.patient_record.timeline", lambda patient: 1 / 0)
    client = Client(live.test_client())
    client.sign_in(user)
    response = client.get(f"/admin/record/{patient.id}/")
    assert response.status_code == 500
    page = page_text(response)
    assert "Something went wrong" in page and "ZeroDivisionError" not in page and "Traceback" not in page


# --- double submits ------------------------------------------------------------------------------------------


def _token(client, url: str) -> str:
    return FORM_TOKEN_INPUT.search(page_text(client.get(url))).group(1)


def test_the_same_create_form_posted_twice_makes_one_row_and_says_so(signed_in):
    lead = signed_in(Role.team_lead)
    form = {"name": "Medway East", "form_token": _token(lead, "/admin/locality/new/")}
    assert lead.submit("/admin/locality/new/", form).status_code == 302
    again = lead.submit("/admin/locality/new/", form)
    assert again.status_code == 302 and "/admin/locality/details/" in again.headers["Location"]  # the first's record
    assert db.session.scalar(db.select(db.func.count()).select_from(Locality)) == 1


def test_a_refused_save_does_not_use_up_its_token(signed_in, create_locality):
    create_locality(name="Taken")
    lead = signed_in(Role.team_lead)
    token = _token(lead, "/admin/locality/new/")
    refused = lead.submit("/admin/locality/new/", {"name": "Taken", "form_token": token})
    assert refused.status_code == 200  # "Another locality already has this name."
    assert lead.submit("/admin/locality/new/", {"name": "Free", "form_token": token}).status_code == 302


def test_a_create_form_without_its_token_is_refused_as_out_of_date(signed_in):
    lead = signed_in(Role.team_lead)
    response = lead.http.post("/admin/locality/new/", data={"name": "No token", "csrf_token": lead.csrf_token()})
    assert "This form is out of date" in shown(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Locality)) == 0


def test_a_whole_number_filter_past_the_integer_range_is_refused_with_a_message(signed_in):
    lead = signed_in(Role.team_lead)
    response = lead.get("/admin/patient/?flt0_clinical_frailty_scale_equals=3000000000")
    assert response.status_code == 200 and "is not a whole number a record could have" in shown(response)


@pytest.mark.parametrize(
    "url, message",
    [
        ("/admin/kpis/?locality=%C2%B2", "Choose a locality from the list."),
        ("/admin/kpis/?locality=99999999999", "Choose a locality from the list."),
        ("/admin/kpis/?practice=%C2%B2", "Choose a gp practice from the list."),
        ("/admin/caseload/?coordinator=%C2%B2", "Choose a coordinator from the list"),
        ("/admin/caseload/?coordinator=99999999999", "Choose a coordinator from the list"),
        ("/admin/caseload/?locality=%C2%B2", "Choose a locality from the list"),
        ("/admin/caseload/?locality=99999999999", "Choose a locality from the list"),
    ],
)
def test_a_filter_that_names_no_record_shows_the_page_with_a_message(signed_in, url, message):
    """ "²".isdigit() is true and int("²") raises; 99999999999 is past PostgreSQL's integer: neither reaches the
    database, and the page says what to do."""
    response = signed_in(Role.team_lead).get(url)
    assert response.status_code == 200 and message in shown(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/record/99999999999/",
        "/admin/care-plan/99999999999/",
        "/admin/meeting-room/99999999999/",
        "/admin/scheduling/meetings/99999999999/",
        "/admin/caseload/close/99999999999/",
        "/admin/patient/details/?id=99999999999",
        "/admin/patient/details/?id=%C2%B2",
    ],
)
def test_an_id_past_the_integer_range_names_nothing(signed_in, url):
    response = signed_in(Role.team_lead).get(url)
    assert response.status_code in (302, 404)
    assert response.status_code == 404 or "/admin/patient/" in response.headers["Location"]
