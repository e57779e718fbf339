"""The one search (services/search.py): words made once in Python, matched through each database's own index, with
the same results on SQLite and PostgreSQL (this file runs on both), and every list's search through it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from admin.base import SecureModelView
from models import Action, Patient, Role, db
from services import search
from tests.factories import shown


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Zoë O'Brien-Smith", "zoe o brien smith"),
        ("ÉLODIE  Ashdown", "elodie ashdown"),
        ("999 777 1230", "999 777 1230"),
        ("ME1 4AB", "me1 4ab"),
        ("عبد الله", "عبد الله"),
        ("a_b", "a b"),
    ],
)
def test_words_are_case_folded_without_accents_letters_and_digits_one_space_apart(typed, stored):
    assert search.words(typed) == stored


def test_an_nhs_number_typed_with_spaces_is_one_word():
    assert search.terms("999 777 1230") == ["9997771230"]
    assert search.terms("  Ashdown   mar ") == ["ashdown", "mar"]


@pytest.fixture
def people(create_patient):
    made = {
        "zoe": create_patient(given_name="Zoë", family_name="Ashdown", nhs_number="9990000026", postcode="ME1 4AB"),
        "margaret": create_patient(given_name="Margaret", family_name="ASHDOWN-Smith", nhs_number="9990000034"),
        "ahmed": create_patient(given_name="Omar", family_name="Ahmed", nhs_number="9990000042"),
    }
    db.session.commit()
    return made


def found(typed: str) -> set[str]:
    clause = search.find_patients(typed)
    return set(db.session.scalars(select(Patient.given_name).where(clause))) if clause is not None else set()


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("ashdown", {"Zoë", "Margaret"}),
        ("ASHD", {"Zoë", "Margaret"}),
        ("zoe", {"Zoë"}),
        ("Zoë", {"Zoë"}),
        ("smith", {"Margaret"}),
        ("ashdown mar", {"Margaret"}),
        ("999 000 0034", {"Margaret"}),
        ("999000", {"Zoë", "Margaret", "Omar"}),
        ("me1", {"Zoë"}),
        ("dow", set()),  # a word's beginning, not its middle
        ("", set()),
    ],
)
def test_a_patient_is_found_by_the_beginning_of_any_word_the_same_on_both_databases(people, typed, expected):
    assert found(typed) == expected


def test_a_changed_name_is_found_by_its_new_words_only(people):
    people["ahmed"].family_name = "Okafor"
    db.session.commit()
    assert found("okafor") == {"Omar"} and found("ahmed") == set()


@pytest.mark.parametrize("handed_over", [search.IDS_HANDED_OVER, 1], ids=["ids handed over", "the query itself"])
def test_a_list_finds_records_by_their_patient_and_by_their_own_words(
    people, signed_in, create_action, make_org, monkeypatch, handed_over
):
    monkeypatch.setattr(search, "IDS_HANDED_OVER", handed_over)  # a word finding more than this: its query, not ids
    council = make_org(name="Kent County Council")
    create_action(patient=people["zoe"], description="Arrange a falls assessment", owner_organisation=council)
    create_action(patient=people["ahmed"], description="Review medication", owner_organisation=council)
    db.session.commit()
    lead = signed_in(Role.team_lead)
    for typed, expected in (
        ("ashdown", ["falls assessment"]),
        ("falls", ["falls assessment"]),
        ("999 000 0042", ["Review medication"]),
        ("ashdown medication", []),
        ("county", ["falls assessment", "Review medication"]),  # the agency's name: a small table, its text
    ):
        page = shown(lead.get(f"/admin/action/?all=1&search={typed}"))
        for description in ("falls assessment", "Review medication"):
            assert (description in page) == (description in expected), (typed, description)


def test_every_searched_column_of_every_list_is_searched_through_the_one_search(app):
    """A screen's searchable column is a patient's, one of the record's words, a related record's, or a column of a
    small table (searched for its text): none silently dropped, and no searched model without an index."""
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, SecureModelView) or not view.column_searchable_list:
            continue
        for path in view.column_searchable_list:
            if "." in path:
                relation = getattr(view.model, path.split(".")[0]).property.mapper.class_
                assert relation is Patient or hasattr(relation, path.split(".")[1]), (view.endpoint, path)
            elif view.model in search.WORDS:
                assert path in search.WORDS[view.model], (view.endpoint, path)
    assert all(hasattr(model, "search_words") for model in search.WORDS)


def test_each_searched_table_is_indexed_by_the_database(app):
    """SQLite: an FTS5 table kept by triggers; PostgreSQL: a GIN index over the words."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(
                conn.execute(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")).scalars()
            )
            for model in search.WORDS:
                table = model.__tablename__
                assert {f"{table}_words", f"{table}_words_insert", f"{table}_words_update"} <= names
        else:
            names = set(conn.execute(text("SELECT indexname FROM pg_indexes")).scalars())
            assert {f"ix_{model.__tablename__}_words" for model in search.WORDS} <= names


def test_a_search_uses_the_index_not_a_scan(people):
    """SQLite's plan for a patient search reads the FTS table, not every patient."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan's words are SQLite's")
    statement = select(Patient.id).where(search.find_patients("ashdown"))
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " ".join(r[3] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "VIRTUAL TABLE INDEX" in plan and "SCAN patient " not in f"{plan} "


def test_actions_keep_their_words_through_the_orm(people, create_action):
    action = create_action(patient=people["zoe"], description="Café visit")
    db.session.commit()
    assert db.session.get(Action, action.id).search_words == "cafe visit"
