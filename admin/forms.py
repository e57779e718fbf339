"""How record screens read and filter: Flask-Admin's form and filter converters, and the guards on its forms.

The form base, fields and validators every form shares are in `web.forms`.
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterConverter, FilterEmpty
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import filters
from flask_admin.model.form import converts
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from access import in_scope
from admin.filters import DATE_FILTERS, TIME_FILTERS
from models import LabelledEnum, db
from services.forms import ALREADY_SAVED, FormAlreadyUsed, Saved, check_form_token, new_form_token
from web.forms import DateField, LondonDateTimeField, MaxLength, YesNoField, one_character_line_breaks

#: Text columns at least this long are typed in a multi-line box.
LONG_TEXT = 1000


class GuardedForms:
    """Mixed into the secured model view: a create form carries a one-time token (sent twice, it saves once, and the
    second send lands on what the first saved) and an edit form the record's version (a save over someone else's
    newer one is refused)."""

    versioned = property(lambda self: hasattr(self.model, "version"))

    def scaffold_form(self):
        form_class = super().scaffold_form()
        form_class.form_token = HiddenField()
        if self.versioned:
            form_class.expected_version = HiddenField()
        return form_class

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """Flask-Admin's create page; a form sent again after it was saved (a double click) shows what was saved."""
        try:
            return super().create_view()
        except FormAlreadyUsed as used:
            db.session.rollback()
            return self.already_saved(used.saved)

    def already_saved(self, saved: Saved | None):
        """The calm answer to a second send: the record the first one saved, with a link to it."""
        mine = saved is not None and saved.table == self.model.__tablename__
        record = in_scope(self.model, saved.record_id, include_archived=True) if mine else None
        if record is None:
            flash(ALREADY_SAVED, "info")
            return redirect(self.get_url(".index_view"))
        url = self.get_url(".details_view" if self.can_view_details else ".edit_view", id=record.id)
        flash(Markup('Already saved — here it is: <a href="{}">{}</a>.').format(url, record), "info")
        return redirect(url)

    def validate_form(self, form):
        """A create form sent again after it was saved is answered before its checks say anything else."""
        if hasattr(form, "form_token") and request.endpoint == f"{self.endpoint}.create_view":
            check_form_token(form.form_token.data)
        return super().validate_form(form)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.form_token.data = new_form_token()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if self.versioned and obj is not None and request.method == "GET":
            form.expected_version.data = obj.version
        return form


# --- converters: record screens' forms and filters ------------------------------------------------


class LabelledConverter(AdminModelConverter):
    """Select boxes for our enums show their labels, not their stored values."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column, field_args, **extra):
        field = super().convert_enum(column, field_args, **extra)
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None and issubclass(enum_class, LabelledEnum):
            field.kwargs["choices"] = enum_class.choices()
            field.kwargs["coerce"] = lambda v: v.value if isinstance(v, LabelledEnum) else str(v)
        return field

    @converts("UTCDateTime")
    def convert_utc_datetime(self, column, field_args, **extra):
        self._nullable_common(column, field_args)
        return LondonDateTimeField(**field_args)

    @converts("Date")
    def convert_date(self, column, field_args, **extra):
        """A native date input (the browser shows it as 25/11/2026 in en-GB)."""
        self._nullable_common(column, field_args)
        return DateField(**field_args)


class RecordConverter(LabelledConverter):
    """Every text field gets its column's length limit with a plain message; long text is a multi-line box.

    A view may name shorter columns that still read better on several lines in `form_textareas`.
    """

    @classmethod
    def _string_common(cls, column, field_args, **extra):
        length = getattr(column.type, "length", None)
        if isinstance(length, int) and length:
            field_args["validators"].append(MaxLength(length))
        field_args["filters"] = [one_character_line_breaks, *field_args.get("filters", [])]
        cls._nullable_common(column, field_args)

    @converts("String")
    def conv_String(self, column, field_args, **extra):
        self._string_common(column, field_args)
        long_text = (column.type.length or 0) >= LONG_TEXT or column.key in getattr(self.view, "form_textareas", ())
        return (TextAreaField if long_text else StringField)(**field_args)

    @converts("Boolean")
    def conv_Boolean(self, column, field_args, **extra):
        """A nullable yes/no keeps "not known" (a tick box could only say no)."""
        return (YesNoField if column.nullable else BooleanField)(**field_args)


class LabelledFilterConverter(FilterConverter):
    """Filters on our enums offer their labels; dates and times are typed as 20/12/2026 and 14:30 in London."""

    date_filters = (*DATE_FILTERS, FilterEmpty)
    datetime_filters = (*TIME_FILTERS, FilterEmpty)

    @filters.convert("enum")
    def conv_enum(self, column, name, options=None, **kwargs):
        enum_class = getattr(column.type, "enum_class", None)
        if not options and enum_class is not None and issubclass(enum_class, LabelledEnum):
            options = enum_class.choices()
        return super().conv_enum(column, name, options, **kwargs)

    @filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        """Our zone-aware timestamps (stored in UTC) are filtered by the London times people type."""
        return [f(column, name, **kwargs) for f in self.datetime_filters]


class FromDatabase:
    """A list filter's options read from the database each time the list shows them (the agencies, the team).

    Flask-Admin keeps a filter's options as they were when the screen was built, before any database is open;
    it iterates them afresh for every page, which is when this reads them.
    """

    def __init__(self, read):
        self.read = read

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        return iter(self.read())
