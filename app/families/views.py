"""Families screens. Views stay thin: forms check the input, services apply
the rules, and every family lookup goes through app.families.access.

Public (no permission): RegistrationView — create an account, confirm the
address, ask for a new link, forgotten password, accept an invitation.
Family (Family*View): "Mon compte" hub, profile, household, children, school
information, documents, conditions and submission, my data, closure.
Agents (Staff*View): validation queue, household file, document checks,
document types.
"""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.core import clock
from app.core.errors import DomainError
from app.core.models import AuditLog
from app.core.states import (
    Civility,
    DocumentState,
    FamilySituation,
    HouseholdStatus,
    SchoolLevel,
    Sex,
)
from app.extensions import db
from app.families import access, forms, services
from app.families.models import (
    AuthorizedPerson,
    Child,
    Document,
    DocumentType,
    Guardian,
    Household,
    SchoolInfo,
)

def field_label(name: str) -> str:
    """The French label of a file field, for the agents' history."""
    for form_class in (forms.ProfileForm, forms.OtherGuardianForm, forms.AddressForm,
                       forms.HouseholdInfoForm, forms.ChildForm, forms.SchoolInfoForm,
                       forms.AuthorizedPersonForm):
        field = getattr(form_class, name, None)
        if field is not None and hasattr(field, "args") and field.args:
            return str(field.args[0])
    return name


TEMPLATE_GLOBALS = dict(field_label=field_label, HouseholdStatus=HouseholdStatus, DocumentState=DocumentState,
                        Civility=Civility, FamilySituation=FamilySituation, Sex=Sex,
                        SchoolLevel=SchoolLevel, password_rule=services.PASSWORD_RULE)


def _fail(error: DomainError):
    db.session.rollback()
    flash(str(error.message), "danger")


# ==========================================================================
# Public: account creation, address check, forgotten password, invitation
# ==========================================================================

class RegistrationView(BaseView):
    route_base = "/compte"
    default_view = "register"

    @expose("/creer", methods=["GET", "POST"])
    def register(self):
        if current_user.is_authenticated:
            return redirect("/compte/")
        form = forms.RegistrationForm()
        if form.validate_on_submit():
            try:
                services.register_account(None, form.email.data, form.password.data,
                                          clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                return self.render_template("families/check_email.html",
                                            email=form.email.data, **TEMPLATE_GLOBALS)
        return self.render_template("families/register.html", form=form,
                                    title=_("Create my account"), **TEMPLATE_GLOBALS)

    @expose("/confirmer/<token>", methods=["GET", "POST"])
    def confirm(self, token):
        """The address check link. Opening it only shows a button: the address
        is confirmed by the POST, so a mail scanner that opens every link of a
        message confirms nothing and does not use the link up."""
        now = clock.now()
        actor = current_user if current_user.is_authenticated else None
        try:
            row = services.peek_token("verify", token, now)
            if request.method == "POST":
                services.verify_email(actor, token, now)
                db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return self.render_template("families/link_problem.html", message=error.message,
                                        resend=True, **TEMPLATE_GLOBALS), 400
        if request.method == "GET":
            return self.render_template("families/confirm_email.html", email=row.email,
                                        title=_("Confirm my e-mail address"),
                                        **TEMPLATE_GLOBALS)
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect("/compte/" if current_user.is_authenticated
                        else self.appbuilder.get_url_for_login)

    @expose("/renvoyer-lien", methods=["GET", "POST"])
    def resend(self):
        form = forms.EmailOnlyForm()
        if current_user.is_authenticated and request.method == "GET":
            guardian = access.guardian_of(current_user)
            if guardian is not None:
                form.email.data = guardian.email
        if form.validate_on_submit():
            services.resend_verification(None, form.email.data, clock.now())
            db.session.commit()
            return self.render_template("families/link_sent.html", **TEMPLATE_GLOBALS)
        return self.render_template("families/resend.html", form=form,
                                    title=_("Receive a new confirmation link"),
                                    **TEMPLATE_GLOBALS)

    @expose("/mot-de-passe-oublie", methods=["GET", "POST"])
    def forgotten(self):
        form = forms.EmailOnlyForm()
        if form.validate_on_submit():
            services.request_password_reset(None, form.email.data, clock.now())
            db.session.commit()
            return self.render_template("families/link_sent.html", reset=True,
                                        **TEMPLATE_GLOBALS)
        return self.render_template("families/forgotten.html", form=form,
                                    title=_("Forgotten password?"), **TEMPLATE_GLOBALS)

    @expose("/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
    def new_password(self, token):
        now = clock.now()
        try:
            services.peek_token("reset", token, now)
        except DomainError as error:
            return self.render_template("families/link_problem.html", message=error.message,
                                        reset=True, **TEMPLATE_GLOBALS), 400
        form = forms.NewPasswordForm()
        if form.validate_on_submit():
            try:
                services.reset_password(None, token, form.password.data, now)
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("Your password has been changed. You can log in."), "success")
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("families/new_password.html", form=form,
                                    title=_("Choose a new password"), **TEMPLATE_GLOBALS)

    @expose("/invitation/<token>", methods=["GET", "POST"])
    def invitation(self, token):
        now = clock.now()
        try:
            row = services.peek_token("invite", token, now)
        except DomainError as error:
            return self.render_template("families/link_problem.html", message=error.message,
                                        **TEMPLATE_GLOBALS), 400
        form = forms.NewPasswordForm()
        if form.validate_on_submit():
            try:
                services.accept_invitation(None, token, form.password.data, now)
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("Your login is ready: log in with your e-mail address and "
                        "your password."), "success")
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("families/invitation.html", form=form, email=row.email,
                                    title=_("Join the family account"), **TEMPLATE_GLOBALS)


