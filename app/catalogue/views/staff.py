"""Admin only: which facilities each agent sees."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.catalogue import services
from app.catalogue.models import Facility
from app.catalogue.views.common import acting_user
from app.core import clock
from app.core.errors import DomainError
from app.extensions import db

# --------------------------------------------------------------------------
# Admin only: which facilities each agent sees


class CatalogueStaffFacilityView(BaseView):
    """Assign agents to facilities. Only Admin has ``can_assign``; agents may read
    the list (``can_list``, the role matrix's read access to Catalogue screens)."""

    route_base = "/catalogue/agents"
    default_view = "list"

    @expose("/", methods=["GET"])
    @has_access
    def list(self):
        from app.core.security import AGENT

        sm = self.appbuilder.sm
        role = sm.find_role(AGENT)
        agents = sorted((u for u in (role.user if role else [])),
                        key=lambda u: (u.last_name.upper(), u.first_name))
        facilities = db.session.scalars(select(Facility).order_by(Facility.name)).all()
        assigned = {user.id: services.staff_facility_ids(user.id) for user in agents}
        can_assign = sm.has_access("can_assign", self.class_permission_name)
        return self.render_template("catalogue/staff_facilities.html",
                                    title=_("Facilities of the agents"), agents=agents,
                                    facilities=facilities, assigned=assigned,
                                    can_assign=can_assign)

    @expose("/<int:user_id>", methods=["POST"])
    @has_access
    def assign(self, user_id):
        from app.core.security import AGENT

        sm = self.appbuilder.sm
        user = db.session.get(sm.user_model, user_id)
        if user is None or not any(role.name == AGENT for role in user.roles):
            abort(404)
        try:
            services.assign_facilities(acting_user(), user,
                                       request.form.getlist("facility_id"), clock.now())
            db.session.commit()
        except (DomainError, ValueError):
            db.session.rollback()
            flash(_("Unknown facility."), "danger")
            return redirect(url_for("CatalogueStaffFacilityView.list"))
        flash(_("The facilities of %(name)s were saved.",
                name=f"{user.first_name} {user.last_name}"), "success")
        return redirect(url_for("CatalogueStaffFacilityView.list"))
