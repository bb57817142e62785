"""Pointage screen: one facility, one day, built for a tablet at the door.

Every row is a small form (works without JavaScript); with JavaScript a tap
or the keys p / a / j mark the focused row through the same endpoint, which
answers JSON, and focus moves to the next child. "Tous présents" marks the
rest in one request. The page costs a handful of queries whatever the number
of children (the roster is one query).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.attendance import services
from app.core import clock
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.i18n import format_day
from app.core.states import AttendanceStatus
from exports.registry import parse_day


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


class StaffAttendanceView(BaseView):
    route_base = "/pointage"
    default_view = "index"

    def _facility(self, facility_id):
        try:
            return services.check_facility(current_user, facility_id)
        except NotFound:
            abort(404)
        except Forbidden:
            abort(403)

    def _day(self, text) -> dt.date:
        day = parse_day(text or "")
        return day or clock.today()

    def _back(self, facility_id, day, anchor=None):
        url = url_for("StaffAttendanceView.index", facility=facility_id,
                      day=day.strftime("%d/%m/%Y"))
        return redirect(url + (f"#{anchor}" if anchor else ""))

    @expose("/")
    @has_access
    def index(self):
        facilities = services.facilities_for(current_user)
        day = self._day(request.args.get("day"))
        if not facilities:
            return self.render_template("attendance/day.html", title=_("Pointage"),
                                        facilities=[], facility=None, day=day, groups=[])
        wanted = (request.args.get("facility")
                  or services.facility_to_open(facilities, day).id)
        facility = self._facility(wanted)
        rows = services.roster(facility.id, day)
        slots = services.slot_names({r.unit_id for r in rows})
        groups = []
        for (period_name, unit_id, unit_name, colour), members in groupby(
                rows, key=lambda r: (r.period_name, r.unit_id, r.unit_name, r.unit_colour)):
            groups.append(dict(period=period_name, unit=unit_name, colour=colour,
                               slots=slots.get(unit_id, []), rows=list(members)))
        counts = {s: sum(1 for r in rows if r.status == s) for s in AttendanceStatus.values()}
        counts["none"] = sum(1 for r in rows if r.status is None)
        search = (request.args.get("q") or "").strip()[:60]
        found = services.known_children(facility.id, search) if search else []
        return self.render_template(
            "attendance/day.html", title=_("Pointage"), facilities=facilities,
            facility=facility, day=day, day_label=format_day(day),
            day_text=day.strftime("%d/%m/%Y"), groups=groups, total=len(rows), counts=counts,
            lock=services.day_lock(facility.id, day), search=search, found=found,
            units=services.units_open_on(facility.id, day) if search else [],
            previous_day=(day - dt.timedelta(days=1)).strftime("%d/%m/%Y"),
            next_day=(day + dt.timedelta(days=1)).strftime("%d/%m/%Y"),
            AttendanceStatus=AttendanceStatus)

    def _form_context(self):
        facility = self._facility(request.form.get("facility"))
        day = parse_day(request.form.get("day", ""))
        if day is None:
            abort(400)
        return facility, day

    @expose("/pointer", methods=["POST"])
    @has_access
    def mark(self):
        facility, day = self._form_context()
        presence_id = request.form.get("presence", "")
        status = request.form.get("status", "")
        try:
            services.mark(current_user, clock.now(), facility.id, day, {presence_id: status},
                          request.form.get("reason", ""))
        except DomainError as error:
            if _wants_json():
                return jsonify(ok=False, message=str(error)), 400
            flash(str(error), "danger")
            return self._back(facility.id, day, f"p{presence_id}")
        if _wants_json():
            return jsonify(ok=True, status=status, label=AttendanceStatus.label_of(status))
        return self._back(facility.id, day, f"p{presence_id}")

    @expose("/tous-presents", methods=["POST"])
    @has_access
    def all_present(self):
        facility, day = self._form_context()
        try:
            count = services.mark_all_present(current_user, clock.now(), facility.id, day,
                                              request.form.get("reason", ""))
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("%(count)s child(ren) marked present.", count=count), "success")
        return self._back(facility.id, day)

    @expose("/verrouiller", methods=["POST"])
    @has_access
    def lock(self):
        facility, day = self._form_context()
        try:
            services.lock_day(current_user, clock.now(), facility.id, day,
                              request.form.get("note", ""))
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("The pointage of %(day)s is locked.", day=format_day(day)), "success")
        return self._back(facility.id, day)

    @expose("/sans-reservation", methods=["POST"])
    @has_access
    def walk_in(self):
        facility, day = self._form_context()
        try:
            presence = services.add_walk_in(current_user, clock.now(), facility.id, day,
                                            request.form.get("child"),
                                            request.form.get("unit"),
                                            request.form.get("reason", ""))
        except DomainError as error:
            flash(str(error), "danger")
            return self._back(facility.id, day)
        flash(_("Child added and marked present."), "success")
        return self._back(facility.id, day, f"p{presence.id}")


def register_views(appbuilder) -> None:
    appbuilder.add_view(StaffAttendanceView, "StaffAttendanceView", label=_l("Pointage"),
                        icon="fa-check-square-o", category="Staff",
                        category_label=_l("Staff desk"), category_icon="fa-briefcase")
