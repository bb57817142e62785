"""What the catalogue screens share: French choices and validators, the
FAB interface and base view, the period picker, and the completion of the
forms' fields."""

from __future__ import annotations

from flask import redirect, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from app.catalogue.models import Period, Reception
from app.core.errors import DomainError
from app.core.fields import FrenchIntegerField, NumberWidget
from app.extensions import db
from exports.lists import ExcelExportMixin

# --------------------------------------------------------------------------
# shared pieces

REQUIRED = _l("This field is required.")
WEEKDAY_CHOICES = [(str(i), _l(name)) for i, name in enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))]
WEEKS_CHOICES = [(1, _l("the week before")), (2, _l("two weeks before"))]
ZONE_CHOICES = [("A", _l("Zone A")), ("B", _l("Zone B")), ("C", _l("Zone C"))]


def required(form, field):
    if field.errors:  # the value could not be read: keep that message
        raise StopValidation()
    if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
        raise StopValidation(str(REQUIRED))


def int_field(label, description="", minimum=0, optional=False, maximum=None):
    validators = [Optional()] if optional else [InputRequired(message=REQUIRED)]
    validators.append(NumberRange(min=minimum, max=maximum, message=_l(
        "Type a whole number between %(min)s and %(max)s.") if maximum is not None
        else _l("Type a whole number of at least %(min)s.")))
    return whole_number(label, validators=validators, description=description)


def whole_number(label, **kwargs) -> FrenchIntegerField:
    """A whole number typed in a number input, refused in the catalogue's words."""
    return FrenchIntegerField(label, invalid_value_message=_l("Not a whole number."),
                              widget=NumberWidget(), **kwargs)


def yes_no(value) -> str:
    return _("Yes") if value else _("No")


class _FilterConverter(SQLAFilterConverter):
    """FAB's converter, knowing time columns too (it logs a warning for each
    time column of every view otherwise)."""

    conversion_table = SQLAFilterConverter.conversion_table + (
        ("is_time", [FilterEqual, FilterNotEqual]),)


class FrenchInterface(SQLAInterface):
    """SQLAInterface whose database errors come out as French messages."""

    filter_converter_class = _FilterConverter

    def is_time(self, col_name: str) -> bool:
        from sqlalchemy import Time

        column = self.list_columns.get(col_name)
        return column is not None and isinstance(getattr(column, "type", None), Time)

    def add(self, item, commit=True):
        try:
            super().add(item, commit)
        except SQLAlchemyError:
            raise DomainError(_l(
                "This could not be saved: another record already has this name or these "
                "values, or a linked record is missing.")) from None

    def edit(self, item, commit=True):
        try:
            super().edit(item, commit)
        except Exception:
            db.session.rollback()
            raise DomainError(_l(
                "This could not be saved: another record already has this name or these "
                "values, or a linked record is missing.")) from None

    def delete(self, item, commit=True):
        try:
            super().delete(item, commit)
        except Exception:
            db.session.rollback()
            raise DomainError(_l(
                "This cannot be deleted: other records depend on it (bookings, units, "
                "tariffs…). Remove them first, or unpublish it instead.")) from None


class CatalogueModelView(ExcelExportMixin, ModelView):
    """What every catalogue screen shares (with "Exporter (Excel)" on its list)."""

    page_size = 25
    # no can_download: FAB's /download/<filename> would serve any uploaded file
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    add_row_message = _l("The record was added.")
    edit_row_message = _l("The changes were saved.")
    delete_row_message = _l("The record was deleted.")
    database_error_message = _l(
        "This could not be saved: another record already has this name or these values, "
        "or a linked record is missing.")

    def post_add(self, item):
        from flask import g

        g.catalogue_added_pk = item.id

    def post_add_redirect(self):
        """After an add, show the new record (its related lists and actions)."""
        from flask import g

        pk = getattr(g, "catalogue_added_pk", None)
        if pk is not None:
            return redirect(url_for(f"{type(self).__name__}.show", pk=pk))
        return super().post_add_redirect()

    def _refuse(self, error: DomainError):
        """Undo what the hook started and let FAB flash the French message."""
        db.session.rollback()
        raise error

    def _flush(self, item):
        try:
            db.session.add(item)
            db.session.flush()
        except SQLAlchemyError:
            db.session.rollback()
            raise DomainError(self.database_error_message) from None


def period_label(period: Period) -> str:
    return f"{period.reception.facility.name} › {period.name}"


def _periods():
    return db.session.scalars(select(Period).options(
        joinedload(Period.reception).joinedload(Reception.facility))
        .order_by(Period.start_date.desc(), Period.name)).unique().all()


def period_field(description=""):
    return QuerySelectField(_l("Opening period"), query_func=_periods,
                            get_pk_func=lambda p: p.id, get_label=period_label,
                            widget=Select2Widget(), validators=[required],
                            description=description)



def acting_user():
    """The logged-in user (FAB's g.user), or None."""
    from flask import g

    return getattr(g, "user", None)


def complete_fields(view) -> None:
    """Finish the forms of a view:
    - booleans become plain check boxes (FAB makes a non-nullable boolean "required",
      so an unticked box would be refused), and text columns that default to ""
      become optional fields;
    - the fields defined here get the descriptions of ``description_columns``
      (FAB only applies them to the fields it builds itself).
    """
    from sqlalchemy import Boolean, String, Text

    table = view.datamodel.obj.__table__
    labels = view.label_columns or {}
    descriptions = view.description_columns or {}
    def listed(columns, fieldsets):
        if fieldsets:
            return [name for _title, group in fieldsets for name in group["fields"]]
        return columns or []

    for attr, columns in (
            ("add_form_extra_fields", listed(view.add_columns, view.add_fieldsets)),
            ("edit_form_extra_fields", listed(view.edit_columns, view.edit_fieldsets))):
        fields = dict(getattr(view, attr) or {})
        for name in columns:
            if name in fields or name not in table.c:
                continue
            column = table.c[name]
            label = labels.get(name, name)
            if isinstance(column.type, Boolean):
                default = bool(column.default.arg) if column.default is not None else False
                fields[name] = BooleanField(label, default=default)
            elif isinstance(column.type, Text):
                fields[name] = TextAreaField(label, validators=[Optional()],
                                             widget=BS3TextAreaFieldWidget())
            elif isinstance(column.type, String) and column.default is not None \
                    and column.default.arg == "":
                fields[name] = StringField(label, widget=BS3TextFieldWidget(), validators=[
                    Optional(), Length(max=column.type.length or 10000)])
        for name, field in fields.items():
            text = descriptions.get(name)
            if text is not None and hasattr(field, "kwargs"):
                field.kwargs.setdefault("description", text)
        setattr(view, attr, fields)
