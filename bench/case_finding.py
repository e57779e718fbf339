"""Case finding in `make bench`: a 100,000-row practice search previewed and saved (rolled back, so the database
can be reused), and the case-finding list. Targets (issue 32): preview under 10 s, save under 60 s, list under 100 ms.

The list is built from the seeded patients' NHS numbers (people not held make up the rest): an eFI, a CFS and an
admission date each, so every row matches or is new and the save changes every matched patient.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from formats.dates import today
from formats.nhs import with_check_digit
from models import ListSource, Patient, User, db

#: Rows in the list.
ROWS = 100_000
MAPPING = {"nhs_number": "NHS number", "given_name": "Forename", "family_name": "Surname", "date_of_birth": "DOB",
           "efi": "eFI", "cfs": "CFS", "admissions": "Admission date"}  # fmt: skip


def practice_search(rows: int = ROWS, seed: int = 32) -> bytes:
    """A CSV as a practice search exports it: the seeded patients' NHS numbers, then new ones."""
    rng = random.Random(seed)
    numbers = list(db.session.scalars(select(Patient.nhs_number).where(Patient.nhs_number.is_not(None)).limit(rows)))
    candidate = 900_000_000
    while len(numbers) < rows:
        candidate += 1
        number = with_check_digit(str(candidate))
        if number:
            numbers.append(number)
    lines = ["NHS number,Forename,Surname,DOB,eFI,CFS,Admission date"]
    for number in numbers:
        day = today() - timedelta(days=rng.randint(1, 300))
        born = today() - timedelta(days=rng.randint(65 * 365, 95 * 365))
        lines.append(f"{number[:3]} {number[3:6]} {number[6:]},Sam,Search,{born:%d/%m/%Y},{rng.randint(5, 60) / 100},"
                     f"{rng.randint(1, 9)},{day:%d/%m/%Y}")  # fmt: skip
    return "\n".join(lines).encode()


def _timed(counter, work) -> tuple[float, int, object]:
    counter.count = 0
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, counter.count, result


def timings(app: Flask, client, counter, args) -> list:
    """The preview, the save and the list, as `Timing`s for bench's table (skipped unless chosen with --only)."""
    from bench import Timing, measure, nearest_rank
    from services.case_finding import preview_list, read_list
    from services.list_import import save_preview

    if args.only and not "case-finding".startswith(args.only):
        return []
    found = []
    with app.app_context():
        data = practice_search()
        lead = db.session.scalar(select(User).where(User.role == "team_lead").limit(1))
        read = lambda: preview_list(read_list(data, "search.csv"), MAPPING, create_new=True)  # noqa: E731
        preview_ms, preview_queries, preview = _timed(counter, read)
        variant = f"preview {ROWS:,} rows ({len(preview.matched):,} matched, {len(preview.new):,} new)"
        found.append(Timing("case-finding", variant, "import-list", "-", preview_ms, preview_ms, preview_queries))
        save_ms, save_queries, made = _timed(
            counter,
            lambda: save_preview(preview, "search.csv", ListSource.practice_search, MAPPING, lead,
                                 figures_on=today()),
        )  # fmt: skip
        variant = f"save {ROWS:,} rows ({made.figures_changed:,} figures, {made.events_added:,} events; rolled back)"
        found.append(Timing("case-finding", variant, "import-list", "-", save_ms, save_ms, save_queries))
        db.session.rollback()
    status, times, queries = measure(client, counter, "/admin/case-finding/", args.runs)
    found.append(Timing("case-finding", "the list", "/admin/case-finding/", status, statistics.median(times),
                        nearest_rank(times, 90), queries))  # fmt: skip
    return found
