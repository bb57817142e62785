"""Agents: the families to validate, a household's file (documents, history,
decisions), and the document types families must provide."""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.core import clock
from app.core.models import AuditLog
from app.extensions import db
from app.families import access, forms, services
from app.families.models import (
    AuthorizedPerson,
    Child,
    Document,
    DocumentType,
    Household,
    SchoolInfo,
)
from app.families.views.common import (
    FamiliesView,
    attempt,
    require_confirm,
    row_or_404,
    send_document,
)
from exports.lists import ExcelExportMixin

AUDIT_LABELS = {
    "account_created": _l("Account created"),
    "email_verified": _l("E-mail address confirmed"),
    "profile_updated": _l("Profile changed"),
    "household_updated": _l("Household changed"),
    "guardian_added": _l("Other responsable added"),
    "guardian_updated": _l("Other responsable changed"),
    "guardian_invited": _l("Other responsable invited"),
    "invitation_accepted": _l("Invitation accepted"),
    "child_added": _l("Child added"),
    "child_updated": _l("Child changed"),
    "child_linked": _l("Child linked to this household"),
    "authorized_person_added": _l("Authorised person added"),
    "authorized_person_removed": _l("Authorised person removed"),
    "school_info_added": _l("School information added"),
    "school_info_updated": _l("School information changed"),
    "document_uploaded": _l("Document sent"),
    "document_accepted": _l("Document accepted"),
    "document_refused": _l("Document refused"),
    "household_submitted": _l("File sent for validation"),
    "household_validated": _l("Account validated"),
    "household_refused": _l("Account refused"),
    "qf_checked": _l("Quotient familial checked"),
    "closure_requested": _l("Closure requested"),
    "household_closed": _l("Account closed"),
    "data_exported": _l("Data downloaded"),
}


def _audit_rows(household):
    rows = db.session.scalars(select(AuditLog).where(AuditLog.household_id == household.id)
                              .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(200))
    user_model = current_app.appbuilder.sm.user_model
    result = []
    for row in rows:
        details = json.loads(row.details) if row.details else {}
        actor = db.session.get(user_model, row.actor_id) if row.actor_id else None
        result.append(dict(at=row.at, action=str(AUDIT_LABELS.get(row.action, row.action)),
                           actor=(actor.email if actor else ""),
                           after_validation=details.pop("after_validation", False),
                           changes=details.pop("changes", {}), details=details))
    return result


def _to_file(household_id):
    return redirect(url_for("StaffHouseholdQueueView.household", household_id=household_id))


