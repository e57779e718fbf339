"""The secured views every screen inherits: sign-in, roles, row scope, one unit of work, safe exports."""

from __future__ import annotations

import logging

from flask import abort, flash, request
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import create_ajax_loader
from flask_admin.contrib.sqla.tools import get_primary_key
from flask_admin.tools import iterdecode
from flask_login import current_user

from access import NOBODY, STAFF, in_scope, row_filters
from admin.formatters import DETAIL_TYPE_FORMATTERS, EXPORT_TYPE_FORMATTERS, TYPE_FORMATTERS
from admin.forms import GuardedForms, LabelledFilterConverter, RecordConverter
from admin.listing import BoundedListArguments, SpreadsheetExports, capped_count_query, counted
from admin.lookups import ScopedAjaxLoader
from admin.roles import RoleRules, refuse, signed_in, to_sign_in
from admin.words import OwnWords
from formats.numbers import record_id
from formats.words import plural
from models import AuditAction, Patient, db
from services import audit
from services.forms import FormAlreadyUsed, remember_saved, use_form_token
from services.home_pages import MONTH_FIGURES_ROLES, home_page, month_headlines
from services.records import archive_records, restore_records
from services.search import matching
from services.unit_of_work import STALE_EDIT_MESSAGE, Outcome, perform
from web.forms import AppForm

log = logging.getLogger(__name__)

#: Labels every record screen shares for the columns every record has.
COMMON_LABELS = {"created_at": "Added", "updated_at": "Last changed", "archived_at": "Archived"}


class SecureIndexView(OwnWords, AdminIndexView):
    """The admin home page: signed-in users only."""

    def is_accessible(self) -> bool:
        return signed_in()

    def inaccessible_callback(self, name, **kwargs):
        return to_sign_in()

    @expose("/")
    def index(self):
        """Today's work for the signed-in person's role (services/home_pages.py), each item linked to its list."""
        page = home_page(current_user)
        if any(item.lines for item in page.lists):  # it names patients: read like a list of them
            audit.record(AuditAction.list, table="home", detail=f"Home page ({current_user.role.label})")
        return self.render("admin/index.html", page=page, counted=counted)

    @expose("/month-figures")
    def month_figures(self):
        """The team lead's home page's headline KPIs for the month, as a part of the page it fetches once shown
        (no patient is named: the figures are counts, each linked to the records behind it)."""
        if current_user.role not in MONTH_FIGURES_ROLES:
            abort(403)
        return self.render("admin/home_month_figures.html", headlines=month_headlines())


class OneUnitOfWork:
    """What every secured view shares: a request's changes are committed in exactly one place."""

    def perform(self, operation, success=None) -> Outcome:
        """Run a service and commit once, or roll back and say why (see unit_of_work.perform)."""
        return perform(operation, success)


class SecureView(OwnWords, OneUnitOfWork, BaseView):
    """A custom (non-model) page: sign-in required, then `roles` decide; anonymous users go to sign-in."""

    #: Roles that may open the page; a view narrows single routes further with `require`.
    roles: frozenset = STAFF

    def is_accessible(self) -> bool:
        return signed_in() and current_user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        return refuse()

    def require(self, roles: frozenset) -> None:
        """Refuse this request unless the signed-in user has one of `roles`."""
        if current_user.role not in roles:
            abort(403)


class WrittenByWorkflow:
    """Role profile of a screen listing rows that a workflow writes (decisions, chases, emails): read only."""

    roles_create = roles_edit = roles_archive = NOBODY


