"""Family: "Mon planning" (the month calendar), the presence details and
"Voir/Modifier cette réservation", withdrawal, "Demander l'annulation",
"Recopier", and "Historique des réservations"."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.bookings import services
from app.bookings.forms import CancelForm, RemoveDayForm
from app.bookings.models import Presence
from app.bookings.views.common import (
    DONE_STATES,
    LEGEND,
    account_url,
    child_display,
    csrf_ok,
    error_message,
    family_page,
    icons,
    month_arg,
    month_param,
    month_weeks,
    page_arg,
    weekday_names,
)
from app.bookings.views.draft import save_draft
from app.core import clock
from app.core.errors import DomainError, NotFound
from app.core.i18n import format_day, format_month
from app.core.states import HOLDING_STATES, PresenceState
from app.extensions import db
from app.families.access import child_of, children_of, owned_or_404, valid_id

# The days "Plusieurs jours" may cancel (or withdraw).
CANCELLABLE_STATES = (PresenceState.PENDING.value, PresenceState.ACCEPTED.value,
                      PresenceState.WAITLISTED.value)


class FamilyPlanningView(BaseView):
    route_base = "/compte/planning"
    default_view = "index"
    not_validated_title = _l("My planning")

    @expose("/")
    @has_access
    @family_page
    def index(self, household):
        today = clock.today()
        year, month = month_arg(today)
        children = children_of(household)
        child_ids_all = [c.id for c in children]
        if request.args.get("filtre"):
            chosen = {n for n in map(valid_id, request.args.getlist("usager")) if n}
            child_ids = [i for i in child_ids_all if i in chosen]
            show_cancelled = bool(request.args.get("annulations"))
            show_others = bool(request.args.get("autres"))
        else:
            child_ids = child_ids_all
            show_cancelled = False
            show_others = True
        presences = services.presences_for_calendar(
            household, year, month, child_ids=child_ids, include_cancelled=show_cancelled,
            include_other_accounts=show_others) if child_ids else []
        by_day: dict[dt.date, list] = {}
        for presence in presences:
            by_day.setdefault(presence.date, []).append(presence)
        filter_args = {"filtre": "1", "usager": child_ids}
        if show_cancelled:
            filter_args["annulations"] = "1"
        if show_others:
            filter_args["autres"] = "1"
        return self.render_template(
            "bookings/planning.html", title=_("My planning"), account_url=account_url(),
            weeks=month_weeks(year, month), year=year, month=month,
            month_title=format_month(year, month), by_day=by_day, today=today,
            prev_url=url_for(".index", mois=month_param(year, month, -1), **filter_args),
            next_url=url_for(".index", mois=month_param(year, month, 1), **filter_args),
            children=children, child_ids=child_ids, show_cancelled=show_cancelled,
            show_others=show_others, legend=LEGEND, state_icon=icons(),
            weekday_names=weekday_names(), child_display=child_display)

    @expose("/historique")
    @has_access
    @family_page
    def history(self, household):
        per_page = request.args.get("par_page", "5")
        per_page = int(per_page) if per_page in ("5", "10", "25") else 5
        page = page_arg()
        rows, total = services.history(household, page=page, per_page=per_page)
        first = (page - 1) * per_page + 1 if total else 0
        last = min(total, page * per_page)
        pages = max(1, (total + per_page - 1) // per_page)
        return self.render_template(
            "bookings/history.html", title=_("Booking history"), account_url=account_url(),
            rows=rows, total=total, page=page, pages=pages, per_page=per_page,
            first=first, last=last, state_icon=icons(), history_mark=history_mark,
            dates_text=dates_text)

    @expose("/historique/<int:request_id>")
    @has_access
    @family_page
    def request_detail(self, household, request_id):
        try:
            details = services.request_details(household, request_id)
        except NotFound:
            abort(404)
        if details is None:
            abort(404)
        return self.render_template(
            "bookings/request_detail.html", title=_("Request details"),
            account_url=account_url(), details=details, state_icon=icons())

    @expose("/presence/<int:presence_id>")
    @has_access
    @family_page
    def presence(self, household, presence_id):
        """A presence's details, with "Voir/Modifier cette réservation"."""
        presence = owned_or_404(Presence, presence_id, household)
        return self._presence_page(presence, _("Presence details"), edit=False)

    @expose("/presence/<int:presence_id>/modifier")
    @has_access
    @family_page
    def edit(self, household, presence_id):
        """"Voir/Modifier cette réservation": the day and what can be done."""
        presence = owned_or_404(Presence, presence_id, household)
        same_day = list(db.session.scalars(
            select(Presence).where(Presence.household_id == household.id,
                                   Presence.child_id == presence.child_id,
                                   Presence.date == presence.date)
            .order_by(Presence.id)))
        return self._presence_page(
            presence, _("View/Edit this booking"), edit=True, same_day=same_day,
            form=RemoveDayForm(),
            can_cancel=presence.state == PresenceState.ACCEPTED.value,
            can_withdraw=presence.state in (PresenceState.PENDING.value,
                                            PresenceState.WAITLISTED.value),
            can_copy=presence.state in HOLDING_STATES)

    def _presence_page(self, presence, title, **kwargs):
        return self.render_template(
            "bookings/presence.html", title=title, account_url=account_url(),
            presence=presence, state_icon=icons(), child_display=child_display, **kwargs)

    @expose("/presence/<int:presence_id>/retirer", methods=["POST"])
    @has_access
    @family_page
    def withdraw(self, household, presence_id):
        """"Retirer ma demande": a pending day is withdrawn at once."""
        presence = owned_or_404(Presence, presence_id, household)
        if not csrf_ok():
            flash(_("The form has expired, please try again."), "danger")
            return redirect(url_for(".edit", presence_id=presence.id))
        try:
            services.withdraw(current_user, clock.now(), presence)
        except DomainError as error:
            db.session.rollback()
            flash(error_message(error), "danger")
            return redirect(url_for(".edit", presence_id=presence_id))
        flash(_("Your request for %(day)s has been withdrawn.", day=format_day(presence.date)),
              "success")
        return redirect(url_for(".index", mois=f"{presence.date:%Y-%m}"))

    @expose("/presence/<int:presence_id>/annulation", methods=["GET", "POST"])
    @has_access
    @family_page
    def cancel(self, household, presence_id):
        """"Demander l'annulation": "Cette demande" or "Plusieurs jours",
        "Suivant", then "Valider"."""
        presence = owned_or_404(Presence, presence_id, household)
        form = CancelForm()
        chosen = None
        if request.method == "POST" and form.validate():
            if form.scope.data == "many":
                chosen = _days_between(household, presence, form.date_from.data,
                                       form.date_to.data)
            else:
                chosen = [presence]
            if chosen is not None and form.confirm.data == "1":
                try:
                    services.ask_cancellation(current_user, clock.now(), chosen,
                                              comment=form.comment.data or "")
                except DomainError as error:
                    db.session.rollback()
                    flash(error_message(error), "danger")
                    return self._cancel_page(presence, form, chosen)
                flash(_("Your cancellation request has been recorded. A summary e-mail "
                        "will be sent to you."), "success")
                return redirect(url_for(".index", mois=f"{presence.date:%Y-%m}",
                                        filtre="1", annulations="1", autres="1",
                                        usager=[presence.child_id]))
        elif request.method == "POST":
            flash(_("Please check the form."), "danger")
        return self._cancel_page(presence, form, chosen)

    def _cancel_page(self, presence, form, chosen):
        return self.render_template(
            "bookings/cancel.html", title=_("Ask for cancellation"), account_url=account_url(),
            presence=presence, form=form, chosen=chosen, state_icon=icons(),
            child_display=child_display)

    @expose("/presence/<int:presence_id>/recopier", methods=["POST"])
    @has_access
    @family_page
    def copy(self, household, presence_id):
        """"Recopier": start a new request for the same child and period,
        copying this day's booking to other days."""
        presence = owned_or_404(Presence, presence_id, household)
        if not csrf_ok():
            abort(400)
        child = child_of(household, presence.child_id)
        period_ids = {p.id for p in services.bookable_periods(household, child, clock.now())}
        if presence.period_id not in period_ids:
            flash(_("This opening period can no longer be booked online."), "danger")
            return redirect(url_for(".edit", presence_id=presence.id))
        save_draft({"child": child.id, "period": presence.period_id, "days": []})
        return redirect(url_for("FamilyBookingView.recopy", day=presence.date.isoformat()))


