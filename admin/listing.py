"""Record screens' lists (bounded query-string arguments; a filter that cannot be read lists nothing and says why) and
their CSV and XLSX exports (capped, audited, inert)."""

from __future__ import annotations

import io
import unicodedata
from itertools import islice

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_admin.model.filters import BaseIntFilter, BaseIntListFilter
from flask_admin.tools import rec_getattr
from sqlalchemy import false, func, literal, select
from sqlalchemy.orm import Query, joinedload

from exports.spreadsheets import csv_text, workbook_bytes
from formats.numbers import MAX_ID, whole_number
from formats.words import plural
from models import AuditAction, among, utcnow
from services import audit

#: Most rows one export may hold; a larger export must be narrowed with filters.
EXPORT_MAX_ROWS = 10_000
#: An export reads its rows this many at a time (on PostgreSQL through a server-side cursor), not all at once.
EXPORT_BATCH = 1_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: Said after a filter that could not be read: the list is empty on purpose, not because nothing matched.
NOTHING_LISTED = "Nothing is listed until the filter is corrected or removed."


def filter_refusal(flt, value) -> str | None:
    """Why a list filter's typed value cannot be used, in words (None when it can).

    Our date and time filters say what to type (`admin.filters`); a whole-number filter's value must be one a
    record could have; any other filter's value must be one it can read (a choice a URL was edited to lose).
    """
    own = getattr(flt, "refusal", None)
    if own is not None:
        return own(value)
    if isinstance(flt, (BaseIntFilter, BaseIntListFilter)):
        if any(whole_number(n, minimum=-MAX_ID) is None for n in str(value).split(",")):
            return f"{value} is not a whole number a record could have."
        return None
    try:
        readable = flt.validate(value)
    except (LookupError, TypeError, ValueError):  # an enum filter's unknown choice raises KeyError
        readable = False
    return None if readable else f"“{value}” is not one of its choices."


#: A list counts its rows up to this many; past it the page says "more than 10,000" (an exact count of a million
#: actions took most of the list's time, and nobody pages through ten thousand records: they filter).
COUNT_CAP = 10_000


class CappedCount(Query):
    """A list's count query (Flask-Admin calls `scalar()` on it, after adding the filters and the search) that stops
    counting past `COUNT_CAP`: the rows are counted up to one more than the cap."""

    def scalar(self):
        rows = self.with_entities(literal(1)).limit(COUNT_CAP + 1).subquery()
        return self.session.scalar(select(func.count()).select_from(rows))


def counted(count: int | None, word: str) -> str:
    """A list's count in words: "25 records", or "more than 10,000 records" past the cap."""
    if (count or 0) > COUNT_CAP:
        return f"more than {plural(COUNT_CAP, word)}"
    return plural(count or 0, word)


def capped_count_query(session, model) -> CappedCount:
    """What `get_count_query` returns: a count of `model`'s rows that stops past the cap."""
    return CappedCount([func.count("*")], session=session).select_from(model)


class BoundedListArguments:
    """Mixed into the secured model view: what a list's query string may ask for, within bounds."""

    #: Pages past this are empty anyway; a bigger number is read as this one (not sent to the database as an offset).
    MAX_PAGE = 100_000

    def _get_list_filter_args(self):
        """The list's filters in the order chosen, each kept as typed, even one that cannot be read: that one is
        shown in its box to correct, said why on the list, and lists nothing (see `get_list`), never the whole
        table. (Flask-Admin's own would drop it with "Invalid Filter Value" and list every row.)"""
        chosen = []
        for arg, value in request.args.items():
            position, _, key = arg.removeprefix("flt").partition("_")
            if arg.startswith("flt") and key in (self._filter_args or {}):
                index, flt = self._filter_args[key]
                chosen.append((whole_number(position) or 0, (index, str(flt.name), value)))
        filters = [found for _, found in sorted(chosen, key=lambda pair: pair[0])]
        if request.endpoint == f"{self.endpoint}.index_view":
            for message in self.filter_refusals(filters):
                flash(message, "error")
        return filters

    def filter_refusals(self, filters) -> list[str]:
        """What is wrong with each filter that cannot be used, as the list says it."""
        refusals = []
        for index, name, value in filters or ():
            why = filter_refusal(self._filters[index], value)
            if why:
                refusals.append(f"{name}: {why} {NOTHING_LISTED}")
        return refusals

    #: Loader options for an export's rows (up to 10,000): the columns its cells show, and no others. Each is given
    #: `raiseload=True`, so a cell that needs a column left out fails in the export's test rather than reading it row
    #: by row. Empty: every column, as the list loads them.
    column_export_loads: tuple = ()

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """No rows while a filter cannot be read (the list says why), rather than all of them.

        A page of a list reads its ids first (filtered, searched, ordered and skipped in the list's own indexes,
        nothing joined), then those rows by id alone, with the records the list shows beside them, in the ids'
        order. Read in one query, every row skipped to reach a later page was joined to its patient, meeting and
        owner too (page 50 of the actions: 1,250 rows joined, 26 ms on PostgreSQL), and PostgreSQL, given the
        search's matches and the page's ids together, walked every open action to find 25 (60 ms). An export (the
        export endpoint's request, up to its cap) gets its rows as batches of `EXPORT_BATCH`, read as they are
        wanted, loading only `column_export_loads` where a list names them. A page's rows are given `with_facts`; an
        export's batches each get theirs as its cells are made (`SpreadsheetExports._export_cells`)."""
        if self.filter_refusals(filters):
            return 0, ([] if execute else self.get_query().filter(false()))
        count, query = super().get_list(page, sort_column, sort_desc, search, filters, False, page_size)
        if not execute:
            return count, query
        if request.endpoint == f"{self.endpoint}.export":
            return count, _batches(query.options(*self.column_export_loads))
        key = getattr(self.model, self._primary_key)
        ids = [found for (found,) in query.with_entities(key)]
        rows = self.get_query().filter(among(key, ids)).options(*(joinedload(j) for j in self._auto_joins))
        by_id = {getattr(row, self._primary_key): row for row in rows} if ids else {}
        page_rows = [by_id[found] for found in ids if found in by_id]
        self.with_facts(page_rows)
        return count, page_rows

    def with_facts(self, rows: list) -> None:
        """What the list shows beside its rows, worked out together for the rows given (a page, or a batch of an
        export) in a fixed number of queries, for its formatters to read: nothing here; the actions' chases, the
        onward referrals' chases, the caseload board's facts and the audit trail's words are their lists' own."""

    def _get_list_extra_args(self):
        """Page numbers, sizes and sort indexes bounded; a search in NFC (as the data are stored)."""
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), self.MAX_PAGE)
        args.page_size = args.page_size if args.page_size in self.page_size_options else None
        if args.sort is not None and not 0 <= args.sort < len(self._list_columns or []):
            args.sort = None
        if args.search:
            args.search = unicodedata.normalize("NFC", args.search)
        return args


