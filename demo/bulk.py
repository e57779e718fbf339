"""Bulk writing: rows as plain dicts, inserted with Core `insert()` in chunks, parents first."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, insert, select, text

from models import db
from services.search import WORDS, words

#: The columns each searched table's words are made of, by table (rows here are dicts, not records).
_WORDS = {model.__tablename__: columns for model, columns in WORDS.items()}
#: Rows per INSERT statement (executemany).
CHUNK_ROWS = 10_000


class BulkRows:
    """Rows waiting to be inserted, per table, written parents first so foreign keys hold at every step."""

    def __init__(self, session):
        self.session = session
        self.pending: dict[str, list[dict]] = defaultdict(list)
        #: Rows written so far, per table name: the report `flask seed-demo` prints.
        self.counts: Counter = Counter()
        self._templates: dict[str, dict] = {}
        self._next_id: dict[str, int] = {}
        self._plans: dict[str, tuple] = {}

    def next_id(self, model) -> int:
        """Primary keys are ours: after the highest already held, so `--force` never collides."""
        name = model.__tablename__
        if name not in self._next_id:
            self._next_id[name] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self._next_id[name]
        self._next_id[name] = value + 1
        return value

    def add(self, model, **values) -> dict:
        """Queue one row; the dict is returned so a seeder can still change it before the flush."""
        # Every row of a table gets the same keys (executemany needs that): columns a row leaves out
        # come from a template of NULLs, and `version` starts at 1 on versioned tables.
        name = model.__tablename__
        template = self._templates.get(name)
        if template is None:
            table = model.__table__
            template = {c.name: None for c in table.columns if c.nullable}
            if "version" in table.columns:
                template["version"] = 1
            self._templates[name] = template
        row = template.copy()
        row.update(values)
        self.pending[name].append(row)
        return row

    def held(self, model) -> int:
        """Rows of this table written or waiting in this run."""
        name = model.__tablename__
        return self.counts[name] + len(self.pending.get(name, ()))

    def flush(self) -> None:
        """Write everything waiting, table by table in foreign-key order."""
        for table in db.metadata.sorted_tables:
            rows = self.pending.pop(table.name, None)
            if rows and table.name in _WORDS:  # what the flush would make for each record (services/search.py)
                for row in rows:
                    row["search_words"] = words(*(row.get(column) for column in _WORDS[table.name]))
            for start in range(0, len(rows or ()), CHUNK_ROWS):
                self._insert(table, rows[start : start + CHUNK_ROWS])
            if rows:
                self.counts[table.name] += len(rows)

    def _insert(self, table, rows: list[dict]) -> None:
        """One executemany of a Core INSERT, bypassing the session's flush listeners (the audit trail)."""
        # Values go through each column type's own bind processor (so dates, UTC times and enums are
        # stored exactly as SQLAlchemy stores them), but without its per-row parameter bookkeeping,
        # which costs more than the database does at a million rows.
        connection = self.session.connection()
        plan = self._plans.get(table.name)
        if plan is None:
            compiled = insert(table).compile(dialect=connection.dialect)
            names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
            dialect = connection.dialect
            processors = [
                (i, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for i, name in enumerate(names)
            ]
            plan = self._plans[table.name] = (
                str(compiled),
                names,
                [(i, p) for i, p in processors if p],
                compiled.positional,
            )
        sql, names, processors, positional = plan
        params = []
        for row in rows:
            values = [row[name] for name in names]
            for i, process in processors:
                if values[i] is not None:
                    values[i] = process(values[i])
            params.append(tuple(values) if positional else dict(zip(names, values, strict=True)))
        connection.exec_driver_sql(sql, params)


def existing_ids(model, key: str) -> dict:
    """{key: id} of the rows already held: a forced second seed reuses them instead of colliding."""
    return dict(db.session.execute(select(getattr(model, key), model.id)).all())


def advance_sequences(session, counts: Counter) -> None:
    """PostgreSQL: ids were given explicitly, so move each sequence past them or the next ORM insert collides."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.columns and counts.get(table.name):
            sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
            # Table names come from the models' metadata, never from input.
            session.execute(text(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table.name}"))'))  # nosec B608
