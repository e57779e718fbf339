"""A property test: hostile text posted to the create forms never makes a page, an export or a document fail.

Hypothesis draws text with control characters, line breaks, right-to-left marks, combining accents, emoji
and spreadsheet formulas. Whatever it draws, each create form either saves it (and the list, record page,
CSV, XLSX and the meeting's Word documents then show it back, in NFC) or refuses it with a message on the
form: never a 5xx. SQLite only; LibreOffice is kept out of the loop (python-docx reads the documents).
"""

from __future__ import annotations

import io
import unicodedata

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from models import AgendaItem, Locality, Patient, Role, db
from services import meeting_room
from tests.conftest import USE_POSTGRES, page_text
from tests.meeting_fixtures import build_world

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="the property test runs on SQLite only")

#: What a careless or hostile person might paste: controls, breaks, RTL, combining marks, emoji, formulas.
HOSTILE = st.lists(
    st.sampled_from(
        list("abcXYZ019 '\"<>&;=+-@\t\n\r") + ["\x00", "\x0b", "\x1f", "\x7f", "\u200f", "\u202e", "\u0301", "é",
                                               "مدينة", "😀", "\ufeff", "=HYPERLINK(1)"]
    ),
    min_size=1,
    max_size=12,
).map("".join)  # fmt: skip
EXAMPLES = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _shown_back(text: str) -> str:
    """What a saved value looks like afterwards: NFC, trimmed as the forms store it."""
    return unicodedata.normalize("NFC", text).strip()


def _no_5xx(client, *urls) -> None:
    for url in urls:
        assert client.get(url).status_code < 500, url


@EXAMPLES
@given(name=HOSTILE)
def test_hostile_locality_names_save_or_are_refused_and_every_view_survives(signed_in_lead, name):
    client = signed_in_lead
    response = client.submit("/admin/locality/new/", {"name": name})
    assert response.status_code < 500
    if response.status_code == 302:
        saved = db.session.scalars(db.select(Locality).order_by(Locality.id.desc())).first()
        assert saved.name == _shown_back(name) or saved.name == name.strip()
        _no_5xx(client, "/admin/locality/", f"/admin/locality/details/?id={saved.id}")
    else:
        assert "is-invalid" in page_text(response) or "alert" in page_text(response)
    for kind in ("csv", "xlsx"):
        assert client.get(f"/admin/locality/export/{kind}/").status_code == 200


@EXAMPLES
@given(family=HOSTILE, given_name=HOSTILE)
def test_hostile_patient_names_never_break_lists_exports_or_documents(
    signed_in_lead, meeting_world, family, given_name
):
    client = signed_in_lead
    form = {"given_name": given_name, "family_name": family, "date_of_birth": "1940-02-03", "sex": "unknown"}
    response = client.submit("/admin/patient/new/", form)
    assert response.status_code < 500
    if response.status_code != 302:
        return
    patient = db.session.scalars(db.select(Patient).order_by(Patient.id.desc())).first()
    _no_5xx(client, "/admin/patient/", f"/admin/record/{patient.id}/", f"/admin/patient/details/?id={patient.id}")
    csv = client.get("/admin/patient/export/csv/")
    assert csv.status_code == 200
    xlsx = client.get("/admin/patient/export/xlsx/")
    assert xlsx.status_code == 200
    load_workbook(io.BytesIO(xlsx.data))  # reopens: nothing the spreadsheet cannot hold
    # The patient on a meeting's agenda: every Word document of the meeting still builds and reopens.
    meeting = meeting_world.meeting
    db.session.add(AgendaItem(meeting=meeting, patient_id=patient.id, position=99, outcome=family))
    db.session.commit()
    for kind in ("agenda", "minutes", "action_log"):
        document = client.get(f"/admin/meeting-room/{meeting.id}/document/{kind}")
        assert document.status_code == 200, kind
        Document(io.BytesIO(document.data))
    db.session.delete(db.session.scalars(db.select(AgendaItem).where(AgendaItem.patient_id == patient.id)).one())
    db.session.commit()


@EXAMPLES
@given(summary=HOSTILE)
def test_hostile_minutes_text_is_kept_or_refused_and_the_minutes_still_build(signed_in_lead, meeting_world, summary):
    client = signed_in_lead
    item = meeting_world.item
    response = client.submit(f"/admin/meeting-room/case/{item.id}/draft", {"summary": summary})
    assert response.status_code < 500
    minutes = client.get(f"/admin/meeting-room/{meeting_world.meeting.id}/document/minutes")
    assert minutes.status_code == 200
    Document(io.BytesIO(minutes.data))


@pytest.fixture
def signed_in_lead(signed_in):
    return signed_in(Role.team_lead)


@pytest.fixture
def meeting_world(make_user):
    coordinator = make_user("coordinator")
    world = build_world(coordinator, cases=1, days_ahead=3)
    world.item = meeting_room.add_case_to_agenda(world.meeting, world.episodes[0], coordinator)
    db.session.commit()
    return world
