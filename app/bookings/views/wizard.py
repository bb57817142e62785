"""Family: "Nouvelle Réservation", the four-step wizard (Sélectionner
l'usager | Choix établissement et période | Planning | Récapitulatif), with
the day page, "Recopier la journée" and the school catering year."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.bookings import recurrence, services
from app.bookings.forms import (
    CantineForm,
    ChildStepForm,
    DayUnitForm,
    PeriodStepForm,
    RecopyForm,
    RemoveDayForm,
)
from app.bookings.models import Presence
from app.bookings.services import capacity
from app.bookings.views.common import (
    account_url,
    child_display,
    child_label,
    csrf_ok,
    error_message,
    family_page,
    icons,
    is_cantine,
    month_arg,
    month_param,
    month_weeks,
    parse_day,
    shift_month,
    weekday_names,
)
from app.bookings.views.draft import load_draft, load_wizard, save_draft, units_by_id
from app.catalogue.models import OpeningDay, Period
from app.catalogue.services import opening_dates
from app.core import clock
from app.core.errors import DomainError
from app.core.i18n import format_day_title, format_month
from app.core.states import HOLDING_STATES
from app.extensions import db
from app.families.access import child_of, children_of


def wizard_step(need_period=True):
    """Decorates a wizard step ``method(self, wizard, ...)``: the draft's
    child (and period) re-checked against the household; without a draft,
    back to the first step."""
    def decorator(method):
        @family_page
        @wraps(method)
        def step(self, household, *args, **kwargs):
            wizard = load_wizard(household, need_period=need_period)
            if wizard is None:
                return self._restart()
            return method(self, wizard, *args, **kwargs)
        return step
    return decorator


class FamilyBookingView(BaseView):
    """Nouvelle Réservation: Sélectionner l'usager | Choix établissement et
    période | Planning | Récapitulatif. Nothing is written before the last
    "Valider"; the draft lives in the session."""

    route_base = "/compte/reservations"
    default_view = "start"
    not_validated_title = _l("New booking")

    def _render(self, template, wizard=None, step=1, **kwargs):
        child = wizard.child if wizard else kwargs.get("child")
        period = wizard.period if wizard else None
        return self.render_template(
            template, account_url=account_url(), step=step, wizard=wizard,
            wizard_child=child, wizard_period=period, child_display=child_display,
            state_icon=icons(), title=_("New booking"), **kwargs)

    def _restart(self, message=None):
        if message:
            flash(message, "warning")
        return redirect(url_for(".start"))

    # step 1 ---------------------------------------------------------------
    @expose("/nouvelle", methods=["GET", "POST"])
    @has_access
    @family_page
    def start(self, household):
        today = clock.today()
        children = children_of(household)
        if not children:
            flash(_("Please add your children in \"My children\" before booking."), "warning")
            return redirect(account_url())
        form = ChildStepForm()
        form.child.choices = [(c.id, child_label(c, today)) for c in children]
        if request.method == "GET":
            draft = load_draft()
            wanted = request.args.get("usager") or (draft or {}).get("child")
            if wanted is not None:
                form.child.data = child_of(household, wanted).id
            elif len(children) == 1:
                form.child.data = children[0].id
        if form.validate_on_submit():
            child = child_of(household, form.child.data)
            draft = load_draft() or {}
            if draft.get("child") != child.id:
                draft = {"child": child.id, "days": []}
            save_draft(draft)
            return redirect(url_for(".period"))
        chosen = None
        if form.child.data:
            chosen = next((c for c in children if c.id == form.child.data), None)
        return self._render("bookings/wizard_child.html", step=1, form=form,
                            children=children, child=chosen, today=today)

    # step 2 ---------------------------------------------------------------
    @expose("/nouvelle/periode", methods=["GET", "POST"])
    @has_access
    @wizard_step(need_period=False)
    def period(self, wizard):
        periods = services.bookable_periods(wizard.household, wizard.child, clock.now())
        facilities = sorted({p.reception.facility.id: p.reception.facility
                             for p in periods}.values(), key=lambda f: f.name)
        facility_id = request.args.get("etablissement", type=int)
        shown = [p for p in periods if not facility_id or p.reception.facility_id == facility_id]
        form = PeriodStepForm()
        form.period.choices = [(p.id, p.path) for p in periods]
        if request.method == "GET" and wizard.draft.get("period"):
            form.period.data = wizard.draft["period"]
        if form.validate_on_submit():
            period = next(p for p in periods if p.id == form.period.data)
            draft = wizard.draft
            if draft.get("period") != period.id:
                draft["period"] = period.id
                draft["days"] = []
            save_draft(draft)
            if is_cantine(period) and not draft["days"]:
                return redirect(url_for(".cantine"))
            return redirect(url_for(".planning"))
        return self._render("bookings/wizard_period.html", wizard=wizard, step=2, form=form,
                            periods=shown, facilities=facilities, facility_id=facility_id)

    # step 3 ---------------------------------------------------------------
    @expose("/nouvelle/planning")
    @has_access
    @wizard_step()
    def planning(self, wizard):
        period = wizard.period
        today = clock.today()
        draft_days = wizard.days
        default = max(period.start_date, min(today, period.end_date))
        if draft_days:
            default = draft_days[0][0]
        year, month = month_arg(default)
        first = dt.date(period.start_date.year, period.start_date.month, 1)
        last = dt.date(period.end_date.year, period.end_date.month, 1)
        if dt.date(year, month, 1) < first:
            year, month = first.year, first.month
        if dt.date(year, month, 1) > last:
            year, month = last.year, last.month
        weeks = month_weeks(year, month)
        open_days = set(db.session.scalars(
            select(OpeningDay.date).where(OpeningDay.period_id == period.id,
                                          OpeningDay.date >= weeks[0][0],
                                          OpeningDay.date <= weeks[-1][-1])))
        by_day: dict[dt.date, list] = {}
        for presence in _child_presences(wizard, year, month):
            by_day.setdefault(presence.date, []).append(presence)
        units = units_by_id(period)
        drafted: dict[dt.date, list] = {}
        for day, unit_id in draft_days:
            if unit_id in units:
                drafted.setdefault(day, []).append(units[unit_id])
        prev_url = next_url = None
        if dt.date(*shift_month(year, month, -1), 1) >= first:
            prev_url = url_for(".planning", mois=month_param(year, month, -1))
        if dt.date(*shift_month(year, month, 1), 1) <= last:
            next_url = url_for(".planning", mois=month_param(year, month, 1))
        return self._render(
            "bookings/wizard_planning.html", wizard=wizard, step=3, weeks=weeks, year=year,
            month=month, month_title=format_month(year, month), open_days=open_days,
            by_day=by_day, drafted=drafted, prev_url=prev_url, next_url=next_url,
            weekday_names=weekday_names(), count=len(draft_days), today=today,
            is_cantine=is_cantine(period))

    @expose("/nouvelle/jour/<day>", methods=["GET", "POST"])
    @has_access
    @wizard_step()
    def day(self, wizard, day):
        """"Présences du mercredi 20 septembre 2023": what is booked, and
        "Nouvelle réservation (+)" with the régimes and their places left."""
        day = parse_day(day)
        period = wizard.period
        if day not in set(opening_dates(period.id)):
            abort(404)
        units = period.units
        left = capacity.places_left(db.session, period.id, [day], [u.id for u in units])
        form = DayUnitForm()
        form.unit.choices = [(u.id, u.name) for u in units]
        if form.validate_on_submit():
            try:
                services.check_can_book(current_user, clock.now(), wizard.household,
                                        wizard.child, period, day)
            except DomainError as error:
                db.session.rollback()
                flash(error_message(error), "danger")
            else:
                days = [(d, u) for d, u in wizard.days if d != day]
                days.append((day, form.unit.data))
                wizard.save_days(days)
                return redirect(url_for(".planning", mois=f"{day:%Y-%m}"))
        elif request.method == "POST":
            flash(_("Please choose a meal plan."), "danger")
        existing = [p for p in _child_presences(wizard, day.year, day.month) if p.date == day]
        unit_map = units_by_id(period)
        drafted = [unit_map[u] for d, u in wizard.days if d == day and u in unit_map]
        return self._render(
            "bookings/wizard_day.html", wizard=wizard, step=3, day=day, units=units,
            left=left, form=form, existing=existing, drafted=drafted,
            remove_form=RemoveDayForm(), unlimited=capacity.UNLIMITED)

    @expose("/nouvelle/retirer", methods=["POST"])
    @has_access
    @wizard_step()
    def remove(self, wizard):
        """Remove one day (and régime) from the draft: nothing is recorded."""
        form = RemoveDayForm()
        if form.validate_on_submit():
            try:
                target = (dt.date.fromisoformat(form.day.data), int(form.unit.data))
            except ValueError:
                abort(400)
            wizard.save_days([d for d in wizard.days if d != target])
            flash(_("%(day)s removed from your request.", day=format_day_title(target[0])),
                  "info")
        back = request.form.get("next")
        if back == "summary":
            return redirect(url_for(".summary"))
        return redirect(url_for(".planning", mois=(form.day.data or "")[:7] or None))

    @expose("/nouvelle/recopier/<day>", methods=["GET", "POST"])
    @has_access
    @wizard_step()
    def recopy(self, wizard, day):
        """"Recopier la journée": to another day, to a whole week, or
        "Dates cibles"; a preview, then "Valider" adds the days to the draft."""
        source = parse_day(day)
        period = wizard.period
        unit_map = units_by_id(period)
        unit_ids = [u for d, u in wizard.days if d == source and u in unit_map]
        if not unit_ids:
            unit_ids = list(db.session.scalars(
                select(Presence.unit_id).where(
                    Presence.household_id == wizard.household.id,
                    Presence.child_id == wizard.child.id, Presence.period_id == period.id,
                    Presence.date == source, Presence.state.in_(HOLDING_STATES))))
        if not unit_ids:
            flash(_("Choose a meal plan for this day before copying it."), "warning")
            return redirect(url_for(".day", day=source.isoformat()))
        form = RecopyForm()
        form.weekdays.choices = _period_weekdays(period)
        form.months.choices = _period_months(period)
        preview = None
        if request.method == "POST" and form.validate():
            dates = _recopy_dates(period, source, form)
            if dates is not None:
                preview = _recopy_preview(wizard, dates, unit_ids, unit_map)
                if not dates:
                    flash(_("No opening day matches these choices."), "warning")
                elif form.confirm.data == "1":
                    days = set(wizard.days)
                    days.update(preview["add"])
                    wizard.save_days(days)
                    flash(_("%(count)s day(s) added to your request.",
                            count=len({d for d, _u in preview["add"]})), "success")
                    first = preview["add"][0][0] if preview["add"] else source
                    return redirect(url_for(".planning", mois=f"{first:%Y-%m}"))
        elif request.method == "POST":
            flash(_("Please check the form."), "danger")
        return self._render(
            "bookings/wizard_recopy.html", wizard=wizard, step=3, source=source, form=form,
            units=[unit_map[u] for u in unit_ids], preview=preview)

    @expose("/nouvelle/cantine", methods=["GET", "POST"])
    @has_access
    @wizard_step()
    def cantine(self, wizard):
        """Restauration scolaire: the whole year for the chosen weekdays."""
        period = wizard.period
        form = CantineForm()
        form.weekdays.choices = _period_weekdays(period)
        form.unit.choices = [(u.id, u.name) for u in period.units]
        if request.method == "GET" and len(period.units) == 1:
            form.unit.data = period.units[0].id
        if form.validate_on_submit():
            now = clock.now()
            dates = recurrence.cantine_dates(period, form.weekdays.data, start=now.date())
            kept, refused = [], 0
            for day in dates:
                try:
                    services.check_can_book(current_user, now, wizard.household, wizard.child,
                                            period, day)
                except DomainError:
                    refused += 1
                    continue
                kept.append((day, form.unit.data))
            db.session.rollback()
            days = {(d, u) for d, u in wizard.days}
            days.update(kept)
            wizard.save_days(days)
            if kept:
                flash(_("%(count)s school days added to your request: remove the days your "
                        "child will not eat at the canteen, then click \"Next\".",
                        count=len(kept)), "success")
            else:
                flash(_("No school day can be booked any more for these days of the week."),
                      "warning")
            if refused:
                flash(_("%(count)s day(s) can no longer be booked online and were left out.",
                        count=refused), "info")
            return redirect(url_for(".planning", mois=f"{kept[0][0]:%Y-%m}" if kept else None))
        elif request.method == "POST":
            flash(_("Please check the form."), "danger")
        return self._render("bookings/wizard_cantine.html", wizard=wizard, step=3, form=form)

    # step 4 ---------------------------------------------------------------
    @expose("/nouvelle/recapitulatif")
    @has_access
    @wizard_step()
    def summary(self, wizard):
        unit_map = units_by_id(wizard.period)
        grouped: list[tuple[dt.date, list]] = []
        for day, unit_id in wizard.days:
            if unit_id not in unit_map:
                continue
            if grouped and grouped[-1][0] == day:
                grouped[-1][1].append(unit_map[unit_id])
            else:
                grouped.append((day, [unit_map[unit_id]]))
        if not grouped:
            flash(_("Your request is empty: choose at least one day in the planning."),
                  "warning")
            return redirect(url_for(".planning"))
        return self._render("bookings/wizard_summary.html", wizard=wizard, step=4,
                            grouped=grouped, remove_form=RemoveDayForm())

    @expose("/nouvelle/valider", methods=["POST"])
    @has_access
    @family_page
    def confirm(self, household):
        """The last "Valider": one call to book(), one request, one transaction."""
        if not csrf_ok():
            flash(_("The form has expired, please try again."), "danger")
            return redirect(url_for(".summary"))
        wizard = load_wizard(household)
        if wizard is None:
            return self._restart(_("Your request has already been sent, or has expired."))
        unit_map = units_by_id(wizard.period)
        selections = [(d, u) for d, u in wizard.days if u in unit_map]
        if not selections:
            return redirect(url_for(".planning"))
        try:
            result = services.book(current_user, clock.now(), household, wizard.child,
                                   wizard.period, selections,
                                   comment=(request.form.get("comment") or "")[:1000])
        except DomainError as error:
            db.session.rollback()
            flash(error_message(error), "danger")
            return redirect(url_for(".summary"))
        save_draft(None)
        if result.request is not None:
            # book() committed: reload the request's days in ONE query rather
            # than one lazy refresh per expired presence while rendering.
            db.session.scalars(select(Presence).where(
                Presence.request_id == result.request.id)).all()
        skipped = [(d, unit_map.get(u), reason) for d, u, reason in (result.skipped or [])]
        return self._render("bookings/wizard_result.html", wizard=wizard, step=4,
                            result=result, skipped=skipped, by_month=_by_month)

    @expose("/nouvelle/abandonner", methods=["POST"])
    @has_access
    @family_page
    def abandon(self, household):
        if csrf_ok():
            save_draft(None)
            flash(_("Your request has been abandoned: nothing was recorded."), "info")
        return redirect(url_for("FamilyPlanningView.index"))


def _child_presences(wizard, year, month) -> list:
    """The wizard's child's presences that month (with those of other
    accounts), as the planning shows them."""
    return services.presences_for_calendar(
        wizard.household, year, month, child_ids=[wizard.child.id], include_cancelled=False,
        include_other_accounts=True)


def _by_month(presences) -> list[tuple[str, str, int]]:
    """A long list of days, compactly: [("Septembre 2026", "1, 3, 4, 7", 4), ...]."""
    months: dict[tuple[int, int], list[int]] = {}
    for presence in presences:
        months.setdefault((presence.date.year, presence.date.month), []).append(presence.date.day)
    return [(format_month(y, m), ", ".join(str(d) for d in sorted(set(days))), len(days))
            for (y, m), days in sorted(months.items())]


def _period_weekdays(period: Period) -> list[tuple[int, str]]:
    """The days of the week the period opens on, for a weekday choice."""
    return [(i, name) for i, name in enumerate(weekday_names())
            if str(i) in (period.weekdays or "").split(",")]


def _period_months(period: Period) -> list[tuple[str, str]]:
    months = []
    year, month = period.start_date.year, period.start_date.month
    while (year, month) <= (period.end_date.year, period.end_date.month):
        months.append((f"{year}-{month:02d}", format_month(year, month)))
        year, month = shift_month(year, month, 1)
    return months


def _recopy_dates(period, source, form) -> list | None:
    """The days "Recopier" copies to, from the form; None (with a message)
    when the choices are not valid."""
    options = {}
    mode = form.mode.data
    if mode == "day":
        options["target_day"] = form.target_day.data
    elif mode == "week":
        options["target_day"] = form.week_day.data
    else:
        options.update(start=form.date_from.data, end=form.date_to.data,
                       weekdays=form.weekdays.data or None,
                       every_other_week=form.every.data == 2,
                       months=[int(m.split("-")[1]) for m in form.months.data] or None)
    try:
        if mode in ("day", "week") and not options["target_day"]:
            raise DomainError(_("Please choose a valid date."))
        dates = recurrence.recopy_dates(period, source, mode, **options)
    except DomainError as error:
        flash(error_message(error), "danger")
        return None
    if mode == "targets" and form.months.data:
        wanted = set(form.months.data)
        dates = [d for d in dates if f"{d:%Y-%m}" in wanted]
    return dates


def _recopy_preview(wizard, dates, unit_ids, unit_map) -> dict:
    """Which (day, unit) the copy adds, and which it skips (already booked or
    already in the request)."""
    booked = set()
    if dates:
        booked = set(db.session.execute(
            select(Presence.date, Presence.unit_id).where(
                Presence.child_id == wizard.child.id, Presence.date.in_(dates),
                Presence.unit_id.in_(unit_ids), Presence.state.in_(HOLDING_STATES))).all())
    in_draft = set(wizard.days)
    add, skipped = [], []
    for day in dates:
        for unit_id in unit_ids:
            key = (day, unit_id)
            if key in booked:
                skipped.append((day, unit_map[unit_id], _("already booked")))
            elif key in in_draft:
                skipped.append((day, unit_map[unit_id], _("already in your request")))
            else:
                add.append(key)
    return {"add": add, "add_rows": [(d, unit_map[u]) for d, u in add], "skipped": skipped}
