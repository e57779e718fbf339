"""The secured base view: CSRF, row scope, plain error messages, safe capped exports, headers."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

import admin.base
from exports.spreadsheets import neutralise_formula, workbook_of_sheets
from formats.dates import today
from models import ActionStatus, AuditAction, AuditEntry, Organisation, db, utcnow
from tests.conftest import page_text
from tests.factories import shown


@pytest.fixture
def changed_view(app, monkeypatch):
    """`changed_view(endpoint, **attributes)`: an admin view with attributes of its own for this test, its caches
    rebuilt then and again afterwards (the app is shared by the whole run)."""
    changed = []

    def change(endpoint: str, **attributes):
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == endpoint)
        for name, value in attributes.items():
            monkeypatch.setattr(view, name, value, raising=False)
        view._refresh_cache()
        changed.append(view)
        return view

    yield change
    monkeypatch.undo()
    for view in changed:
        view._refresh_cache()


# --- CSRF --------------------------------------------------------------------------------------


def test_admin_create_form_needs_csrf(signed_in):
    lead = signed_in("team_lead")
    response = lead.http.post("/admin/organisation/new/", data={"name": "No token", "type": "other"})
    assert response.status_code == 400
    assert db.session.scalars(db.select(Organisation).where(Organisation.name == "No token")).first() is None
    ok = lead.submit("/admin/organisation/new/", {"name": "With token", "type": "other"})
    assert ok.status_code == 302
    assert db.session.scalars(db.select(Organisation).where(Organisation.name == "With token")).first() is not None


def test_admin_forms_render_a_csrf_token(signed_in, make_org):
    lead = signed_in("team_lead")
    org = make_org()
    for url in ["/admin/organisation/new/", f"/admin/organisation/edit/?id={org.id}", "/admin/organisation/"]:
        assert 'name="csrf_token"' in page_text(lead.get(url)), url


def test_bulk_action_needs_csrf(signed_in, make_org):
    lead = signed_in("team_lead")
    org = make_org()
    refused = lead.http.post("/admin/organisation/action/", data={"action": "archive", "rowid": org.id})
    assert refused.status_code == 400
    assert db.session.get(Organisation, org.id).archived_at is None
    lead.submit("/admin/organisation/action/", {"action": "archive", "rowid": org.id})
    assert db.session.get(Organisation, org.id).archived_at is not None


def test_inline_edit_needs_csrf(changed_view, signed_in, make_org):
    org = make_org(name="Before")
    changed_view("organisation", column_editable_list=["name"])
    lead = signed_in("team_lead")
    data = {"list_form_pk": org.id, "name": "After"}
    assert lead.http.post("/admin/organisation/ajax/update/", data=data).status_code == 400
    assert db.session.get(Organisation, org.id).name == "Before"
    assert lead.submit("/admin/organisation/ajax/update/", data).status_code == 200
    assert db.session.get(Organisation, org.id).name == "After"


# --- row scope: get_one and look-ups follow the list -------------------------------------------


def test_archived_row_is_out_of_reach_by_id_for_a_coordinator(signed_in, make_org):
    archived = make_org(name="Hidden Archived Org", archived_at=utcnow())
    coordinator = signed_in("coordinator")
    assert "Hidden Archived Org" not in page_text(coordinator.get("/admin/organisation/"))
    for url in [f"/admin/organisation/details/?id={archived.id}", f"/admin/organisation/edit/?id={archived.id}"]:
        response = coordinator.get(url)
        assert response.status_code == 302, url
        assert "Hidden Archived Org" not in page_text(coordinator.get(response.headers["Location"]))
    response = coordinator.submit(f"/admin/organisation/edit/?id={archived.id}", {"name": "Renamed", "type": "other"})
    assert db.session.get(Organisation, archived.id).name == "Hidden Archived Org"


def test_team_lead_sees_and_restores_archived_rows(signed_in, make_org):
    archived = make_org(name="Old Practice", archived_at=utcnow())
    lead = signed_in("team_lead")
    assert "Old Practice" not in page_text(lead.get("/admin/organisation/"))
    listing = page_text(lead.get("/admin/organisation/?archived=1"))
    assert "Old Practice" in listing and "Restore" in listing
    assert lead.get(f"/admin/organisation/details/?id={archived.id}").status_code == 200
    lead.submit("/admin/organisation/action/", {"action": "restore", "rowid": archived.id})
    assert db.session.get(Organisation, archived.id).archived_at is None


def test_coordinator_cannot_ask_for_archived_rows(signed_in, make_org):
    old = make_org(name="Old Practice", archived_at=utcnow())
    coordinator = signed_in("coordinator")
    assert "Old Practice" not in page_text(coordinator.get("/admin/organisation/?archived=1"))
    coordinator.submit("/admin/organisation/action/", {"action": "restore", "rowid": old.id})
    assert db.session.get(Organisation, old.id).archived_at is not None


def test_ajax_lookup_follows_the_row_scope(signed_in, make_org):
    make_org(name="Lookup Live")
    make_org(name="Lookup Archived", archived_at=utcnow())
    lead = signed_in("team_lead")
    found = lead.get("/admin/user/ajax/lookup/?name=organisation&query=Lookup").get_json()
    names = [label for _, label in found]
    assert any("Lookup Live" in n for n in names)
    assert not any("Lookup Archived" in n for n in names)


def test_ajax_lookup_cannot_attach_an_out_of_scope_row(signed_in, make_org):
    hidden = make_org(name="Archived Agency", archived_at=utcnow())
    lead = signed_in("team_lead")
    response = lead.submit(
        "/admin/user/new/",
        {
            "name": "New Person",
            "email": "new.person@example.nhs.net",
            "role": "coordinator",
            "organisation": hidden.id,
            "active": "y",
            "new_password": "a-long-enough-password",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert (
        db.session.scalars(db.select(admin.accounts.User).where(admin.accounts.User.name == "New Person")).first()
        is None
    )


# --- failed saves -----------------------------------------------------------------------------


def test_duplicate_is_named_on_its_field(signed_in, make_org):
    make_org(name="First", ods_code="ABC123")
    lead = signed_in("team_lead")
    response = lead.submit("/admin/organisation/new/", {"name": "Second", "type": "other", "ods_code": "abc123"})
    assert "Already exists." in page_text(response)
    assert (
        db.session.scalar(db.select(db.func.count()).select_from(Organisation).where(Organisation.name == "Second"))
        == 0
    )


def test_database_refusal_shows_a_plain_message_not_sql(signed_in, monkeypatch):
    """A save that passes the form but breaks a database rule (here the name check constraint)."""
    lead = signed_in("team_lead")

    def blank_name(view, form, model, is_created):
        model.name = ""

    monkeypatch.setattr(admin.accounts.OrganisationView, "on_model_change", blank_name)
    response = lead.submit("/admin/organisation/new/", {"name": "Second", "type": "other", "ods_code": "XYZ999"})
    text = page_text(response)
    assert response.status_code == 200
    assert "This could not be saved" in text
    for leak in ("CHECK", "IntegrityError", "ck_organisation", "INSERT", "constraint", "sqlite", "psycopg"):
        assert leak not in text, leak
    assert 'value="Second"' in text  # what was typed is still on screen
    assert (
        db.session.scalar(db.select(db.func.count()).select_from(Organisation).where(Organisation.name == "Second"))
        == 0
    )


def test_unexpected_error_shows_a_plain_message(signed_in, monkeypatch):
    lead = signed_in("team_lead")

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals /srv/db.sqlite")

    monkeypatch.setattr(admin.accounts.OrganisationView, "on_model_change", boom)
    response = lead.submit("/admin/organisation/new/", {"name": "Boom", "type": "other"})
    text = page_text(response)
    assert "Something went wrong and nothing was saved" in text
    assert "secret internals" not in text


def test_invalid_ods_code_gets_a_clear_message(signed_in):
    lead = signed_in("team_lead")
    response = lead.submit("/admin/organisation/new/", {"name": "Bad code", "type": "other", "ods_code": "no spaces!"})
    assert "An ODS code is 3 to 10 letters and digits" in page_text(response)


# --- exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 1234", "'+44 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("-12", "-12"),
        ("-12.5", "-12.5"),
        ("Plain", "Plain"),
        (42, 42),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_csv_export_neutralises_formulas(signed_in, make_org):
    make_org(name="=cmd|' /C calc'!A0", ods_code="EVIL1")
    lead = signed_in("team_lead")
    response = lead.get("/admin/organisation/export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(page_text(response))))
    assert rows[0][:3] == ["Name", "Type", "ODS code"]
    names = [r[0] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names
    assert not any(n.startswith("=") for n in names)


def test_xlsx_export_neutralises_formulas_and_keeps_numbers(signed_in, make_org, changed_view):
    make_org(name="@evil", ods_code="EVIL2")
    changed_view("organisation", column_export_list=["id", "name"])
    lead = signed_in("team_lead")
    response = lead.get("/admin/organisation/export/xlsx/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Id", "Name")
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"  # a bold header that stays in view
    by_name = {r[1]: r[0] for r in rows[1:]}
    assert "'@evil" in by_name
    assert all(isinstance(i, int) for i in by_name.values())  # ids stay numbers


def test_sheets_whose_titles_differ_only_after_31_characters_or_in_case_each_get_their_own():
    same_start = "Actions completed on time, by owner"  # cut at 31 characters: "Actions completed on time, by o"
    made = workbook_of_sheets([(same_start, ["A"], [[1]]), (same_start + " (year)", ["A"], [[2]]),
                               ("rows", ["A"], [[3]]), ("ROWS", ["A"], [[4]]), ("'quoted'", ["A"], [[5]])])  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(made))
    assert book.sheetnames == ["Actions completed on time, by o", "Actions completed on time, by 2", "rows", "ROWS 2",
                               "quoted"]  # fmt: skip
    assert [sheet["A2"].value for sheet in book] == [1, 2, 3, 4, 5]


def test_an_export_that_loads_only_its_columns_still_fills_every_cell(
    signed_in, make_org, create_contact, create_agenda_item, create_action
):
    # The action list's export loads only the columns its cells show (`column_export_loads`, raising on any other):
    # every cell of an action with a meeting, an owner and a completed one is still filled, in the list's words.
    agency = make_org(name="Medway Pharmacy", ods_code="FA123")
    owner = create_contact(name="Pat Pharmacist", organisation=agency)
    item = create_agenda_item()
    late = create_action(agenda_item=item, patient=item.patient, owner_organisation=agency, owner_contact=owner,
                         description="Review medicines", due_on=today() - timedelta(days=3))  # fmt: skip
    done = create_action(description="Fit a key safe", status=ActionStatus.done, completed_on=today())
    rows = list(csv.reader(io.StringIO(page_text(signed_in("team_lead").get("/admin/action/export/csv/?all=1")))))
    assert rows[0] == ["Patient", "Action", "Agency", "Owner", "Meeting", "Due", "Status", "Days overdue", "Completed"]
    by_action = {row[1]: row for row in rows[1:]}
    assert by_action["Review medicines"] == [
        str(late.patient), "Review medicines", "Medway Pharmacy (FA123)", "Pat Pharmacist (Medway Pharmacy)",
        str(item.meeting), f"{late.due_on:%d/%m/%Y}", ActionStatus.open.label, "3", "",
    ]  # fmt: skip
    assert by_action["Fit a key safe"][4:] == ["", f"{done.due_on:%d/%m/%Y}", ActionStatus.done.label, "",
                                               f"{today():%d/%m/%Y}"]  # fmt: skip


def test_an_export_read_in_batches_holds_every_row_with_its_own_facts(
    signed_in, monkeypatch, create_episode, create_action
):
    # An export reads its rows EXPORT_BATCH at a time, each batch's facts (here the caseload board's open actions)
    # worked out for that batch: in batches of two, five cases each keep their own count, and the trail says five.
    monkeypatch.setattr(admin.listing, "EXPORT_BATCH", 2)
    expected = {}
    for n in range(5):
        episode = create_episode()
        for _ in range(n):
            create_action(patient=episode.patient)
        expected[str(episode.patient)] = str(n)
    rows = list(csv.reader(io.StringIO(page_text(signed_in("team_lead").get("/admin/caseload/export/csv/")))))
    column = rows[0].index("Open actions")
    assert {row[0]: row[column] for row in rows[1:]} == expected
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()[-1]
    assert entry.detail.endswith("rows=5 of 5")


def test_export_is_capped(signed_in, make_org, monkeypatch):
    monkeypatch.setattr(admin.accounts.OrganisationView, "export_max_rows", 3)
    for _ in range(5):
        make_org()
    lead = signed_in("team_lead")
    rows = list(csv.reader(io.StringIO(page_text(lead.get("/admin/organisation/export/csv/")))))
    assert len(rows) == 1 + 3


@pytest.mark.parametrize("role", ["read_only", "partner"])
def test_export_refused_without_the_role(signed_in, role):
    assert signed_in(role).get("/admin/organisation/export/csv/").status_code == 403


def test_export_requires_sign_in(client):
    response = client.get("/admin/organisation/export/csv/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- roles ----------------------------------------------------------------------------------------


def test_read_only_sees_but_cannot_change(signed_in, make_org):
    org = make_org(name="Visible")
    reader = signed_in("read_only")
    listing = page_text(reader.get("/admin/organisation/"))
    assert "Visible" in listing
    assert "/admin/organisation/new/" not in listing
    assert reader.get("/admin/organisation/new/").status_code == 403
    assert (
        reader.submit(f"/admin/organisation/edit/?id={org.id}", {"name": "Changed", "type": "other"}).status_code == 403
    )
    assert reader.submit("/admin/organisation/action/", {"action": "archive", "rowid": org.id}).status_code == 403
    assert db.session.get(Organisation, org.id).name == "Visible"


def test_partner_cannot_open_reference_screens(signed_in):
    partner = signed_in("partner")
    assert partner.get("/admin/organisation/").status_code == 403
    assert partner.get("/admin/user/").status_code == 403
    assert partner.get("/admin/").status_code == 200


def test_coordinator_cannot_archive_organisations(signed_in, make_org):
    org = make_org()
    coordinator = signed_in("coordinator")
    coordinator.submit("/admin/organisation/action/", {"action": "archive", "rowid": org.id})
    assert db.session.get(Organisation, org.id).archived_at is None


def test_delete_is_never_offered(signed_in, make_org):
    org = make_org()
    lead = signed_in("team_lead")
    assert lead.submit("/admin/organisation/delete/", {"id": org.id}).status_code == 403
    assert db.session.get(Organisation, org.id) is not None


# --- headers and templates ---------------------------------------------------------------------


def test_security_headers_on_every_response(client, signed_in):
    for response in [client.get("/login"), signed_in("team_lead").get("/admin/organisation/")]:
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"  # sign-in issue: browsers then name our pages
        assert response.headers["Cache-Control"] == "no-store"
        scripts = re.findall(r"<script[^>]*>", page_text(response))
        assert all(f'nonce="{nonce}"' in tag for tag in scripts)


def test_pages_have_no_inline_event_handlers(signed_in, make_org):
    make_org()
    lead = signed_in("team_lead")
    for url in [
        "/admin/",
        "/admin/organisation/",
        "/admin/organisation/new/",
        "/admin/user/",
        "/admin/organisation/?archived=1",
    ]:
        text = page_text(lead.get(url))
        assert not re.search(r"\son[a-z]+=", text), url
        assert 'lang="en-GB"' in text
        assert re.search(r"<title>[^<]+ - ILR Coordinator</title>", text), url


def test_british_dates_in_lists(signed_in, make_org):
    lead = signed_in("team_lead")
    text = page_text(lead.get("/admin/organisation/"))
    assert re.search(r"\d\d/\d\d/20\d\d \d\d:\d\d", text)


def test_a_long_list_counts_up_to_its_cap_and_says_more_than_that(signed_in, make_org, monkeypatch):
    """Counting a million actions took most of a list's time: a list counts its rows only up to the cap."""
    monkeypatch.setattr("admin.listing.COUNT_CAP", 3)
    for n in range(5):
        make_org(name=f"Practice {n}")
    lead = signed_in("team_lead")
    assert "more than 3 records" in shown(lead.get("/admin/organisation/"))
    assert "2 records" in shown(lead.get("/admin/organisation/?search=Practice 1"))
