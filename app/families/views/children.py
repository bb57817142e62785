"""The family's children: "Mes enfants" (with the persons allowed to pick a
child up) and "Informations scolaires"."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.families import access, forms, services
from app.families.models import AuthorizedPerson, SchoolInfo
from app.families.views.common import (
    FamilyPages,
    attempt,
    flash_form_errors,
    form_data,
    require_confirm,
)


class FamilyChildView(FamilyPages):
    """Mes enfants, and Informations scolaires."""

    default_view = "children"

    @staticmethod
    def _crumbs(*rest):
        """My children > … (the last crumb without a link)."""
        return [(_("My children"), url_for("FamilyChildView.children")), *rest]

    @expose("/enfants")
    @has_access
    def children(self):
        return self.page("families/children.html", crumbs=[(_("My children"), None)],
                         children=access.children_of(access.current_household()))

    @expose("/enfants/ajouter", methods=["GET", "POST"])
    @has_access
    def add(self):
        household = access.current_household()
        form = forms.ChildForm()
        if form.validate_on_submit():
            done = attempt(lambda: services.add_child(
                current_user, household, form_data(form, services.CHILD_FIELDS), clock.now()),
                lambda child: _("%(name)s has been added.", name=child.full_name))
            if done:
                return redirect(url_for("FamilyChildView.show", child_id=done.value.id))
        return self.form_page(form, _("Add a child"), household=household,
                              crumbs=self._crumbs((_("Add a child"), None)))

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
                         crumbs=self._crumbs((child.full_name, None)))

    @expose("/enfants/<int:child_id>/modifier", methods=["GET", "POST"])
    @has_access
    def edit(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        form = forms.ChildForm(obj=child)
        if form.validate_on_submit() and attempt(
                lambda: services.update_child(current_user, household, child,
                                              form_data(form, services.CHILD_FIELDS),
                                              clock.now()),
                _("The information of %(name)s has been saved.", name=child.full_name)):
            return redirect(url_for("FamilyChildView.show", child_id=child.id))
        return self.form_page(form, child.full_name, household=household,
                              crumbs=self._crumbs(
                                  (child.full_name,
                                   url_for("FamilyChildView.show", child_id=child.id)),
                                  (_("Edit"), None)))

    @expose("/enfants/<int:child_id>/personnes", methods=["POST"])
    @has_access
    def add_person(self, child_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        form = forms.AuthorizedPersonForm()
        if form.validate_on_submit():
            attempt(lambda: services.add_authorized_person(
                current_user, household, child,
                form_data(form, services.AUTHORIZED_PERSON_FIELDS), clock.now()),
                _("The person has been added."))
        else:
            flash_form_errors(form, labelled=True)
        return redirect(url_for("FamilyChildView.show", child_id=child.id))

    @expose("/enfants/<int:child_id>/personnes/<int:person_id>/supprimer", methods=["POST"])
    @has_access
    def remove_person(self, child_id, person_id):
        household = access.current_household()
        child = access.child_of(household, child_id)
        person = access.owned_or_404(AuthorizedPerson, person_id, household)
        if person.child_id != child.id:
            abort(404)
        require_confirm()
        attempt(lambda: services.remove_authorized_person(current_user, household, person,
                                                          clock.now()),
                _("The person has been removed."))
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
                         infos=infos, crumbs=[(_("School information"), None)])

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
        if form.validate_on_submit() and attempt(
                lambda: services.save_school_info(current_user, household, child,
                                                  form.school_year.data,
                                                  form.school_name.data.strip(),
                                                  form.level.data, now),
                _("The school information of %(name)s has been saved.", name=child.full_name)):
            return redirect(url_for("FamilyChildView.school"))
        return self.form_page(form, _("School information: %(name)s", name=child.full_name),
                              household=household,
                              crumbs=[(_("School information"),
                                       url_for("FamilyChildView.school")),
                                      (child.full_name, None)])
