"""A coordinator's working day, for locust: sign in (password, then the authenticator's code), browse the lists,
search for patients, open their records, and type minutes (the page's autosave).

Runs in the load test's own environment (bench/load/.venv): locust and the standard library only, nothing of the
app. `python -m bench.load` writes the plan it reads (LOAD_PLAN, JSON): one account per simulated user (a code is
good once per 30 s step, so two users never share one), patients to open, surnames to search for, and each user's
own agenda items to minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115 - read once at start
ACCOUNTS = iter(PLAN["accounts"])
NUMBER = itertools.count()
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
SIGNED_IN = 'action="/logout"'
#: The lists a coordinator opens through the day (each audited, as every list of patients is).
LISTS = (
    "/admin/patient/",
    "/admin/referral/",
    "/admin/triage/",
    "/admin/caseload/",
    "/admin/action/",
    "/admin/meeting/",
    "/admin/contact_log/",
    "/admin/onward-waiting/",
)


def totp(secret: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows now (RFC 6238: SHA-1, 30 s steps)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Coordinator(HttpUser):
    """One coordinator with an account of their own; a few seconds between clicks (faster than a person)."""

    wait_time = between(1, 3)

    def on_start(self):
        self.account = next(ACCOUNTS)
        self.items = itertools.cycle(self.account["items"])
        self.token = None
        self.sign_in()

    def page(self, url: str, name: str):
        """GET a signed-in page; a failure unless it answers 200 as a signed-in page. Keeps its CSRF token."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or SIGNED_IN not in response.text:
                response.failure(f"{response.status_code}, not a signed-in page")
            elif found := CSRF.search(response.text):
                self.token = found.group(1)

    def sign_in(self):
        """Both steps, as a person does them: the password form, then the code from the authenticator."""
        form = self.client.get("/login", name="sign in: form")
        token = CSRF.search(form.text).group(1)
        credentials = {"email": self.account["email"], "password": self.account["password"], "csrf_token": token}
        with self.client.post("/login", data=credentials, name="sign in: password", catch_response=True) as answer:
            if not answer.url.endswith("/login/code"):
                answer.failure(f"the password step ended at {answer.url}")
                return
            token = CSRF.search(answer.text).group(1)
        code = {"code": totp(self.account["totp_secret"]), "csrf_token": token}
        with self.client.post("/login/code", data=code, name="sign in: code", catch_response=True) as answer:
            if SIGNED_IN not in answer.text:
                answer.failure("the code step did not reach a signed-in page")
                return
            self.token = CSRF.search(answer.text).group(1)

    @task(4)
    def browse_a_list(self):
        url = random.choice(LISTS)  # noqa: S311 - a load test's choices
        self.page(url, f"list {url}")

    @task(2)
    def search_patients(self):
        surname = random.choice(PLAN["surnames"])  # noqa: S311
        self.page(f"/admin/patient/?search={surname}", "search patients")

    @task(3)
    def open_a_record(self):
        patient = random.choice(PLAN["patients"])  # noqa: S311
        self.page(f"/admin/record/{patient}/", "patient record")

    @task(1)
    def open_the_minutes(self):
        self.page(f"/admin/meeting-room/{self.account['meeting']}/minutes", "minutes page")

    @task(3)
    def type_minutes(self):
        """The minutes page's autosave: what has been typed so far for one case, as JSON."""
        item = next(self.items)
        typed = {"summary": f"Discussed at the meeting; note {next(NUMBER)}.", "csrf_token": self.token or ""}
        with self.client.post(
            f"/admin/meeting-room/case/{item}/draft",
            data=typed,
            headers={"Accept": "application/json"},
            name="minutes autosave",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or not answer.json().get("saved"):
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
