"""One unit of work: services never commit; `perform` commits a request's changes once, or rolls them back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import get_flashed_messages

from models import DomainError, Locality, db
from services.unit_of_work import REFUSED_BY_DATABASE, perform

ROOT = Path(__file__).resolve().parent.parent

#: The only places the app commits, and why each is not `perform`.
ALLOWED_COMMITS = {
    "services/unit_of_work.py": "perform: every screen's, blueprint's and command's one commit",
    "services/audit.py": "the after-request commit of read entries (a list or a record opened writes the trail)",
    "services/outbox.py": "send_pending: one commit per email sent, so a crash never re-sends patient emails",
}


def _grep(pattern: str, *paths: str) -> list[str]:
    found = subprocess.run(
        ["git", "grep", "-n", pattern, "--", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return [line for line in found.stdout.splitlines() if line]


def test_the_app_commits_only_in_the_named_places():
    hits = _grep("session.commit(", "*.py", ":!tests")
    by_file: dict[str, int] = {}
    for hit in hits:
        by_file[hit.split(":", 1)[0]] = by_file.get(hit.split(":", 1)[0], 0) + 1
    assert by_file == dict.fromkeys(ALLOWED_COMMITS, 1), "\n".join(hits)


def test_no_screen_reads_the_raw_request_form():
    hits = [hit for hit in _grep(r"request\.form\b", "admin/*.py", "*.py", ":!tests") if "`request.form`" not in hit]
    assert hits == []


def test_perform_commits_once_on_success(app):
    done = perform(lambda: db.session.add(Locality(name="Riverside")) or "made")
    assert done.ok and done.value == "made"
    db.session.rollback()  # nothing pending is lost: it was committed
    assert db.session.scalar(db.select(Locality.name)) == "Riverside"


def test_perform_rolls_back_a_refusal_and_says_why(app):
    def refused():
        db.session.add(Locality(name="Never saved"))
        db.session.flush()
        raise DomainError("Choose the locality.")

    with app.test_request_context():
        done = perform(refused)
        assert not done and done.message == "Choose the locality."
        assert get_flashed_messages(with_categories=True) == [("error", "Choose the locality.")]
    assert db.session.scalar(db.select(db.func.count()).select_from(Locality)) == 0


def test_a_database_refusal_is_a_plain_sentence_without_values(app, caplog):
    db.session.add(Locality(name="Twice"))
    db.session.commit()
    with app.test_request_context():
        done = perform(lambda: (db.session.add(Locality(name="Twice")), db.session.flush()))
        assert not done and done.message == REFUSED_BY_DATABASE
        assert get_flashed_messages() == [REFUSED_BY_DATABASE]
    assert "Twice" not in caplog.text  # the log names the constraint, not the values
    assert "locality" in caplog.text.lower()


def test_an_unexpected_error_is_not_swallowed(app):
    with pytest.raises(ZeroDivisionError):
        perform(lambda: 1 / 0)
