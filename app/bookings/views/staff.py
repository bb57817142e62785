"""Staff: the two queues (pending booking requests, cancellation requests),
one by one or in bulk, and the occupancy of a period."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.bookings import services
from app.bookings.forms import QueueActionForm
from app.bookings.models import Presence
from app.bookings.services import capacity
from app.bookings.views.common import (
    child_display,
    error_message,
    icons,
    month_arg,
    month_param,
    page_arg,
    shift_month,
)
from app.catalogue.models import Facility, Period, Reception
from app.catalogue.services import facility_scope, opening_dates
from app.core import clock
from app.core.errors import DomainError
from app.core.i18n import format_month
from app.core.states import PresenceState
from app.core.views_common import PageView
from app.extensions import db
from app.families.access import valid_id
from app.families.models import Child


# --- staff scope -----------------------------------------------------------

def _in_scope(query, user):
    """``query`` (joined to Reception) limited to the agent's facilities."""
    scope = facility_scope(user)
    if scope is not None:
        query = query.where(Reception.facility_id.in_(scope))
    return query


def _visible_facilities(user) -> list[Facility]:
    scope = facility_scope(user)
    query = select(Facility).order_by(Facility.name)
    if scope is not None:
        query = query.where(Facility.id.in_(scope))
    return list(db.session.scalars(query))


def _visible_periods(user, facility_id=None) -> list[Period]:
    query = _in_scope(select(Period).join(Reception, Reception.id == Period.reception_id), user)
    if facility_id:
        query = query.where(Reception.facility_id == facility_id)
    return list(db.session.scalars(query.order_by(Period.start_date.desc(), Period.name)))


# --- queues ----------------------------------------------------------------

def _queue_filters(user):
    facilities = _visible_facilities(user)
    facility_id = request.args.get("etablissement", type=int)
    if facility_id and facility_id not in {f.id for f in facilities}:
        facility_id = None
    periods = _visible_periods(user, facility_id)
    period_id = request.args.get("periode", type=int)
    if period_id and period_id not in {p.id for p in periods}:
        period_id = None
    day = None
    if request.args.get("jour"):
        try:
            day = dt.date.fromisoformat(request.args["jour"])
        except ValueError:
            flash(_("Please choose a valid date."), "warning")
    child = (request.args.get("enfant") or "").strip()[:100]
    return {"facilities": facilities, "facility_id": facility_id, "periods": periods,
            "period_id": period_id, "day": day, "child": child}


def _in_state(columns, user, state: str):
    """SELECT ``columns`` of the presences in ``state`` that this agent sees."""
    return _in_scope(select(columns).join(Period, Period.id == Presence.period_id)
                     .join(Reception, Reception.id == Period.reception_id)
                     .where(Presence.state == state), user)


def _queue_query(user, state: str, filters: dict):
    query = _in_state(Presence, user, state).join(Child, Child.id == Presence.child_id)
    if filters["facility_id"]:
        query = query.where(Reception.facility_id == filters["facility_id"])
    if filters["period_id"]:
        query = query.where(Presence.period_id == filters["period_id"])
    if filters["day"]:
        query = query.where(Presence.date == filters["day"])
    if filters["child"]:
        pattern = f"%{filters['child'].lower()}%"
        query = query.where(func.lower(Child.first_name + " " + Child.last_name).like(pattern)
                            | func.lower(Child.last_name + " " + Child.first_name).like(pattern))
    return query


def _visible_ids(user, state: str, ids) -> list[int]:
    """The ids among ``ids`` that this agent may act on (state and facility)."""
    clean = sorted({n for n in map(valid_id, ids) if n})
    if not clean:
        return []
    return list(db.session.scalars(_in_state(Presence.id, user, state)
                                   .where(Presence.id.in_(clean))))


def _places_left(rows) -> dict:
    """{(unit_id, day): places left} for the rows' units and days."""
    left = {}
    by_period: dict[int, tuple[set, set]] = {}
    for row in rows:
        dates, units = by_period.setdefault(row.period_id, (set(), set()))
        dates.add(row.date)
        units.add(row.unit_id)
    for period_id, (dates, units) in by_period.items():
        left.update(capacity.places_left(db.session, period_id, dates, units))
    return left


