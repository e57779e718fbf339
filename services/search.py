"""One search for every list and for finding a patient: what a person types matched, word by word, against words
stored once per record, through an index, with the same results on both databases.

The words are made in Python when a record is saved (`refresh_words`, run at every flush): its text case-folded,
accents removed, cut into letters-and-digits words (`words`), kept in its `search_words` column. Each database
indexes that column its own way: SQLite in an FTS5 table kept by triggers (`<table>_words`), PostgreSQL with a GIN
index over `to_tsvector('simple', search_words)` (migration 0022). A typed word matches a stored word it begins
(a surname's first letters, an NHS number's first digits): an NHS number typed with spaces is one word.

A list searches through its screen's `column_searchable_list` (`matching`): a patient's columns through the
patient's words; the list's own columns through its words; a related record's columns through that record's words
when it has them, or else (a small table: agencies, localities, people) by its text containing the typed word.
Every typed word must match somewhere (as Flask-Admin's own search does).

The audit trail's words are kept apart (`models.AuditSearch`, migration 0031), made after its entries are written
(`index_trail`: by a search first, up to `TRAIL_CATCH_UP`, and by `flask seal-audit`), since a year's KPI workbook
writes a hundred thousand entries at once; entries newer than the words made are matched by their text.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import suppress

from sqlalchemy import (
    and_,
    func,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from formats.nhs import nhs_number_digits
from models import (
    Action,
    ActionChase,
    AgendaItem,
    AuditEntry,
    AuditSearch,
    CollatedNote,
    ContactLogEntry,
    Goal,
    HospitalEvent,
    OnwardReferral,
    Patient,
    Referral,
    SafeguardingConcern,
    TriageDecision,
    among,
    db,
    insert_rows,
)
from services.audit import commit_at_end_of_request
from services.job_locks import JobBusy, claim_job

#: Each model with words of its own, and the columns they are made of (a patient's: their names, NHS number and
#: postcode; a record's: its free text). A list of records about a patient also finds them by the patient's words.
WORDS: dict[type, tuple[str, ...]] = {
    Patient: ("family_name", "given_name", "nhs_number", "postcode"),
    Referral: ("referrer_name", "reason"),
    TriageDecision: ("reason_text", "redirected_to"),
    AgendaItem: ("outcome",),
    Action: ("description",),
    ActionChase: ("note", "sent_to"),
    Goal: ("description",),
    OnwardReferral: ("service",),
    SafeguardingConcern: ("concern", "reference", "referred_to"),
    HospitalEvent: ("hospital",),
    CollatedNote: ("summary",),
    ContactLogEntry: ("with_name", "summary"),
}
#: At most this many typed words are looked for (a pasted paragraph is not a search).
MAX_TERMS = 6
_WORD = re.compile(r"[^\W_]+")


def words(*texts) -> str:
    """Text as it is stored for searching: case-folded, accents removed, letters-and-digits words, one space apart
    ("Zoë O'Brien-Smith" → "zoe o brien smith")."""
    plain = unicodedata.normalize("NFKD", " ".join(str(t) for t in texts if t))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(plain))


def terms(typed: str | None) -> list[str]:
    """The words a search looks for: an NHS number typed with spaces or hyphens is one word."""
    digits = nhs_number_digits(typed)
    if digits:
        return [digits]
    return words(typed or "").split()[:MAX_TERMS]


# --- keeping the words --------------------------------------------------------------------------------------------


def words_of(obj) -> str:
    return words(*(getattr(obj, column) for column in WORDS[type(obj)]))


def refresh_words(session: Session, flush_context, instances) -> None:
    """Before a flush: a new record's words, and those of a record whose text changed."""
    new = session.new  # a fresh set each time it is read: built once, not once per object
    for obj in [*new, *session.dirty]:
        columns = WORDS.get(type(obj))
        if columns is None:
            continue
        state = inspect(obj)
        if obj in new or any(state.attrs[c].history.has_changes() for c in columns):
            made = words_of(obj)
            if obj.search_words != made:
                obj.search_words = made