class SecureModelView(
    OwnWords, OneUnitOfWork, RoleRules, GuardedForms, BoundedListArguments, SpreadsheetExports, ModelView
):
    """A model screen that requires sign-in, applies role rules and the row scope everywhere."""

    form_base_class = AppForm
    model_form_converter = RecordConverter
    filter_converter = LabelledFilterConverter()
    can_delete = False  # records are archived, never deleted
    can_view_details = True
    can_set_page_size = True
    page_size = 25
    page_size_options = (25, 50, 100)
    named_filter_urls = True
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    #: Exports carry plain values, not the list's links (a view names its own export formatters).
    column_formatters_export = {}
    list_template = "admin/model/ilr_list.html"

    #: Shown on the record page after the form's fields, before the record's times (a view's own extras).
    column_details_extra: tuple = ()

    def __init__(self, model, *args, **kwargs):
        self.column_labels = COMMON_LABELS | (self.column_labels or {})
        if self.column_details_list is None and self.form_columns:
            times = [name for name in COMMON_LABELS if hasattr(model, name)]
            self.column_details_list = [*self.form_columns, *self.column_details_extra, *times]
        super().__init__(model, *args, **kwargs)

    def perform(self, operation, success=None) -> Outcome:
        """As every view, and on a record screen an unexpected failure also keeps the form: a plain message."""
        try:
            return super().perform(operation, success)
        except FormAlreadyUsed:
            raise  # not a failure: the form's first send was saved (GuardedForms.create_view shows it)
        except Exception:
            db.session.rollback()
            log.exception("Save failed")
            flash("Something went wrong and nothing was saved. Please try again.", "error")
            return Outcome(False)

    # --- row scope ----------------------------------------------------------------------------

    def scope(self, query, include_archived: bool = False):
        """Limit a query on this view's model to the signed-in user's rows (and to live parents: `scope_parent`)."""
        return query.filter(*row_filters(self.model, current_user, include_archived))

    def _list_scope(self, query):
        """The list's rows: live ones, or on the team lead's archived view only the archived ones."""
        query = self.scope(query, self.showing_archived)
        return query.filter(self.model.archived_at.is_not(None)) if self.showing_archived else query

    def get_query(self):
        return self._list_scope(super().get_query())

    def get_count_query(self):
        """The list's count, within its scope, stopping past `COUNT_CAP` (the page then says "more than 10,000")."""
        return self._list_scope(capped_count_query(db.session, self.model))

    def rows(self, ids, include_archived: bool = False) -> list:
        """The rows named by posted ids (a bulk action's), within the list's scope; other ids name nothing."""
        pk = getattr(self.model, get_primary_key(self.model))
        keys = [key for key in map(record_id, ids) if key is not None]
        return self.scope(db.session.query(self.model), include_archived).filter(pk.in_(keys)).all()

    def get_one(self, id):
        """One row by id, within the same scope as the list (the team lead also reaches archived rows)."""
        key = iterdecode(id)
        row = in_scope(self.model, key[0], include_archived=True) if len(key) == 1 else None
        if row is not None and request.method == "GET":
            table, patient_id = self.model.__tablename__, audit.patient_id_of(row)
            audit.record(AuditAction.view, table=table, record_id=row.id, patient_id=patient_id)
        return row

    @property
    def holds_patient_data(self) -> bool:
        """Lists of these rows name patients (their own, or their parent's): each list or search is audited."""
        parent = getattr(self.model, "scope_parent", None)
        parent_model = getattr(self.model, parent).property.mapper.class_ if parent else None
        return self.model is Patient or hasattr(self.model, "patient_id") or hasattr(parent_model, "patient_id")

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if self.holds_patient_data and request.endpoint == f"{self.endpoint}.index_view":
            detail = f"{audit.describe_request_filters()} rows={count}"
            audit.record(AuditAction.list, table=self.model.__tablename__, detail=detail)
        return count, rows

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """The list's search through the one search (services/search.py): each typed word through an index where the
        records keep words, a patient's name or NHS number through the patient's."""
        clause = matching(self.model, list(self.column_searchable_list or ()), search)
        if clause is None:
            return query, count_query, joins, count_joins
        count_query = count_query.filter(clause) if count_query is not None else None
        return query.filter(clause), count_query, joins, count_joins

    def _create_ajax_loader(self, name, options):
        loader = create_ajax_loader(self.model, db.session, name, name, options)
        return ScopedAjaxLoader(name, db.session, loader.model, **options)

    def _get_list_url(self, view_args):
        """Keep the team lead's "archived" view across paging, sorting and filtering."""
        url = super()._get_list_url(view_args)
        return url + ("&" if "?" in url else "?") + "archived=1" if self.showing_archived else url

    # --- one unit of work: Flask-Admin's saves go through `perform` ------------------------------

    def create_model(self, form):
        def create():
            used = use_form_token(form.form_token.data)  # the same form sent twice saves once
            model = self.build_new_instance()
            form.populate_obj(model)
            db.session.add(model)
            self._on_model_change(form, model, True)
            remember_saved(used, model)
            return model

        done = self.perform(create)
        if done:
            self.after_model_change(form, done.value, True)
        return done.value if done else False

    def update_model(self, form, model):
        """Refuse a save from a form opened before someone else's save; the form keeps what was typed."""
        if self.versioned and str(model.version) != (form.expected_version.data or ""):
            flash(STALE_EDIT_MESSAGE, "error")
            return False

        def update():
            form.populate_obj(model)
            self._on_model_change(form, model, False)
            db.session.flush()

        done = self.perform(update)
        if done:
            self.after_model_change(form, model, False)
        return done.ok

    def delete_model(self, model):
        """Not offered (`can_delete` is off: records are archived); kept in the one unit of work all the same."""
        return self.perform(lambda: (self.on_model_delete(model), db.session.delete(model), db.session.flush())).ok

    # --- archive and restore ------------------------------------------------------------------

    @action("archive", "Archive", "Archive the selected records? They leave lists, exports and reports.")
    def action_archive(self, ids):
        self.perform(
            lambda: archive_records(self.rows(ids), current_user), lambda n: f"{plural(n, 'record')} archived."
        )

    @action("restore", "Restore", "Restore the selected records to lists and reports?")
    def action_restore(self, ids):
        self.perform(
            lambda: restore_records(self.rows(ids, True), current_user), lambda n: f"{plural(n, 'record')} restored."
        )