class StaffHouseholdQueueView(FamiliesView):
    """Agents: households to validate, their file, document checks."""

    route_base = "/agents/familles"
    default_view = "queue"

    def _act(self, household_id, action, success):
        household = row_or_404(Household, household_id)
        attempt(lambda: action(household), success)
        return _to_file(household.id)

    def _decide(self, household_id, service, success):
        """A decision taken with one button (no reason to type)."""
        require_confirm()
        return self._act(household_id, lambda h: service(current_user, h, clock.now()),
                         str(success))

    def _refuse(self, household_id, refuse, success):
        """A refusal: the agent types the reason the family will read."""
        form = forms.ReasonForm()
        if not form.validate_on_submit():
            flash(str(services.REFUSAL_REASON_NEEDED), "danger")
            return _to_file(row_or_404(Household, household_id).id)
        return self._act(household_id, lambda h: refuse(h, form.reason.data), success)

    @expose("/")
    @has_access
    def queue(self):
        return self.render("families/staff_queue.html", rows=services.validation_queue(),
                           changes=services.changes_after_validation(clock.now()),
                           closing=services.closing_households(),
                           documents=services.documents_to_check(),
                           title=_("Families to validate"))

    @expose("/foyer/<int:household_id>")
    @has_access
    def household(self, household_id):
        household = row_or_404(Household, household_id)
        kids = services.children_of(household)
        persons = db.session.scalars(select(AuthorizedPerson).where(
            AuthorizedPerson.household_id == household.id)).all()
        infos = db.session.scalars(select(SchoolInfo).where(
            SchoolInfo.child_id.in_([c.id for c in kids] or [0]))).all()
        return self.render("families/staff_household.html", household=household,
                           guardians=services.guardians_of(household), children=kids,
                           persons=persons, infos=infos,
                           lines=services.document_lines(household, clock.today()),
                           missing=services.missing_labels(household),
                           verified=services.email_verified(household),
                           history=_audit_rows(household), form=forms.ConfirmForm(),
                           reason_form=forms.ReasonForm(), link_form=forms.LinkChildForm(),
                           title=str(household))

    @expose("/foyer/<int:household_id>/valider", methods=["POST"])
    @has_access
    def validate(self, household_id):
        return self._decide(household_id, services.validate_household,
                            _l("The account has been validated; the family has been told "
                               "by e-mail."))

    @expose("/foyer/<int:household_id>/refuser", methods=["POST"])
    @has_access
    def refuse(self, household_id):
        return self._refuse(household_id, lambda h, reason: services.refuse_household(
            current_user, h, reason, clock.now()),
            _("The account has been refused; the family has been told by e-mail."))

    @expose("/foyer/<int:household_id>/quotient-verifie", methods=["POST"])
    @has_access
    def qf_checked(self, household_id):
        return self._decide(household_id, services.mark_qf_checked,
                            _l("The quotient familial is marked as checked."))

    @expose("/foyer/<int:household_id>/rattacher", methods=["POST"])
    @has_access
    def link_child(self, household_id):
        form = forms.LinkChildForm()
        if not form.validate_on_submit():
            flash(_("Enter the number of the child."), "danger")
            return _to_file(row_or_404(Household, household_id).id)
        child_id = access.valid_id(form.child_id.data)
        child = db.session.get(Child, child_id) if child_id else None
        if child is None:
            flash(_("No child has this number."), "danger")
            return _to_file(row_or_404(Household, household_id).id)
        return self._act(household_id, lambda h: services.link_child_to_household(
            current_user, child, h, clock.now()),
            _("%(name)s is now also linked to this household.", name=child.full_name))

    @expose("/document/<int:document_id>/accepter", methods=["POST"])
    @has_access
    def accept_document(self, document_id):
        document = row_or_404(Document, document_id)
        require_confirm()
        return self._act(document.household_id, lambda h: services.accept_document(
            current_user, document, clock.now()), _("The document has been accepted."))

    @expose("/document/<int:document_id>/refuser", methods=["POST"])
    @has_access
    def refuse_document(self, document_id):
        document = row_or_404(Document, document_id)
        return self._refuse(document.household_id, lambda _h, reason: services.refuse_document(
            current_user, document, reason, clock.now()),
            _("The document has been refused; the family has been told by e-mail."))

    @expose("/document/<int:document_id>/fichier")
    @has_access
    def document_file(self, document_id):
        return send_document(row_or_404(Document, document_id))

    @expose("/foyer/<int:household_id>/fermer", methods=["POST"])
    @has_access
    def close(self, household_id):
        return self._decide(household_id, services.confirm_closure,
                            _l("The account is closed; its logins are disabled."))


SCOPE_LABELS = {"household": _l("One for the household"), "child": _l("One for each child")}
DOCUMENT_TYPE_COLUMNS = ["name", "code", "scope", "required", "validity_months", "position"]


class StaffDocumentTypeView(ExcelExportMixin, ModelView):
    """Agents: the pieces families must provide (with "Exporter (Excel)")."""

    list_title = _l("Documents to provide")
    show_title = _l("Document to provide")
    add_title = _l("Add a document to provide")
    edit_title = _l("Edit a document to provide")
    datamodel = SQLAInterface(DocumentType)
    list_columns = list(DOCUMENT_TYPE_COLUMNS)
    add_columns = edit_columns = DOCUMENT_TYPE_COLUMNS
    label_columns = {"name": _l("Document name"), "code": _l("Code"),
                     "scope": _l("For the household or for each child"),
                     "required": _l("Required"),
                     "validity_months": _l("Valid for (months)"), "position": _l("Order")}
    description_columns = {
        "code": _l("\u201cattestation_qf\u201d: accepting it confirms the quotient familial"),
    }
    search_columns = ["name", "code"]
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    formatters_columns = {"scope": lambda value: str(SCOPE_LABELS.get(value, value))}

    def __init__(self, *args, **kwargs):
        from wtforms import SelectField
        from wtforms.validators import DataRequired

        scope = SelectField(_l("For the household or for each child"),
                            choices=[(k, str(v)) for k, v in SCOPE_LABELS.items()],
                            validators=[DataRequired()])
        self.add_form_extra_fields = {"scope": scope}
        self.edit_form_extra_fields = {"scope": scope}
        super().__init__(*args, **kwargs)
