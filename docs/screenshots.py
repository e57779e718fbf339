"""The user guide's screenshots, taken from the real screens: `python -m docs.screenshots` (or `make screenshots`).

Seeds the demo data into a temporary SQLite database, serves the app on a free loopback port, signs in as each demo
account through the real sign-in (password, then the authenticator code) with Debian's Chromium driven by
Playwright, and saves one PNG per screen in docs/guide/images/. Re-run it when a screen the guide shows changes,
and look at the pictures before committing them. Nothing outside the temporary folder is written but the PNGs.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp
from flask_migrate import upgrade
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import exists, select
from werkzeug.serving import make_server

import demo
from app import create_app
from cli import run
from demo.reference import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_totp_secret
from models import (
    Action,
    ActionStatus,
    AgendaItem,
    CarePlan,
    Contact,
    Episode,
    Meeting,
    MeetingStatus,
    Patient,
    Role,
    User,
    db,
    utcnow,
)

IMAGES = Path(__file__).resolve().parent / "guide" / "images"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=en-GB"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}
EMAILS = {role: email for email, _name, role, _ods in DEMO_ACCOUNTS}


@dataclass(frozen=True)
class Shot:
    """One screenshot: the file, who takes it, the path (from the demo's records), and what to show of the page."""

    name: str
    role: Role
    path: Callable[[dict], str]
    #: A CSS selector to picture alone (its element), else the top of the page as the screen shows it.
    element: str | None = None
    #: Something to click first (a button that opens a form).
    click: str | None = None


SHOTS = (
    Shot("home", Role.coordinator, lambda r: "/admin/"),
    Shot("new-referral", Role.coordinator, lambda r: "/admin/intake/"),
    Shot("triage", Role.coordinator, lambda r: "/admin/triage/"),
    Shot("patient-page", Role.coordinator, lambda r: f"/admin/record/{r['patient']}/"),
    Shot("patient-hub", Role.coordinator, lambda r: f"/admin/record/{r['patient']}/",
         element="section[aria-labelledby=hospital-heading]", click="#hospital_form > summary"),
    Shot("caseload", Role.coordinator, lambda r: "/admin/caseload/"),
    Shot("close-episode", Role.coordinator, lambda r: f"/admin/caseload/close/{r['episode']}/"),
    Shot("scheduling", Role.coordinator, lambda r: "/admin/scheduling/"),
    Shot("meeting", Role.coordinator, lambda r: f"/admin/meeting-room/{r['next_meeting']}/"),
    Shot("minutes", Role.coordinator, lambda r: f"/admin/meeting-room/{r['held_meeting']}/minutes",
         element="section[id^=case-]"),
    Shot("send", Role.coordinator, lambda r: f"/admin/meeting-room/{r['next_meeting']}/send/agenda"),
    Shot("actions", Role.coordinator, lambda r: "/admin/action/"),
    Shot("onward-waiting", Role.coordinator, lambda r: "/admin/onward-waiting/"),
    Shot("care-plan", Role.coordinator, lambda r: f"/admin/care-plan/{r['patient']}/"),
    Shot("kpis", Role.team_lead, lambda r: "/admin/kpis/"),
    Shot("settings", Role.team_lead, lambda r: "/admin/settings/"),
    Shot("audit", Role.team_lead, lambda r: "/admin/audit/"),
    Shot("partner-actions", Role.partner, lambda r: "/admin/action/"),
    Shot("partner-action", Role.partner, lambda r: f"/admin/action/details/?id={r['partner_action']}",
         element="section[aria-labelledby=updates-heading]"),
)  # fmt: skip


def _records() -> dict:
    """The demo's records the screenshots open: the coordinator's highest-priority open case with a care plan, its
    locality's next meeting and latest held one, and the partner agency's most urgent open action."""
    coordinator = db.session.scalar(select(User).where(User.email == EMAILS[Role.coordinator]))
    partner = db.session.scalar(select(User).where(User.email == EMAILS[Role.partner]))
    has_plan = exists().where(CarePlan.patient_id == Episode.patient_id)
    episode = db.session.scalars(
        select(Episode)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(
            Episode.closed_on.is_(None), Episode.coordinator_id == coordinator.id, has_plan, Patient.may_be_contacted
        )
        .order_by(Patient.risk_score.desc(), Episode.id)
    ).first()
    upcoming = db.session.scalars(
        select(Meeting)
        .where(Meeting.locality_id == episode.locality_id, Meeting.starts_at > utcnow(),
               Meeting.status.in_([MeetingStatus.planned, MeetingStatus.booked]),
               exists().where(AgendaItem.meeting_id == Meeting.id))
        .order_by(Meeting.starts_at)
    ).first()  # fmt: skip
    held = db.session.scalars(
        select(Meeting)
        .where(Meeting.locality_id == episode.locality_id, Meeting.status == MeetingStatus.held)
        .order_by(Meeting.starts_at.desc())
    ).first()
    action = db.session.scalars(
        select(Action)
        .where(Action.owner_organisation_id == partner.organisation_id, Action.status == ActionStatus.open,
               Action.archived_at.is_(None))
        .order_by(Action.due_on)
    ).first()  # fmt: skip
    assert db.session.scalar(select(Contact.id).where(Contact.user_id == partner.id)), "the demo partner has no contact"
    return {
        "patient": episode.patient_id,
        "episode": episode.id,
        "next_meeting": upcoming.id,
        "held_meeting": held.id,
        "partner_action": action.id,
    }


def _seeded_app(folder: Path, patients: int):
    url = f"sqlite:///{folder / 'guide.sqlite'}"
    config = {"ILR_ENV": "development", "SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": url,
              "ALLOW_HTTP": True, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}  # fmt: skip
    app = create_app(config)
    with app.app_context():
        upgrade()
        run(lambda: demo.seed_demo(patients))  # the commands' one commit (services.unit_of_work.perform)
        records = _records()
        db.session.remove()
    return app, records


def _sign_in(page, base: str, role: Role) -> None:
    """The real sign-in: the password, then the demo account's authenticator code."""
    email = EMAILS[role]
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(demo_totp_secret(email)).now())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def take(shots=SHOTS, patients: int = 400, out: Path = IMAGES) -> list[Path]:
    """Take `shots` from a freshly seeded demo; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="ilr-guide-") as folder:
        app, records = _seeded_app(Path(folder), patients)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="guide-server", daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        british = {**os.environ, "LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB"}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=british)
                tabs = {}
                for shot in shots:
                    if shot.role not in tabs:
                        context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
                        tabs[shot.role] = context.new_page()
                        _sign_in(tabs[shot.role], base, shot.role)
                    written.append(_take(tabs[shot.role], base, shot, records, out))
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    return written


def _take(page, base: str, shot: Shot, records: dict, out: Path) -> Path:
    page.goto(base + shot.path(records))
    page.wait_for_load_state("networkidle")
    if shot.click:
        page.locator(shot.click).first.click()
    target = out / f"{shot.name}.png"
    if shot.element:
        page.locator(shot.element).first.screenshot(path=str(target))
    else:
        page.screenshot(path=str(target))
    print(f"  {target.relative_to(out.parent.parent)}  {base + shot.path(records)}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=400, help="demo patients to seed (default 400)")
    parser.add_argument("--only", nargs="*", help="take only these screenshots (by name, e.g. triage kpis)")
    args = parser.parse_args()
    shots = [s for s in SHOTS if not args.only or s.name in args.only]
    written = take(shots, args.patients)
    print(f"{len(written)} screenshot(s) saved in {IMAGES}.")


if __name__ == "__main__":
    main()
