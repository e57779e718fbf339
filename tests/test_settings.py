"""Team-lead settings: defaults until set, stored as JSON, audited with who changed them, known keys only."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from models import AuditAction, AuditEntry, Setting, db
from services import settings


def _setting_entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(db.select(AuditEntry).where(AuditEntry.table_name == "setting").order_by(AuditEntry.id))
    )


def test_defaults_until_a_team_lead_sets_a_value(app):
    assert settings.get_setting("agenda_cutoff_working_days") == 2
    assert settings.get_setting("risk_rule") == {}
    assert db.session.scalars(db.select(Setting)).all() == []


def test_set_setting_stores_json_and_who_set_it(make_user):
    lead = make_user("team_lead", name="Tess Lead")
    settings.set_setting("agenda_cutoff_working_days", 3, lead)
    settings.set_setting("risk_rule", {"points": {"cfs_7": 3}, "bands": {"high": 8}}, lead)
    db.session.commit()
    db.session.expire_all()
    stored = {row.key: (row.value, row.updated_by_id) for row in db.session.scalars(db.select(Setting))}
    assert stored == {
        "agenda_cutoff_working_days": ("3", lead.id),
        "risk_rule": ('{"bands": {"high": 8}, "points": {"cfs_7": 3}}', lead.id),
    }
    assert settings.get_setting("agenda_cutoff_working_days") == 3
    assert settings.get_setting("risk_rule") == {"points": {"cfs_7": 3}, "bands": {"high": 8}}


def test_set_setting_is_audited_with_who_changed_it(make_user):
    lead = make_user("team_lead", name="Tess Lead")
    settings.set_setting("agenda_cutoff_working_days", 3, lead)
    settings.set_setting("agenda_cutoff_working_days", 4, lead)
    db.session.commit()
    assert [(e.action, e.reason) for e in _setting_entries()] == [
        (AuditAction.create, "Settings changed by Tess Lead"),
        (AuditAction.update, "Settings changed by Tess Lead"),
    ]


def test_storing_the_same_value_again_changes_nothing(make_user):
    lead, other = make_user("team_lead", name="Tess Lead"), make_user("team_lead", name="Tom Lead")
    settings.set_setting("agenda_cutoff_working_days", 3, lead)
    db.session.commit()
    settings.set_setting("agenda_cutoff_working_days", 3, other)
    db.session.commit()
    assert db.session.get(Setting, "agenda_cutoff_working_days").updated_by_id == lead.id
    assert len(_setting_entries()) == 1


def test_an_unknown_key_is_refused(make_user):
    with pytest.raises(KeyError) as refusal:
        settings.set_setting("colour_scheme", "blue", make_user("team_lead"))
    assert refusal.value.args == ("unknown setting 'colour_scheme'",)
    assert db.session.scalars(db.select(Setting)).all() == []
    with pytest.raises(KeyError):
        settings.get_setting("colour_scheme")


def test_settings_are_read_once_a_transaction_and_a_change_is_seen_at_once(app, make_user):
    lead = make_user("team_lead")
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert [settings.get_setting(key) for key in ("session_idle_minutes", "agenda_cutoff_working_days")] == [30, 2]
        assert settings.get_setting("session_absolute_hours") == 12
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([statement for statement in statements if "FROM setting" in statement]) == 1
    settings.set_setting("agenda_cutoff_working_days", 4, lead)
    assert settings.get_setting("agenda_cutoff_working_days") == 4  # the same transaction sees its own change


def test_a_setting_changed_elsewhere_is_read_in_the_next_transaction(app):
    assert settings.get_setting("chase_interval_days") == 7
    db.session.commit()
    with db.engine.begin() as elsewhere:  # another request, another worker
        elsewhere.execute(Setting.__table__.insert(), {"key": "chase_interval_days", "value": "10"})
    assert settings.get_setting("chase_interval_days") == 10