def _days_between(household, presence, start, end) -> list | None:
    """"Plusieurs jours": the child's booked days of the presence's period
    from ``start`` to ``end``; None (with a message) when there are none or
    the dates are not valid."""
    if not start or not end:
        flash(_("Please give the first and the last day to cancel."), "danger")
        return None
    if end < start:
        flash(_("The end date must not be before the start date."), "danger")
        return None
    chosen = list(db.session.scalars(
        select(Presence).where(
            Presence.household_id == household.id,
            Presence.child_id == presence.child_id,
            Presence.period_id == presence.period_id,
            Presence.date >= start, Presence.date <= end,
            Presence.state.in_(CANCELLABLE_STATES))
        .order_by(Presence.date, Presence.unit_id)))
    if not chosen:
        flash(_("No booked day to cancel between these dates."), "warning")
        return None
    return chosen


def history_mark(row) -> tuple[str, str, str]:
    """(kind, text, label) for the État column: ✓, ✗ or the state icons."""
    states = {k: v for k, v in (row.states or {}).items() if v}
    if states and set(states) <= {PresenceState.ACCEPTED.value}:
        return "ok", "✓", str(PresenceState.ACCEPTED.label)
    if states and set(states) <= set(DONE_STATES):
        return "ko", "✗", row.state_summary
    return "icons", "", row.state_summary


def dates_text(dates) -> str:
    dates = sorted(dates or [])
    if not dates:
        return ""
    if len(dates) <= 3:
        return ", ".join(d.strftime("%d/%m/%Y") for d in dates)
    return _("%(first)s to %(last)s (%(count)s days)", first=dates[0].strftime("%d/%m/%Y"),
             last=dates[-1].strftime("%d/%m/%Y"), count=len(dates))
