"""The team lead's KPI dashboard: every KPI of DESIGN.md §5 for a period, a locality and a GP practice; each figure
links to the records behind it; charts; the report as .docx and .xlsx. The figures come from `services.kpis`."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import Optional

from access import TEAM_LEAD
from admin.base import SecureView
from admin.listing import EXPORT_MAX_ROWS
from admin.lookups import localities
from exports import kpi_report
from formats.dates import format_date, today
from formats.numbers import record_id
from formats.words import plural
from models import AuditAction, DomainError, Organisation, OrganisationType, db
from services import audit, documents
from services.kpis.drills import DRILLS
from services.kpis.links import Link, parse_parts
from services.kpis.periods import PERIODS, Scope, period_dates
from services.kpis.records import describe_parts, drill_rows
from services.kpis.report import Report, build_report, chart_report
from services.kpis.tallies import counted_scope
from services.unit_of_work import perform
from web.forms import AppForm, DateField, WholeNumberField

#: Records listed a page at a time under a figure.
DRILL_PAGE_SIZE = 100


class KpiFilterForm(AppForm):
    """The period and filters (a GET form: the choice stays in the page's address, so a link can be shared)."""

    class Meta:
        csrf = False

    period = SelectField("Period", choices=list(PERIODS.items()), default="this_month")
    start = DateField("From (custom dates)", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    locality = SelectField("Locality", validate_choice=False)
    practice = SelectField("GP practice", validate_choice=False)


class DrillForm(KpiFilterForm):
    """A drill-down's address: the dashboard's choice, the figure's own dates and the page of its records."""

    page = WholeNumberField(validators=[Optional()], default=1)
    # A month's records: dates of their own within the period (`drill` and the repeated `part` are read as text).
    from_ = DateField("From", validators=[Optional()], name="from")
    to = DateField("To", validators=[Optional()])


class KpiView(SecureView):
    """`/admin/kpis/`: the dashboard, the records behind a figure, the charts and the reports."""

    roles = TEAM_LEAD

    def _filters(self, form: KpiFilterForm) -> tuple[Scope, str]:
        """The scope chosen, or DomainError with the sentence to show."""
        if not form.validate():
            raise DomainError("Check the dates: " + " ".join(e for errors in form.errors.values() for e in errors))
        key = form.period.data or "this_month"
        start, end = period_dates(key, today(), form.start.data, form.end.data)
        label = PERIODS[key] if key != "custom" else f"{format_date(start)} to {format_date(end)}"
        locality, practice = (self._chosen(field) for field in (form.locality, form.practice))
        return Scope(start, end, locality, practice), label

    @staticmethod
    def _chosen(field: SelectField) -> int | None:
        """The id chosen in a filter's select box (blank is all), or DomainError naming the box."""
        if not field.data:
            return None
        chosen = record_id(field.data)
        if chosen is None or str(chosen) not in {value for value, _ in field.choices}:
            raise DomainError(f"Choose a {field.label.text.lower()} from the list.")
        return chosen

    def _form(self, cls=KpiFilterForm):
        form = cls(formdata=request.args)
        form.locality.choices = [("", "All localities"), *((str(loc.id), loc.name) for loc in localities())]
        practices = db.session.execute(
            select(Organisation.id, Organisation.name)
            .where(Organisation.type == OrganisationType.gp_practice, Organisation.archived_at.is_(None))
            .order_by(Organisation.name)
        ).all()
        form.practice.choices = [("", "All GP practices"), *((str(i), name) for i, name in practices)]
        return form

    def _scope_args(self) -> dict:
        """The dashboard's own arguments, for links that keep the chosen period and filters."""
        keep = ("period", "start", "end", "locality", "practice")
        return {k: request.args[k] for k in keep if request.args.get(k)}

    def _figure_urls(self):
        """`figure_url(link)`: the list of the records behind a figure (the page's arguments read once, not per
        figure: a dashboard has hundreds)."""
        base, scope_args = url_for(".records"), self._scope_args()
        return lambda link: base + "?" + urlencode({**scope_args, **link.args()}, doseq=True)

    def _report(self) -> tuple[KpiFilterForm, Report | None]:
        form = self._form()
        try:
            scope, label = self._filters(form)
        except DomainError as error:
            flash(str(error), "error")
            return form, None
        return form, build_report(scope, label)

    @expose("/")
    def index(self):
        form, report = self._report()
        if report is not None:
            audit.record(AuditAction.list, table="kpi", detail=f"KPI dashboard: {self._described(report)}")
        return self.render(
            "admin/kpis/dashboard.html",
            form=form,
            report=report,
            figure_url=self._figure_urls(),
            scope_args=self._scope_args(),
            chart_alt=kpi_report.chart_alt,
        )

    @staticmethod
    def _described(report: Report) -> str:
        return f"{report.period_label} ({report.scope.label}), {report.locality}, {report.practice}"

    @expose("/records")
    def records(self):
        """The records behind one figure: as many rows as the figure says, a page at a time."""
        form = self._form(DrillForm)
        try:
            scope, label = self._filters(form)
            target = Link(
                request.args.get("drill", ""),
                parse_parts(request.args.getlist("part")),
                form.from_.data if request.args.get("from") else None,
                form.to.data if request.args.get("from") else None,
            )
            if (target.start is None) != (target.end is None) or (target.start and target.end < target.start):
                raise DomainError("This list's dates are not a period.")
            drill = DRILLS.get(target.drill)
            if drill is None:
                raise DomainError("There is no such list of records.")
            page = max(1, form.page.data or 1)
            total, rows = drill_rows(
                target, counted_scope(scope), DRILL_PAGE_SIZE, (page - 1) * DRILL_PAGE_SIZE, tallied=True
            )
        except DomainError as error:
            flash(str(error), "error")
            return redirect(url_for(".index", **self._scope_args()))
        narrowed = describe_parts(target)
        shown = f"{drill.title}{' (' + narrowed + ')' if narrowed else ''}"
        dates = f"{format_date(target.start)} to {format_date(target.end)}" if target.start else scope.label
        where = ", ".join(dict(field.choices).get(str(key or "")) for field, key in
                          ((form.locality, scope.locality_id), (form.practice, scope.practice_id)))  # fmt: skip
        detail = f"KPI records: {shown}, {dates}, {where}: {plural(total, 'row')}"
        audit.record(AuditAction.list, table="kpi", detail=detail)
        audit.record_patients_shown(
            AuditAction.list, [r.patient_id for r in rows if r.patient_id], table="patient", detail=detail
        )
        pages = max(1, -(-total // DRILL_PAGE_SIZE))
        page_url = lambda n: (
            url_for(".records")
            + "?"
            + urlencode(  # noqa: E731
                {**{k: v for k, v in request.args.items(multi=True) if k != "page"}, "page": n}, doseq=True
            )
        )
        return self.render(
            "admin/kpis/records.html",
            drill=drill,
            shown=shown,
            label=label,
            dates=dates,
            total=total,
            rows=rows,
            page=page,
            pages=pages,
            page_url=page_url,
            back=url_for(".index", **self._scope_args()),
        )

    @expose("/chart/<chart_name>.svg")  # not <name>: Flask-Admin's _handle_view takes that argument itself
    def chart(self, chart_name: str):
        """A chart as an SVG file, for an <img> on the dashboard (never inlined: see exports.charts)."""
        if chart_name not in kpi_report.CHARTS:
            abort(404)
        try:
            scope, label = self._filters(self._form())
        except DomainError:
            abort(404)
        report = chart_report(scope, chart_name, label)
        return Response(kpi_report.chart(report, chart_name, "svg"), mimetype="image/svg+xml")

    @expose("/report.<fmt>")
    def report(self, fmt: str):
        """The period's KPI report, recorded and audited like every document."""
        if fmt not in ("docx", "xlsx"):
            abort(404)
        form, report = self._report()
        if report is None:
            return redirect(url_for(".index", **self._scope_args()))
        done = perform(lambda: documents.generate_kpi_report(report, fmt, current_user, EXPORT_MAX_ROWS), say=False)
        if not done:
            flash(done.message, "error")
            return redirect(url_for(".index", **self._scope_args()))
        mimetype = documents.DOCX if fmt == "docx" else documents.XLSX
        return send_file(io.BytesIO(done.value.content), mimetype=mimetype, as_attachment=True,
                         download_name=done.value.filename)  # fmt: skip


def register(admin) -> None:
    admin.add_view(KpiView(name="KPI dashboard", category="Reports", endpoint="kpis", url="/admin/kpis"))