# --- the audit trail's words: made after the entries are written (`models.AuditSearch`) --------------------------

#: A search of the trail first makes the words of at most this many entries written since the last made (about a
#: second's work); any newer are matched by their text containing the word. `flask seal-audit` makes the rest.
TRAIL_CATCH_UP = 50_000
_TRAIL_BATCH = 10_000


def index_trail(limit: int | None = None, *, every: bool = False) -> int:
    """Make the words of audit entries that have none yet, oldest first, at most `limit`; how many were made.

    A search reads only past the newest entry with words (its primary key). `every` (the scheduled job) also finds
    entries below it without words: on PostgreSQL an entry whose transaction committed after a newer entry's words
    were made (a 60-second list import, say) is found only so. Claims the job: JobBusy while another run makes them."""
    claim_job("audit-words")
    made, after = 0, 0 if every else trail_words_upto()
    while limit is None or made < limit:
        found = select(AuditEntry.id, AuditEntry.detail, AuditEntry.reason).where(AuditEntry.id > after)
        if every:
            found = found.where(~select(AuditSearch.id).where(AuditSearch.id == AuditEntry.id).exists())
        take = _TRAIL_BATCH if limit is None else min(_TRAIL_BATCH, limit - made)
        rows = db.session.execute(found.order_by(AuditEntry.id).limit(take)).all()
        if not rows:
            break
        _write_trail_words([(entry_id, words(detail, reason)) for entry_id, detail, reason in rows])
        made, after = made + len(rows), rows[-1][0]  # the next batch reads on from here, not from the start
    if made:
        commit_at_end_of_request()  # a search's words are kept with the request's own trail entry
    return made


def _write_trail_words(made: list[tuple[int, str]]) -> None:
    """Each entry's words; on SQLite its FTS5 row written beside it here, not by an insert trigger (through one, each
    row's FTS5 insert ran as a statement of its own: 2,000 rows in 5 s at 100,000 patients, against 10,000 in 0.07 s
    written here; migration 0031)."""
    connection = db.session.connection()
    insert_rows(
        connection, AuditSearch.__table__, [{"id": entry_id, "search_words": found} for entry_id, found in made]
    )
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO audit_search_words(rowid, search_words) VALUES (?, ?)", made)


def trail_words_upto() -> int:
    """The newest audit entry with its words made (0 for none)."""
    return db.session.scalar(select(func.max(AuditSearch.id))) or 0


def _trail_matching(typed: str):
    """The audit trail's search (its detail and reason): every typed word begins a word of the entry, through the
    words index for entries with words made (catching up first, up to `TRAIL_CATCH_UP`), or is contained in the
    text of an entry newer than those."""
    looked_for = terms(typed)
    if not looked_for:
        return None
    with suppress(JobBusy):  # another request is making them: the newer entries are matched by their text meanwhile
        index_trail(TRAIL_CATCH_UP)
    upto = trail_words_upto()

    def newer(term: str):
        contains = or_(AuditEntry.detail.ilike(f"%{term}%"), AuditEntry.reason.ilike(f"%{term}%"))
        return select(AuditEntry.id).where(AuditEntry.id > upto, contains)

    # One set of ids a word (the index's and the newer entries'), not `IN (index) OR (newer and contains)`: given the
    # OR, PostgreSQL read the whole trail to test each entry against both (128 ms over 690,000 entries, against 3 ms).
    return and_(*(AuditEntry.id.in_(union_all(own_matches(AuditSearch, term), newer(term))) for term in looked_for))


# --- matching -----------------------------------------------------------------------------------------------------


def own_matches(model, term: str):
    """The ids of `model`'s records with a word beginning `term` (through the database's own index)."""
    table = model.__tablename__
    if db.session.get_bind().dialect.name == "postgresql":
        document = func.to_tsvector(literal_column("'simple'"), model.search_words)
        query = func.to_tsquery(literal_column("'simple'"), f"{term}:*")
        return select(model.id).where(document.op("@@")(query))
    match = literal_column(f"{table}_words").op("MATCH")(literal(f'"{term}"*'))  # a bind of its own per word
    return select(literal_column("rowid")).select_from(text(f"{table}_words")).where(match)