class SpreadsheetExports:
    """Mixed into the secured model view: Flask-Admin's export endpoints, written with our spreadsheet writers."""

    export_types = ["csv", "xlsx"]
    export_max_rows = EXPORT_MAX_ROWS

    def _export_table(self) -> tuple[list[str], list[list]]:
        """The export's header and its rows' cells (capped), made a batch of rows at a time; then the export is
        audited with its filters and how many rows it holds. The document is built whole before it is sent, so the
        request's commit (the audit entry) comes after every row has been read."""
        count, batches = self._export_data()  # Flask-Admin's: the list's filters, search and order, at most the cap
        table: list[list] = []
        for batch in batches:
            table += self._export_cells(batch)
        detail = (
            f"{request.view_args.get('export_type')} {audit.describe_request_filters()} rows={len(table)} of {count}"
        )
        audit.record(AuditAction.export, table=self.model.__tablename__, detail=detail)
        return [label for _, label in self._export_columns], table

    def _export_cells(self, batch: list) -> list[list]:
        """One batch of rows as cells, with the facts the list shows beside them."""
        self.with_facts(batch)
        cells = [self._export_cell(name) for name, _ in self._export_columns]
        return [[cell(row) for cell in cells] for row in batch]

    def _export_cell(self, name: str):
        """Flask-Admin's `get_export_value` for one column, worked out once an export rather than once a cell (90,000
        cells took 0.3 s): the column's formatter or its value, a choice's words, then the formatter of the value's
        type, found once for each type (the first whose `isinstance` holds, as Flask-Admin looks)."""
        formatter = self.column_formatters_export.get(name)
        choices = self._column_choices_map.get(name, {})
        by_type: dict[type, object] = {}

        def type_formatter(value):
            kind = type(value)
            if kind not in by_type:
                found = (f for t, f in self.column_type_formatters_export.items() if isinstance(value, t))
                by_type[kind] = next(found, None)
            return by_type[kind]

        def cell(row):
            value = formatter(self, None, row, name) if formatter else rec_getattr(row, name)
            if choices:
                return choices.get(value) or value
            shown = type_formatter(value)
            return value if shown is None else shown(self, value, name)

        return cell

    def _refused_export(self):
        """A list whose filter cannot be read exports nothing: back to that list, which says why and lists nothing
        (the filters are `BoundedListArguments`', mixed into the same view)."""
        if self.filter_refusals(self._get_list_filter_args()):
            return redirect(url_for(".index_view", **request.args))
        return None

    def _export_csv(self, return_url):
        if refused := self._refused_export():
            return refused
        body = csv_text(*self._export_table())
        disposition = f"attachment; filename={self.get_export_name('csv')}"
        return Response(body, mimetype="text/csv", headers={"Content-Disposition": disposition})

    def _export_tablib(self, export_type, return_url):
        """XLSX through XlsxWriter, keeping numbers as real cells (Flask-Admin's makes all text)."""
        if export_type != "xlsx":
            abort(404)
        if refused := self._refused_export():
            return refused
        body = workbook_bytes(self.name, *self._export_table())
        return send_file(
            io.BytesIO(body), mimetype=XLSX, as_attachment=True, download_name=self.get_export_name("xlsx")
        )

    def get_export_name(self, export_type: str = "csv") -> str:
        return f"{self.endpoint}-{utcnow():%Y%m%d-%H%M}.{export_type}"


def _batches(query):
    """An export's rows, `EXPORT_BATCH` at a time, read as they are wanted (`yield_per`)."""
    rows = iter(query.yield_per(EXPORT_BATCH))
    while batch := list(islice(rows, EXPORT_BATCH)):
        yield batch
