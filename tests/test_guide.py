"""The user guide inside the app (docs/guide/): every screen it names is still served, every screenshot it shows is
there, and each page opens, with its screenshots, for each role that may read it; nobody else."""

from __future__ import annotations

import re

import pytest

from admin.guide import GuidePage, guide_pages, missing_images, render_page, unknown_screens
from models import Role
from tests.factories import shown

IMG = re.compile(r'<img src="([^"]+)"')
STAFF_ROLES = ("coordinator", "team_lead", "read_only")


def test_the_guide_has_a_page_for_each_part_of_the_week_an_induction_checklist_and_one_for_partners():
    titles = [page.title for page in guide_pages()]
    assert titles == [
        "From referral to closure",
        "Meeting day",
        "Chasing",
        "Care plans and the GP letter",
        "Reports",
        "Administration",
        "Induction checklist for a new coordinator",
        "For partner agencies",
    ]
    assert [p.slug for p in guide_pages() if Role.partner in p.readers] == ["partners"]


def test_every_screen_the_guide_names_is_still_served_and_every_screenshot_is_there(app):
    with app.test_request_context():
        for page in guide_pages():
            assert page.screens, f"{page.slug} names no screen"
            assert unknown_screens(page) == [], f"{page.slug} names screens the app no longer serves"
            assert missing_images(page) == [], f"{page.slug}: take the screenshots (python -m docs.screenshots)"


def test_a_page_naming_a_screen_that_is_gone_or_a_missing_screenshot_is_caught(app):
    """What the test above would say after a screen is renamed or removed, or a screenshot was never taken."""
    stale = GuidePage("stale", "Stale", 1, frozenset(Role), "See [[screen:triage_old.index_view]].\n\n![x](gone.png)")
    with app.test_request_context():
        assert unknown_screens(stale) == ["triage_old.index_view"]
        assert missing_images(stale) == ["gone.png"]


@pytest.mark.parametrize("role", [*STAFF_ROLES, "partner"])
def test_each_page_opens_with_its_screenshots_for_each_role_that_may_read_it_and_for_nobody_else(signed_in, role):
    reader = signed_in(role)
    contents = shown(reader.get("/admin/guide/"))
    for page in guide_pages():
        response = reader.get(f"/admin/guide/{page.slug}")
        if Role(role) not in page.readers:
            assert response.status_code == 403 and page.title not in contents
            continue
        assert response.status_code == 200 and page.title in contents
        html = shown(response)
        sources = IMG.findall(html)
        assert len(sources) == len(page.images) > 0
        for source in sources:
            image = reader.get(source)
            assert (image.status_code, image.mimetype) == (200, "image/png"), source
            assert image.get_data().startswith(b"\x89PNG")


def test_a_partner_may_not_fetch_the_staff_pages_screenshots(signed_in):
    partner = signed_in("partner")
    assert partner.get("/admin/guide/images/triage.png").status_code == 403
    assert partner.get("/admin/guide/images/partner-actions.png").status_code == 200


@pytest.mark.parametrize("name", ["nothing.png", "..%2Fapp.py", "triage.PNG", ".png"])
def test_only_the_guides_own_screenshots_are_served(signed_in, name):
    assert signed_in("coordinator").get(f"/admin/guide/images/{name}").status_code == 404


def test_an_unknown_page_is_not_found(signed_in):
    reader = signed_in("coordinator")
    assert reader.get("/admin/guide/no-such-page").status_code == 404
    assert reader.get("/admin/guide/..%2Freadme").status_code == 404


def test_screens_are_named_as_the_menu_names_them_and_linked(signed_in, app):
    page = shown(signed_in("coordinator").get("/admin/guide/referral-to-closure"))
    triage = app.extensions["admin"][0]._views
    view = next(v for v in triage if v.endpoint == "triage")
    assert f'<a href="/admin/triage/">{view.category} › {view.name}</a>' in page
    assert "<strong>the patient&#39;s page</strong>" in page or "<strong>the patient's page</strong>" in page


def test_the_guides_markdown_never_passes_raw_html_through(app):
    page = GuidePage("x", "X", 1, frozenset(Role), '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">')
    with app.test_request_context():
        html = str(render_page(page, app.extensions["admin"][0]))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("role", [*STAFF_ROLES, "partner"])
def test_the_user_guide_is_in_every_signed_in_roles_menu(signed_in, role):
    assert 'href="/admin/guide/">User guide</a>' in shown(signed_in(role).get("/admin/"))