def _related(model, path: str, term: str):
    """The ids of `model`'s records whose related record's column (`owner_organisation.name`) matches: through that
    record's words, or its text containing the term (a small table: agencies, localities, people)."""
    relation, column = path.split(".", 1)
    prop = getattr(model, relation).property
    target = prop.mapper.class_
    local = next(iter(prop.local_columns))
    if relation == "patient":
        related = own_matches(Patient, term)
    elif target in WORDS and column in WORDS[target]:
        related = own_matches(target, term)
    else:
        related = select(inspect(target).primary_key[0]).where(getattr(target, column).ilike(f"%{term}%"))
    return select(model.id).where(local.in_(related))


def _parts(model, searchable: list[str], term: str) -> tuple[list, list]:
    """Where one typed word may match a record of `model`, by the columns its screen searches: the selects of ids
    read through an index (a patient's words, the record's words, a related record), and the record's own columns
    without words that contain it."""
    indexed, containing, own = {}, [], False
    for path in searchable:
        if "." in path:
            relation = path.split(".", 1)[0]
            key = relation if relation == "patient" else path  # a patient's name and NHS number: the same words
            indexed.setdefault(key, _related(model, path, term))
        elif model in WORDS and path in WORDS[model]:
            own = True
        else:
            containing.append(getattr(model, path).ilike(f"%{term}%"))
    if own:
        indexed["own"] = own_matches(model, term)
    return list(indexed.values()), containing


#: A search matching at most this many records hands the list their ids; more, the query that finds them.
IDS_HANDED_OVER = 5000


def matching(model, searchable: list[str], typed: str):
    """The clause a list applies for a search: every typed word matches somewhere.

    Where only the record's own text is searched (an agency's name), the words are an OR in the list's
    query, so a page stops reading once it has its rows. Otherwise each word's matches are the UNION of its parts,
    each read through its own index, and the matching ids are read first and handed to the list (up to
    `IDS_HANDED_OVER`): an OR of semi-joins in the list's query is answered through no index, and a planner told
    only "one of these matches" guessed tens of thousands of rows and joined every open action before looking
    (PostgreSQL: 290 ms for 'smith' over a million actions; 20 ms with the ids handed over). The audit trail keeps
    its words apart (`_trail_matching`)."""
    if model is AuditEntry:
        return _trail_matching(typed)
    looked_for = terms(typed)
    if not looked_for:
        return None
    unique = list(dict.fromkeys(searchable))
    clauses, selects = [], []
    for term in looked_for:
        indexed, containing = _parts(model, unique, term)
        if not indexed:
            clauses.append(or_(*containing))
            continue
        if containing:  # the record's own text without words: one pass over the table for all its columns
            indexed.append(select(model.id).where(or_(*containing)))
        selects.append(union(*indexed) if len(indexed) > 1 else indexed[0])
    return and_(*clauses, *_ids_among(model, selects))


def _ids_among(model, selects: list) -> list:
    """`model`'s id among those every one of `selects` finds (a typed word's matches each): the ids read now and
    handed over when a word finds few, the word's query itself when it finds many."""
    handed: set[int] | None = None
    clauses = []
    for ids_select in selects:
        found = db.session.scalars(ids_select.limit(IDS_HANDED_OVER + 1)).all()
        if len(found) > IDS_HANDED_OVER:
            clauses.append(model.id.in_(ids_select))
        else:
            handed = set(found) if handed is None else handed & set(found)
    if handed is not None:
        clauses.append(among(model.id, sorted(handed)))
    return clauses


def find_patients(typed: str):
    """The patients whose words match what was typed (a select of `Patient`; the caller applies the row scope)."""
    looked_for = terms(typed)
    if not looked_for:
        return None
    return and_(*(Patient.id.in_(own_matches(Patient, term)) for term in looked_for))