# ==========================================================================
# Family: "Mon compte"
# ==========================================================================

class _FamilyBase(BaseView):
    route_base = "/compte"

    def page(self, template, crumbs=(), **context):
        household = context.get("household") or access.current_household()
        context.setdefault("household", household)
        context.setdefault("me", access.guardian_of(current_user))
        return self.render_template(template, crumbs=crumbs,
                                    verified=services.email_verified(household),
                                    **TEMPLATE_GLOBALS, **context)


def _crumb(label, url=None):
    return (label, url)


class FamilyAccountView(_FamilyBase):
    """The "Mon compte" hub and the household's own pages."""

    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        household = access.current_household()
        me = access.guardian_of(current_user)
        missing = services.missing_sections(household)
        hub_missing = [services.SECTION_LABELS[k] for k in missing]
        return self.page("families/hub.html", household=household, missing=missing,
                         missing_labels=hub_missing,
                         sections=", ".join(f'"{label}"' for label in hub_missing),
                         greeting=_greeting(me),
                         planning_open=household.status == HouseholdStatus.VALIDATED.value,
                         planning_url=_planning_url())

    # ---- Mon profil -------------------------------------------------------
    @expose("/profil")
    @has_access
    def profile(self):
        return self.page("families/profile.html",
                         crumbs=[_crumb(_("My profile"))])

    @expose("/profil/modifier", methods=["GET", "POST"])
    @has_access
    def profile_edit(self):
        household = access.current_household()
        me = access.guardian_of(current_user)
        form = forms.ProfileForm(obj=me)
        if form.validate_on_submit():
            try:
                services.update_profile(current_user, me, _data(form, services.PROFILE_FIELDS),
                                        clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("Your profile has been saved."), "success")
                return redirect(url_for("FamilyAccountView.household_page")
                                if "household" in services.missing_sections(household)
                                else url_for("FamilyAccountView.profile"))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("My profile"), next_label=_("Next"),
                         crumbs=[_crumb(_("My profile"), url_for("FamilyAccountView.profile")),
                                 _crumb(_("Edit"))])

    # ---- Mon foyer --------------------------------------------------------
    @expose("/foyer")
    @has_access
    def household_page(self):
        household = access.current_household()
        guardians = services.guardians_of(household)
        me = access.guardian_of(current_user)
        other = next((g for g in guardians if me is None or g.id != me.id), None)
        return self.page("families/household.html", household=household, other=other,
                         can_edit_other=me is not None and me.position == 0,
                         invite_form=forms.InviteForm(),
                         crumbs=[_crumb(_("My household"))])

    @expose("/foyer/coordonnees", methods=["GET", "POST"])
    @has_access
    def address_edit(self):
        household = access.current_household()
        form = forms.AddressForm(obj=household)
        if form.validate_on_submit():
            return self._save_household(household, form,
                                        ("address", "address_extra", "postcode", "city",
                                         "phone"),
                                        url_for("FamilyAccountView.info_edit"))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("Contact details"), next_label=_("Next"),
                         crumbs=[_crumb(_("My household"),
                                        url_for("FamilyAccountView.household_page")),
                                 _crumb(_("Contact details"))])

    @expose("/foyer/informations", methods=["GET", "POST"])
    @has_access
    def info_edit(self):
        household = access.current_household()
        form = forms.HouseholdInfoForm(obj=household)
        if request.method == "GET":
            form.benefits_regime.data = household.benefits_regime or ""
            form.family_situation.data = household.family_situation or ""
        if form.validate_on_submit():
            return self._save_household(household, form,
                                        ("family_situation", "benefits_regime",
                                         "allocataire_number", "quotient_familial"),
                                        url_for("FamilyAccountView.household_page"))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("Additional information"), next_label=_("Validate"),
                         help_text=_("If you give a quotient familial, add its attestation "
                                     "in \u201cMy documents\u201d: our services check it."),
                         crumbs=[_crumb(_("My household"),
                                        url_for("FamilyAccountView.household_page")),
                                 _crumb(_("Additional information"))])

    def _save_household(self, household, form, fields, next_url):
        try:
            diff = services.update_household(current_user, household, _data(form, fields),
                                             clock.now())
            db.session.commit()
        except DomainError as error:
            _fail(error)
            return redirect(request.path)
        if "quotient_familial" in diff and household.quotient_familial is not None:
            flash(_("Your new quotient familial will be used once our services have "
                    "checked its attestation."), "info")
        flash(_("Your household information has been saved."), "success")
        return redirect(next_url)

    @expose("/foyer/autre-responsable", methods=["GET", "POST"])
    @has_access
    def other_guardian(self):
        household = access.current_household()
        other = db.session.scalar(select(Guardian).where(Guardian.household_id == household.id,
                                                         Guardian.position == 1))
        form = forms.OtherGuardianForm(obj=other)
        if form.validate_on_submit():
            try:
                services.save_other_guardian(
                    current_user, household,
                    _data(form, services.OTHER_GUARDIAN_FIELDS), clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("The other responsable has been saved."), "success")
                return redirect(url_for("FamilyAccountView.household_page"))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("Other responsable"), next_label=_("Validate"),
                         crumbs=[_crumb(_("My household"),
                                        url_for("FamilyAccountView.household_page")),
                                 _crumb(_("Other responsable"))])

    @expose("/foyer/inviter", methods=["POST"])
    @has_access
    def invite(self):
        household = access.current_household()
        form = forms.InviteForm()
        if form.validate_on_submit():
            try:
                services.invite_guardian(current_user, household, form.email.data,
                                         clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("The invitation has been sent to %(email)s.", email=form.email.data),
                      "success")
        else:
            for errors in form.errors.values():
                for message in errors:
                    flash(str(message), "danger")
        return redirect(url_for("FamilyAccountView.household_page"))

    # ---- Conditions and submission ---------------------------------------
    @expose("/valider", methods=["GET", "POST"])
    @has_access
    def submit(self):
        household = access.current_household()
        form = forms.SubmitForm()
        if form.validate_on_submit():
            try:
                services.submit_household(current_user, household, form.accept.data,
                                          clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("Your file has been sent to our services. You will receive an "
                        "e-mail once your account is validated."), "success")
                return redirect(url_for("FamilyAccountView.index"))
        return self.page("families/submit.html", form=form, household=household,
                         missing_labels=services.missing_labels(household),
                         crumbs=[_crumb(_("Send my file"))])

    # ---- Password -----------------------------------------------------------
    @expose("/mot-de-passe", methods=["GET", "POST"])
    @has_access
    def password(self):
        form = forms.ChangePasswordForm()
        if form.validate_on_submit():
            try:
                services.change_password(current_user, form.current.data, form.password.data,
                                         clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("FamilyAccountView.index"))
        return self.page("families/password.html", form=form,
                         crumbs=[_crumb(_("Change my password"))])

    # ---- Mes données, closure ---------------------------------------------
    @expose("/mes-donnees")
    @has_access
    def my_data(self):
        return self.page("families/my_data.html", form=forms.ConfirmForm(),
                         crumbs=[_crumb(_("My data"))])

    @expose("/mes-donnees/export.xlsx")
    @has_access
    def my_data_export(self):
        import io

        household = access.current_household()
        data = services.household_workbook(current_user, household, clock.now())
        db.session.commit()
        return send_file(io.BytesIO(data), as_attachment=True,
                         download_name="mes-donnees-portail-famille.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")

    @expose("/fermeture", methods=["POST"])
    @has_access
    def close_account(self):
        household = access.current_household()
        form = forms.ConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            services.request_closure(current_user, household, clock.now())
            db.session.commit()
        except DomainError as error:
            _fail(error)
        else:
            flash(_("Your request to close the account has been sent to our services."),
                  "success")
        return redirect(url_for("FamilyAccountView.my_data"))


