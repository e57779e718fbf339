"""Record screens' lists (bounded query-string arguments) and their CSV and XLSX exports (capped, audited, inert)."""

from __future__ import annotations

import io
import unicodedata

from flask import Response, abort, flash, request, send_file
from flask_admin.model.filters import BaseIntFilter, BaseIntListFilter

from exports.spreadsheets import csv_text, workbook_bytes
from formats.numbers import MAX_ID, whole_number
from models import AuditAction, utcnow
from services import audit

#: Most rows one export may hold; a larger export must be narrowed with filters.
EXPORT_MAX_ROWS = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BoundedListArguments:
    """Mixed into the secured model view: what a list's query string may ask for, within bounds."""

    #: Pages past this are empty anyway; a bigger number is read as this one (not sent to the database as an offset).
    MAX_PAGE = 100_000

    def _get_list_filter_args(self):
        """A whole-number filter's value that is not one (or is past the database's integer range) names nothing:
        refused with a message."""
        kept = []
        for index, name, value in super()._get_list_filter_args() or []:
            numbers = str(value).split(",")
            if isinstance(self._filters[index], (BaseIntFilter, BaseIntListFilter)) and any(
                whole_number(n, minimum=-MAX_ID) is None for n in numbers
            ):
                flash(f"{name}: {value} is not a whole number a record could have.", "error")
                continue
            kept.append((index, name, value))
        return kept

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

    def _export_data(self):
        count, rows = super()._export_data()
        detail = (
            f"{request.view_args.get('export_type')} {audit.describe_request_filters()} rows={len(rows)} of {count}"
        )
        audit.record(AuditAction.export, table=self.model.__tablename__, detail=detail)
        return count, rows

    def _export_table(self) -> tuple[list[str], list[list]]:
        """The export's header and rows (capped), built in full so the audit commit cannot expire them mid-stream."""
        _, rows = self._export_data()
        columns = self._export_columns
        return [label for _, label in columns], [[self.get_export_value(r, name) for name, _ in columns] for r in rows]

    def _export_csv(self, return_url):
        body = csv_text(*self._export_table())
        disposition = f"attachment; filename={self.get_export_name('csv')}"
        return Response(body, mimetype="text/csv", headers={"Content-Disposition": disposition})

    def _export_tablib(self, export_type, return_url):
        """XLSX through openpyxl, keeping numbers and dates as real cells (Flask-Admin's makes all text)."""
        if export_type != "xlsx":
            abort(404)
        body = workbook_bytes(self.name, *self._export_table())
        return send_file(
            io.BytesIO(body), mimetype=XLSX, as_attachment=True, download_name=self.get_export_name("xlsx")
        )

    def get_export_name(self, export_type: str = "csv") -> str:
        return f"{self.endpoint}-{utcnow():%Y%m%d-%H%M}.{export_type}"
