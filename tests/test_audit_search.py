"""Searching the audit trail (its detail and reason) through words made after the entries are written
(`models.AuditSearch`, `services.search.index_trail`), with the same results on both databases (runs on both)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from models import AuditAction, AuditEntry, AuditSearch, Role, db
from services import audit, search
from tests.factories import shown


def _entry(detail: str | None = None, reason: str | None = None) -> int:
    db.session.add(entry := AuditEntry(action=AuditAction.export, table_name="patient", detail=detail, reason=reason))
    db.session.commit()
    return entry.id


def _found(typed: str) -> set[int]:
    clause = search.matching(AuditEntry, ["detail", "reason"], typed)
    return set(db.session.scalars(select(AuditEntry.id).where(clause)))


def test_the_trail_is_found_by_the_beginnings_of_its_words_in_detail_and_reason(app):
    exported = _entry(detail="Exported Zoë O'Brien's referrals, rows=25")
    refused = _entry(detail="Sign-in refused for casey@ilr-demo.nhs.net")
    why = _entry(reason="Duplicate record merged at the GP's request")

    assert _found("zoe") == _found("ZOË brie") == {exported}
    assert _found("casey@ilr-demo.nhs.net") == {refused}  # an address is its words, each matched
    assert _found("merged duplicate") == {why}
    assert _found("rows export") == {exported}
    assert _found("nowhere") == set()
    words = dict(db.session.execute(select(AuditSearch.id, AuditSearch.search_words)).all())
    assert words[exported] == "exported zoe o brien s referrals rows 25" and words[why].startswith("duplicate")


def test_entries_newer_than_the_words_made_are_found_by_their_text(app, monkeypatch):
    older = _entry(detail="Exported the action list")
    assert search.index_trail() >= 1
    monkeypatch.setattr(search, "TRAIL_CATCH_UP", 0)  # the catch-up made nothing: the newest have no words yet
    newer = _entry(detail="Exported the caseload")

    assert _found("exported") == {older, newer}
    assert _found("caseload") == {newer} and search.trail_words_upto() < newer


def test_the_job_makes_the_words_of_an_entry_a_search_would_read_past(app):
    """On PostgreSQL an entry can commit after a newer one's words were made: a search reads only past the newest
    with words, so the scheduled job finds every entry without them."""
    late = _entry(detail="Exported the hospital events")
    newest = _entry(detail="Exported the goals")
    search.index_trail()
    db.session.execute(delete(AuditSearch).where(AuditSearch.id == late))  # as if it had committed late
    db.session.commit()

    assert search.index_trail() == 0 and _found("hospital") == set()
    assert search.index_trail(every=True) == 1
    assert _found("hospital") == {late} and _found("goals") == {newest}


def test_the_team_lead_searches_the_trail_on_its_page(signed_in):
    lead = signed_in(Role.team_lead)
    with lead.application.test_request_context():
        audit.record(AuditAction.export, table="referral", detail="Exported the referrals of Ashdown Surgery")
        audit.record(AuditAction.export, table="action", detail="Exported the open actions")
    db.session.commit()

    page = shown(lead.get("/admin/audit/?search=ashdown surg"))

    assert "Exported the referrals of Ashdown Surgery" in page and "Exported the open actions" not in page
    assert db.session.scalar(select(func.count()).select_from(AuditSearch)) >= 2  # the search made the words first