def _planning_url():
    try:
        return url_for("FamilyPlanningView.index")
    except Exception:  # the planning page belongs to the bookings area
        return "/compte/planning"


def _greeting(me) -> str:
    if me is None:
        return ""
    parts = []
    if me.civility:
        parts.append(me.civility)
    if me.last_name:
        parts.append(me.last_name.upper())
    return " ".join(parts)


def _data(form, fields) -> dict:
    values = {}
    for name in fields:
        if hasattr(form, name):
            value = getattr(form, name).data
            if isinstance(value, str):
                value = value.strip()
            values[name] = value
    return values


class FamilyChildView(_FamilyBase):
    """Mes enfants, and Informations scolaires."""

    default_view = "children"

    @expose("/enfants")
    @has_access
    def children(self):
        household = access.current_household()
        return self.page("families/children.html", household=household,
                         children=access.children_of(household),
                         crumbs=[_crumb(_("My children"))])

    @expose("/enfants/ajouter", methods=["GET", "POST"])
    @has_access
    def add(self):
        household = access.current_household()
        form = forms.ChildForm()
        if form.validate_on_submit():
            try:
                child = services.add_child(current_user, household,
                                           _data(form, services.CHILD_FIELDS), clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("%(name)s has been added.", name=child.full_name), "success")
                return redirect(url_for("FamilyChildView.show", child_id=child.id))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("Add a child"), next_label=_("Validate"),
                         crumbs=[_crumb(_("My children"), url_for("FamilyChildView.children")),
                                 _crumb(_("Add a child"))])

    @expose("/enfants/<int:child_id>")
    @has_access
    def show(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        persons = db.session.scalars(select(AuthorizedPerson).where(
            AuthorizedPerson.child_id == child.id,
            AuthorizedPerson.household_id == household.id).order_by(AuthorizedPerson.id)).all()
        return self.page("families/child.html", household=household, child=child,
                         persons=persons, person_form=forms.AuthorizedPersonForm(),
                         delete_form=forms.ConfirmForm(),
                         crumbs=[_crumb(_("My children"), url_for("FamilyChildView.children")),
                                 _crumb(child.full_name)])

    @expose("/enfants/<int:child_id>/modifier", methods=["GET", "POST"])
    @has_access
    def edit(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        form = forms.ChildForm(obj=child)
        if form.validate_on_submit():
            try:
                services.update_child(current_user, household, child,
                                      _data(form, services.CHILD_FIELDS), clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("The information of %(name)s has been saved.", name=child.full_name),
                      "success")
                return redirect(url_for("FamilyChildView.show", child_id=child.id))
        return self.page("families/form_page.html", form=form, household=household,
                         title=child.full_name, next_label=_("Validate"),
                         crumbs=[_crumb(_("My children"), url_for("FamilyChildView.children")),
                                 _crumb(child.full_name,
                                        url_for("FamilyChildView.show", child_id=child.id)),
                                 _crumb(_("Edit"))])

    @expose("/enfants/<int:child_id>/personnes", methods=["POST"])
    @has_access
    def add_person(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        form = forms.AuthorizedPersonForm()
        if form.validate_on_submit():
            try:
                services.add_authorized_person(current_user, household, child,
                                               _data(form, ("name", "phone",
                                                            "relationship_to_child")),
                                               clock.now())
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("The person has been added."), "success")
        else:
            for field, errors in form.errors.items():
                for message in errors:
                    label = getattr(form, field).label.text if hasattr(form, field) else ""
                    flash(f"{label} : {message}" if label else str(message), "danger")
        return redirect(url_for("FamilyChildView.show", child_id=child.id))

    @expose("/enfants/<int:child_id>/personnes/<int:person_id>/supprimer", methods=["POST"])
    @has_access
    def remove_person(self, child_id, person_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        person = access.owned_or_404(AuthorizedPerson, person_id, household)
        if person.child_id != child.id:
            abort(404)
        if not forms.ConfirmForm().validate_on_submit():
            abort(400)
        try:
            services.remove_authorized_person(current_user, household, person, clock.now())
            db.session.commit()
        except DomainError as error:
            _fail(error)
        else:
            flash(_("The person has been removed."), "success")
        return redirect(url_for("FamilyChildView.show", child_id=child.id))

    @expose("/scolaire")
    @has_access
    def school(self):
        household = access.current_household()
        kids = access.children_of(household)
        infos = {c.id: db.session.scalars(select(SchoolInfo).where(
            SchoolInfo.child_id == c.id).order_by(SchoolInfo.school_year.desc())).all()
            for c in kids}
        return self.page("families/school.html", household=household, children=kids,
                         infos=infos, crumbs=[_crumb(_("School information"))])

    @expose("/scolaire/<int:child_id>", methods=["GET", "POST"])
    @has_access
    def school_edit(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        now = clock.now()
        years = services.school_years_offered(now)
        year = request.values.get("school_year") or years[0]
        if year not in years:
            year = years[0]
        info = db.session.scalar(select(SchoolInfo).where(SchoolInfo.child_id == child.id,
                                                          SchoolInfo.school_year == year))
        form = forms.SchoolInfoForm(obj=info, years=years)
        if request.method == "GET":
            form.school_year.data = year
        if form.validate_on_submit():
            try:
                services.save_school_info(current_user, household, child,
                                          form.school_year.data, form.school_name.data.strip(),
                                          form.level.data, now)
                db.session.commit()
            except DomainError as error:
                _fail(error)
            else:
                flash(_("The school information of %(name)s has been saved.",
                        name=child.full_name), "success")
                return redirect(url_for("FamilyChildView.school"))
        return self.page("families/form_page.html", form=form, household=household,
                         title=_("School information: %(name)s", name=child.full_name),
                         next_label=_("Validate"),
                         crumbs=[_crumb(_("School information"),
                                        url_for("FamilyChildView.school")),
                                 _crumb(child.full_name)])


class FamilyDocumentView(_FamilyBase):
    """Mes documents: each piece with its state, "+" to send a file."""

    default_view = "documents"

    @expose("/documents")
    @has_access
    def documents(self):
        household = access.current_household()
        return self.page("families/documents.html", household=household,
                         lines=services.document_lines(household, clock.today()),
                         form=forms.DocumentUploadForm(),
                         crumbs=[_crumb(_("My documents"))])

    @expose("/documents/envoyer", methods=["POST"])
    @has_access
    def upload(self):
        household = access.current_household()
        form = forms.DocumentUploadForm()
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for message in errors:
                    flash(str(message), "danger")
            return redirect(url_for("FamilyDocumentView.documents"))
        type_id = access.valid_id(form.document_type.data)
        doc_type = db.session.get(DocumentType, type_id) if type_id else None
        if doc_type is None:
            abort(404)
        child = None
        if doc_type.scope == "child":
            child = access.child_of(household, form.child.data)
        upload = form.file.data
        data = upload.read(services.MAX_UPLOAD_BYTES + 1)
        document = None
        try:
            document = services.upload_document(current_user, household, doc_type, child,
                                                upload.filename, data, clock.now())
            db.session.commit()
        except DomainError as error:
            if document is not None:
                services.remove_stored_file(document.stored_name)
            _fail(error)
        except Exception:
            if document is not None:
                services.remove_stored_file(document.stored_name)
            raise
        else:
            flash(_("The document has been sent: our services will check it."), "success")
        return redirect(url_for("FamilyDocumentView.documents"))

    @expose("/documents/<int:document_id>/fichier")
    @has_access
    def file(self, document_id):
        household = access.current_household()
        document = access.owned_or_404(Document, document_id, household)
        return _send_document(document)


def _send_document(document: Document):
    path = services.document_path(document)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ==========================================================================
# Agents
# ==========================================================================

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


def _household_or_404(household_id) -> Household:
    household_id = access.valid_id(household_id)
    household = db.session.get(Household, household_id) if household_id else None
    if household is None:
        abort(404)
    return household


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


class StaffHouseholdQueueView(BaseView):
    """Agents: households to validate, their file, document checks."""

    route_base = "/agents/familles"
    default_view = "queue"

    def render(self, template, **context):
        return self.render_template(template, **TEMPLATE_GLOBALS, **context)

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
        household = _household_or_404(household_id)
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

    def _act(self, household_id, action, success):
        household = _household_or_404(household_id)
        try:
            action(household)
            db.session.commit()
        except DomainError as error:
            _fail(error)
        else:
            flash(success, "success")
        return redirect(url_for("StaffHouseholdQueueView.household", household_id=household.id))

    @expose("/foyer/<int:household_id>/valider", methods=["POST"])
    @has_access
    def validate(self, household_id):
        if not forms.ConfirmForm().validate_on_submit():
            abort(400)
        return self._act(household_id, lambda h: services.validate_household(
            current_user, h, clock.now()), _("The account has been validated; the family "
                                             "has been told by e-mail."))

    @expose("/foyer/<int:household_id>/refuser", methods=["POST"])
    @has_access
    def refuse(self, household_id):
        form = forms.ReasonForm()
        if not form.validate_on_submit():
            flash(_("Give the reason of the refusal: the family will read it."), "danger")
            return redirect(url_for("StaffHouseholdQueueView.household",
                                    household_id=_household_or_404(household_id).id))
        return self._act(household_id, lambda h: services.refuse_household(
            current_user, h, form.reason.data, clock.now()),
            _("The account has been refused; the family has been told by e-mail."))

    @expose("/foyer/<int:household_id>/quotient-verifie", methods=["POST"])
    @has_access
    def qf_checked(self, household_id):
        if not forms.ConfirmForm().validate_on_submit():
            abort(400)
        return self._act(household_id, lambda h: services.mark_qf_checked(
            current_user, h, clock.now()), _("The quotient familial is marked as checked."))

    @expose("/foyer/<int:household_id>/fermer", methods=["POST"])
    @has_access
    def close(self, household_id):
        if not forms.ConfirmForm().validate_on_submit():
            abort(400)
        return self._act(household_id, lambda h: services.confirm_closure(
            current_user, h, clock.now()), _("The account is closed; its logins are disabled."))

    @expose("/foyer/<int:household_id>/rattacher", methods=["POST"])
    @has_access
    def link_child(self, household_id):
        form = forms.LinkChildForm()
        if not form.validate_on_submit():
            flash(_("Enter the number of the child."), "danger")
            return redirect(url_for("StaffHouseholdQueueView.household",
                                    household_id=_household_or_404(household_id).id))
        child_id = access.valid_id(form.child_id.data)
        child = db.session.get(Child, child_id) if child_id else None
        if child is None:
            flash(_("No child has this number."), "danger")
            return redirect(url_for("StaffHouseholdQueueView.household",
                                    household_id=_household_or_404(household_id).id))
        return self._act(household_id, lambda h: services.link_child_to_household(
            current_user, child, h, clock.now()),
            _("%(name)s is now also linked to this household.", name=child.full_name))

    def _document_or_404(self, document_id) -> Document:
        document_id = access.valid_id(document_id)
        document = db.session.get(Document, document_id) if document_id else None
        if document is None:
            abort(404)
        return document

    @expose("/document/<int:document_id>/accepter", methods=["POST"])
    @has_access
    def accept_document(self, document_id):
        document = self._document_or_404(document_id)
        if not forms.ConfirmForm().validate_on_submit():
            abort(400)
        return self._act(document.household_id, lambda h: services.accept_document(
            current_user, document, clock.now()), _("The document has been accepted."))

    @expose("/document/<int:document_id>/refuser", methods=["POST"])
    @has_access
    def refuse_document(self, document_id):
        document = self._document_or_404(document_id)
        form = forms.ReasonForm()
        if not form.validate_on_submit():
            flash(_("Give the reason of the refusal: the family will read it."), "danger")
            return redirect(url_for("StaffHouseholdQueueView.household",
                                    household_id=document.household_id))
        return self._act(document.household_id, lambda h: services.refuse_document(
            current_user, document, form.reason.data, clock.now()),
            _("The document has been refused; the family has been told by e-mail."))

    @expose("/document/<int:document_id>/fichier")
    @has_access
    def document_file(self, document_id):
        return _send_document(self._document_or_404(document_id))


class StaffDocumentTypeView(ModelView):
    """Agents: the pieces families must provide."""

    datamodel = SQLAInterface(DocumentType)
    list_title = _l("Documents to provide")
    show_title = _l("Document to provide")
    add_title = _l("Add a document to provide")
    edit_title = _l("Edit a document to provide")
    list_columns = ["name", "code", "scope", "required", "validity_months", "position"]
    add_columns = edit_columns = ["name", "code", "scope", "required", "validity_months",
                                  "position"]
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


SCOPE_LABELS = {"household": _l("One for the household"), "child": _l("One for each child")}


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(RegistrationView())
    appbuilder.add_view_no_menu(FamilyAccountView())
    appbuilder.add_view_no_menu(FamilyChildView())
    appbuilder.add_view_no_menu(FamilyDocumentView())
    category = dict(category="Staff", category_label=_l("Staff desk"),
                    category_icon="fa-briefcase")
    appbuilder.add_view(StaffHouseholdQueueView, "StaffHouseholdQueueView",
                        label=_l("Families to validate"), icon="fa-users", **category)
    appbuilder.add_view(StaffDocumentTypeView, "StaffDocumentTypeView",
                        label=_l("Documents to provide"), icon="fa-file-text-o", **category)