class _StaffQueue(PageView):
    """A queue of presences in one ``state``: a filtered, paged list, and a
    bulk form carried out by the services ``accept_many(actor, now, ids)``
    and ``refuse_many(actor, now, ids, reason)`` of the queue."""

    state = PresenceState.PENDING.value
    accept_many = staticmethod(services.accept_many)
    refuse_many = staticmethod(services.refuse_many)
    title = _l("Pending booking requests")
    template = "bookings/staff_queue.html"
    per_page = 50

    def page(self):
        filters = _queue_filters(current_user)
        page = page_arg()
        base = _queue_query(current_user, self.state, filters)
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        rows = list(db.session.scalars(
            base.order_by(Presence.date, Presence.created_at, Presence.id)
            .limit(self.per_page).offset((page - 1) * self.per_page)))
        pages = max(1, (total + self.per_page - 1) // self.per_page)
        title = str(self.title)
        return self.render_template(
            self.template, title=title, heading=title, rows=rows, total=total, page=page,
            pages=pages, left=_places_left(rows), unlimited=capacity.UNLIMITED,
            filters=filters, form=QueueActionForm(), state_icon=icons(),
            child_display=child_display, endpoint=f"{type(self).__name__}.index",
            action_endpoint=f"{type(self).__name__}.act",
            cancellation=self.state == PresenceState.CANCEL_REQUESTED.value)

    @expose("/action", methods=["POST"])
    @has_access
    def act(self):
        """The queue's bulk form: checks it, then ``_apply(action, ids, reason)``."""
        form = QueueActionForm()
        if not form.validate_on_submit():
            flash(_("The form has expired, please try again."), "danger")
            return self._back()
        ids = _visible_ids(current_user, self.state, request.form.getlist("presence_ids"))
        if not ids:
            flash(_("Select at least one request."), "warning")
            return self._back()
        action = form.action.data
        if action not in ("accept", "refuse"):
            abort(400)
        reason = (form.reason.data or "").strip()
        if action == "refuse" and not reason:
            flash(_("Please give the family a reason for the refusal."), "danger")
            return self._back()
        try:
            if action == "accept":
                result = self.accept_many(current_user, clock.now(), ids)
            else:
                result = self.refuse_many(current_user, clock.now(), ids, reason)
        except DomainError as error:
            db.session.rollback()
            flash(error_message(error), "danger")
            return self._back()
        _flash_counts(result.done, list(result.errors.values()), action)
        return self._back()

    def _back(self):
        args = {k: v for k, v in request.args.items()}
        return redirect(url_for(f"{type(self).__name__}.index", **args))


class StaffBookingQueueView(_StaffQueue):
    """Demandes en attente: accept or refuse, one by one or in bulk."""

    route_base = "/agents/reservations/demandes"
    state = PresenceState.PENDING.value
    title = _l("Pending booking requests")


class StaffCancellationQueueView(_StaffQueue):
    """Demandes d'annulation: accept (frees the place) or refuse."""

    route_base = "/agents/reservations/annulations"
    state = PresenceState.CANCEL_REQUESTED.value
    title = _l("Cancellation requests")
    accept_many = staticmethod(services.accept_cancellations)
    refuse_many = staticmethod(services.refuse_cancellations)


def _flash_counts(done, errors, action):
    if done:
        if action == "accept":
            flash(_("%(count)s request(s) accepted; the families are informed by e-mail.",
                    count=done), "success")
        else:
            flash(_("%(count)s request(s) refused; the families are informed by e-mail.",
                    count=done), "success")
    for message in errors[:10]:
        flash(message, "danger")


# --- occupancy -------------------------------------------------------------

class StaffOccupancyView(PageView):
    """Occupation: places taken and left per day and slot, and the waiting list."""

    route_base = "/agents/reservations/occupation"
    title = _l("Occupancy")

    def page(self):
        periods = _visible_periods(current_user)
        period_id = request.args.get("periode", type=int)
        period = next((p for p in periods if p.id == period_id), None)
        if period is None and periods and period_id is None:
            today = clock.today()
            current = [p for p in periods if p.start_date <= today <= p.end_date]
            period = (current or periods)[0]
        elif period is None and period_id is not None:
            abort(404)
        data = None
        year = month = None
        prev_url = next_url = None
        if period is not None:
            today = clock.today()
            default = max(period.start_date, min(today, period.end_date))
            year, month = month_arg(default)
            first = dt.date(year, month, 1)
            last = dt.date(*shift_month(year, month, 1), 1) - dt.timedelta(days=1)
            dates = [d for d in opening_dates(period.id) if first <= d <= last]
            data = services.occupancy(period, dates)
            prev_url = url_for(".index", periode=period.id, mois=month_param(year, month, -1))
            next_url = url_for(".index", periode=period.id, mois=month_param(year, month, 1))
        return self.render_template(
            "bookings/staff_occupancy.html", title=str(self.title), periods=periods,
            period=period, data=data, month_title=format_month(year, month) if year else "",
            prev_url=prev_url, next_url=next_url, child_display=child_display)
