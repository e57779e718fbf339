"""Record screens' CSV and XLSX exports: capped, audited with their filter and row count, every cell inert."""

from __future__ import annotations

import io

from flask import Response, abort, request, send_file

import audit
from exports.spreadsheets import csv_text, workbook_bytes
from models import AuditAction, utcnow

#: Most rows one export may hold; a larger export must be narrowed with filters.
EXPORT_MAX_ROWS = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
