"""What the families screens share: the template globals, running a service
call (commit, or the French message of its refusal), form errors, and
sending a stored document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import abort, flash, send_file
from flask_appbuilder import BaseView
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import DomainError
from app.core import states
from app.extensions import db
from app.families import access, forms, services
from app.families.models import Document

# The forms whose labels name the file's fields in the agents' history.
LABELLED_FORMS = (forms.ProfileForm, forms.OtherGuardianForm, forms.AddressForm,
                  forms.HouseholdInfoForm, forms.ChildForm, forms.SchoolInfoForm,
                  forms.AuthorizedPersonForm)


def field_label(name: str) -> str:
    """The French label of a file field, for the agents' history."""
    for form_class in LABELLED_FORMS:
        field = getattr(form_class, name, None)
        if field is not None and hasattr(field, "args") and field.args:
            return str(field.args[0])
    return name


# The state enums the templates read, by their own names (HouseholdStatus, Sex…).
TEMPLATE_STATES = ("HouseholdStatus", "DocumentState", "Civility", "FamilySituation", "Sex",
                   "SchoolLevel")
TEMPLATE_GLOBALS = dict({name: getattr(states, name) for name in TEMPLATE_STATES},
                        field_label=field_label, password_rule=services.PASSWORD_RULE)


class FamiliesView(BaseView):
    """A BaseView whose templates get TEMPLATE_GLOBALS."""

    def render(self, template, **context):
        return self.render_template(template, **TEMPLATE_GLOBALS, **context)


def fail(error: DomainError) -> None:
    """Nothing of the refused call is kept; the family reads why."""
    db.session.rollback()
    flash(str(error.message), "danger")


@dataclass
class Outcome:
    """What ``attempt`` gives back: true when the call was committed."""

    ok: bool
    value: Any = None

    def __bool__(self) -> bool:
        return self.ok


def attempt(call: Callable[[], Any], success=None) -> Outcome:
    """Run a service call and commit. A DomainError is rolled back and
    flashed; otherwise ``success`` (a text, or a function of the call's
    result giving one) is flashed."""
    try:
        value = call()
        db.session.commit()
    except DomainError as error:
        fail(error)
        return Outcome(False)
    if success is not None:
        flash(success(value) if callable(success) else success, "success")
    return Outcome(True, value)


def flash_form_errors(form, labelled: bool = False) -> None:
    """Each error of a form posted from a page that does not show the form."""
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if labelled and hasattr(form, name) else ""
        for message in errors:
            flash(f"{label} : {message}" if label else str(message), "danger")


def require_confirm() -> None:
    """A button-only POST (ConfirmForm): 400 without its CSRF token."""
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)


def form_data(form, fields) -> dict:
    """The values of ``fields`` typed in ``form`` (texts stripped)."""
    values = {}
    for name in fields:
        if hasattr(form, name):
            value = getattr(form, name).data
            if isinstance(value, str):
                value = value.strip()
            values[name] = value
    return values


def row_or_404(model, row_id):
    """Any row of ``model`` by id (agents' pages), or 404."""
    row_id = access.valid_id(row_id)
    row = db.session.get(model, row_id) if row_id else None
    if row is None:
        abort(404)
    return row


def send_document(document: Document):
    """A stored document as a download (never shown inline)."""
    path = services.document_path(document)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class FamilyPages(FamiliesView):
    """The "Mon compte" pages: the household, the guardian and the address
    check in every template, a breadcrumb trail of (label, url) pairs."""

    route_base = "/compte"

    def page(self, template, crumbs=(), **context):
        household = context.get("household") or access.current_household()
        context.setdefault("household", household)
        context.setdefault("me", access.guardian_of(current_user))
        return self.render(template, crumbs=crumbs, verified=services.email_verified(household),
                           **context)

    def form_page(self, form, title, crumbs, next_label=None, **context):
        """A page with one of the file's forms (families/form_page.html)."""
        return self.page("families/form_page.html", form=form, title=title, crumbs=crumbs,
                         next_label=next_label or _("Validate"), **context)
