"""Case finding in a real browser: a practice search uploaded, its preview read and confirmed, the new high-priority
patients found on the case-finding list, their practice emailed, and a referral started from the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from formats.dates import today
from formats.nhs import format_nhs_number
from models import Organisation, OrganisationType, OutboxEmail, PracticeSuggestion, Role, User, db
from tests.browser import sign_in
from tests.conftest import PASSWORD
from tests.factories import nhs_number

pytestmark = pytest.mark.browser

COORDINATOR = "casey.finding@example.nhs.net"
NUMBERS = [nhs_number() for _ in range(3)]


def _seed() -> None:
    team = Organisation(name="ILR Team", type=OrganisationType.ilr_team, ods_code="ILR001")
    practice = Organisation(name="Riverside Surgery", type=OrganisationType.gp_practice, ods_code="Y01234",
                            secure_email="riverside.surgery@nhs.net")  # fmt: skip
    user = User(email=COORDINATOR, name="Casey Finding", role=Role.coordinator, organisation=team)
    user.set_password(PASSWORD)
    db.session.add_all([team, practice, user])


@pytest.fixture(scope="module")
def live_seed():
    return _seed


@pytest.fixture(scope="module")
def live_config(tmp_path_factory) -> dict:
    return {"CASE_FINDING_UPLOAD_DIR": str(tmp_path_factory.mktemp("list-uploads"))}


def _search(tmp_path) -> str:
    admitted = (today() - timedelta(days=10)).strftime("%d/%m/%Y")
    lines = [
        "NHS Number,Forename,Surname,Date of Birth,Practice Code,eFI,CFS,Admission date",
        f"{format_nhs_number(NUMBERS[0])},Iris,Ashdown,04/05/1936,Y01234,0.52,8,{admitted}",
        f"{NUMBERS[1]},Owen,Barnes,11/12/1939,Y01234,0.41,7,{admitted}",
        f"{NUMBERS[2]},Fay,Cole,01/01/1950,Y01234,0.10,2,",
        "999 123 4560,Bad,Number,01/01/1940,Y01234,0.3,5,",
    ]
    path = tmp_path / "emis-frailty-search.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8-sig")
    return str(path)


def test_a_practice_search_finds_people_to_refer_and_the_practice_is_told(visit, live_server, tmp_path):
    sign_in(visit, COORDINATOR)
    page = visit.goto("/admin/lists/", "imported-lists")
    page.get_by_label("The list (CSV or .xlsx, up to 100,000 rows)").set_input_files(_search(tmp_path))
    page.get_by_label("Where it comes from").select_option(label="GP practice search (EMIS Web or SystmOne)")
    page.get_by_role("button", name="Upload and choose the columns").click()
    page.wait_for_load_state("load")
    visit.check("choose-columns")
    expect(page.get_by_label("NHS number", exact=True)).to_have_value("NHS Number")  # recognised by its heading
    page.get_by_label("Practice ODS code").select_option("Practice Code")
    page.get_by_label("Admission dates").select_option("Admission date")
    page.get_by_label("Add the people on the list who are not held as new patients").check()
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_load_state("load")
    visit.check("preview")
    expect(page.locator(".preview-matched")).to_have_text("0")
    expect(page.locator(".preview-new")).to_have_text("3")
    expect(page.locator(".preview-refused")).to_have_text("1")
    expect(page.locator(".list-refusals")).to_contain_text("Bad NHS number")
    page.get_by_role("button", name="Import 3 rows").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").first).to_contain_text("emis-frailty-search.csv imported")
    visit.check("import-record")

    page = visit.goto("/admin/case-finding/", "case-finding-list")
    practice = page.locator("section.case-finding-practice", has_text="Riverside Surgery")
    expect(practice).to_contain_text("ASHDOWN, Iris")
    expect(practice).to_contain_text("BARNES, Owen")
    expect(practice).not_to_contain_text("COLE, Fay")  # low priority
    expect(practice.locator("tr", has_text="ASHDOWN, Iris")).to_contain_text("emis-frailty-search.csv")
    practice.get_by_role("button", name="Email the chosen to Riverside Surgery").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").first).to_contain_text("2 patients suggested to Riverside Surgery")
    expect(page.locator("tr", has_text="ASHDOWN, Iris")).to_contain_text(
        f"Suggested to the practice on {today():%d/%m/%Y}"
    )
    visit.check("suggested")
    with live_server.app.app_context():
        email = db.session.scalars(db.select(OutboxEmail)).one()
        assert email.to_address == "riverside.surgery@nhs.net" and "ASHDOWN, Iris" in email.body_text
        assert db.session.scalar(db.select(db.func.count()).select_from(PracticeSuggestion)) == 2
        db.session.remove()

    page.get_by_role("link", name="Start a referral for BARNES, Owen").click()
    page.wait_for_load_state("load")
    visit.check("referral-started")
    expect(page.locator("body")).to_contain_text("BARNES, Owen")
