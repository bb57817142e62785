"""The family's "Mon compte": the hub, my profile, my household (with the
other responsable and the invitation), sending the file, the password, my
data and the closure request."""

from __future__ import annotations

import io

from flask import flash, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.core.states import HouseholdStatus
from app.extensions import db
from app.families import access, forms, services
from app.families.views.common import (
    FamilyPages,
    attempt,
    flash_form_errors,
    form_data,
    require_confirm,
)

ADDRESS_FIELDS = ("address", "address_extra", "postcode", "city", "phone")
INFO_FIELDS = ("family_situation", "benefits_regime", "allocataire_number", "quotient_familial")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _household_crumbs(label):
    return [(_("My household"), url_for("FamilyAccountView.household_page")), (label, None)]


class FamilyAccountView(FamilyPages):
    """The "Mon compte" hub and the household's own pages."""

    default_view = "index"

    def _save_household(self, household, form, fields, next_url):
        """Save a part of "Mon foyer"; a changed quotient waits for its attestation."""
        done = attempt(lambda: services.update_household(
            current_user, household, form_data(form, fields), clock.now()))
        if not done:
            return redirect(request.path)
        if "quotient_familial" in done.value and household.quotient_familial is not None:
            flash(_("Your new quotient familial will be used once our services have "
                    "checked its attestation."), "info")
        flash(_("Your household information has been saved."), "success")
        return redirect(next_url)

    @expose("/")
    @has_access
    def index(self):
        household = access.current_household()
        missing = services.missing_sections(household)
        hub_missing = [services.SECTION_LABELS[k] for k in missing]
        return self.page("families/hub.html", household=household, missing=missing,
                         missing_labels=hub_missing,
                         sections=", ".join(f'"{label}"' for label in hub_missing),
                         greeting=_greeting(access.guardian_of(current_user)),
                         planning_open=household.status == HouseholdStatus.VALIDATED.value,
                         planning_url=_planning_url())

    # ---- Mon profil -------------------------------------------------------
    @expose("/profil")
    @has_access
    def profile(self):
        return self.page("families/profile.html", crumbs=[(_("My profile"), None)])

    @expose("/profil/modifier", methods=["GET", "POST"])
    @has_access
    def profile_edit(self):
        household = access.current_household()
        me = access.guardian_of(current_user)
        form = forms.ProfileForm(obj=me)
        if form.validate_on_submit() and attempt(
                lambda: services.update_profile(current_user, me,
                                                form_data(form, services.PROFILE_FIELDS),
                                                clock.now()),
                _("Your profile has been saved.")):
            return redirect(url_for("FamilyAccountView.household_page")
                            if "household" in services.missing_sections(household)
                            else url_for("FamilyAccountView.profile"))
        return self.form_page(form, _("My profile"), next_label=_("Next"), household=household,
                              crumbs=[(_("My profile"), url_for("FamilyAccountView.profile")),
                                      (_("Edit"), None)])

    # ---- Mon foyer --------------------------------------------------------
    @expose("/foyer")
    @has_access
    def household_page(self):
        household = access.current_household()
        me = access.guardian_of(current_user)
        other = next((g for g in services.guardians_of(household)
                      if me is None or g.id != me.id), None)
        return self.page("families/household.html", household=household, other=other,
                         can_edit_other=me is not None and me.position == 0,
                         invite_form=forms.InviteForm(),
                         crumbs=[(_("My household"), None)])

    @expose("/foyer/coordonnees", methods=["GET", "POST"])
    @has_access
    def address_edit(self):
        household = access.current_household()
        form = forms.AddressForm(obj=household)
        if form.validate_on_submit():
            return self._save_household(household, form, ADDRESS_FIELDS,
                                        url_for("FamilyAccountView.info_edit"))
        return self.form_page(form, _("Contact details"), next_label=_("Next"),
                              household=household,
                              crumbs=_household_crumbs(_("Contact details")))

    @expose("/foyer/informations", methods=["GET", "POST"])
    @has_access
    def info_edit(self):
        household = access.current_household()
        form = forms.HouseholdInfoForm(obj=household)
        if request.method == "GET":
            form.benefits_regime.data = household.benefits_regime or ""
            form.family_situation.data = household.family_situation or ""
        if form.validate_on_submit():
            return self._save_household(household, form, INFO_FIELDS,
                                        url_for("FamilyAccountView.household_page"))
        return self.form_page(form, _("Additional information"), household=household,
                              help_text=_("If you give a quotient familial, add its "
                                          "attestation in \u201cMy documents\u201d: our "
                                          "services check it."),
                              crumbs=_household_crumbs(_("Additional information")))

    @expose("/foyer/autre-responsable", methods=["GET", "POST"])
    @has_access
    def other_guardian(self):
        household = access.current_household()
        form = forms.OtherGuardianForm(obj=services.other_guardian(household))
        if form.validate_on_submit() and attempt(
                lambda: services.save_other_guardian(
                    current_user, household, form_data(form, services.OTHER_GUARDIAN_FIELDS),
                    clock.now()),
                _("The other responsable has been saved.")):
            return redirect(url_for("FamilyAccountView.household_page"))
        return self.form_page(form, _("Other responsable"), household=household,
                              crumbs=_household_crumbs(_("Other responsable")))

    @expose("/foyer/inviter", methods=["POST"])
    @has_access
    def invite(self):
        household = access.current_household()
        form = forms.InviteForm()
        if form.validate_on_submit():
            attempt(lambda: services.invite_guardian(current_user, household, form.email.data,
                                                     clock.now()),
                    _("The invitation has been sent to %(email)s.", email=form.email.data))
        else:
            flash_form_errors(form)
        return redirect(url_for("FamilyAccountView.household_page"))

    # ---- Conditions and submission ---------------------------------------
    @expose("/valider", methods=["GET", "POST"])
    @has_access
    def submit(self):
        household = access.current_household()
        form = forms.SubmitForm()
        if form.validate_on_submit() and attempt(
                lambda: services.submit_household(current_user, household, form.accept.data,
                                                  clock.now()),
                _("Your file has been sent to our services. You will receive an e-mail once "
                  "your account is validated.")):
            return redirect(url_for("FamilyAccountView.index"))
        return self.page("families/submit.html", form=form, household=household,
                         missing_labels=services.missing_labels(household),
                         crumbs=[(_("Send my file"), None)])

    # ---- Password -----------------------------------------------------------
    @expose("/mot-de-passe", methods=["GET", "POST"])
    @has_access
    def password(self):
        form = forms.ChangePasswordForm()
        if form.validate_on_submit() and attempt(
                lambda: services.change_password(current_user, form.current.data,
                                                 form.password.data, clock.now()),
                _("Your password has been changed.")):
            return redirect(url_for("FamilyAccountView.index"))
        return self.page("families/password.html", form=form,
                         crumbs=[(_("Change my password"), None)])

    # ---- Mes données, closure ---------------------------------------------
    @expose("/mes-donnees")
    @has_access
    def my_data(self):
        return self.page("families/my_data.html", form=forms.ConfirmForm(),
                         crumbs=[(_("My data"), None)])

    @expose("/mes-donnees/export.xlsx")
    @has_access
    def my_data_export(self):
        data = services.household_workbook(current_user, access.current_household(),
                                           clock.now())
        db.session.commit()
        return send_file(io.BytesIO(data), as_attachment=True,
                         download_name="mes-donnees-portail-famille.xlsx",
                         mimetype=XLSX_MIMETYPE)

    @expose("/fermeture", methods=["POST"])
    @has_access
    def close_account(self):
        household = access.current_household()
        require_confirm()
        attempt(lambda: services.request_closure(current_user, household, clock.now()),
                _("Your request to close the account has been sent to our services."))
        return redirect(url_for("FamilyAccountView.my_data"))
