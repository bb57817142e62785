"""Bookings screens: the family's planning, history and booking wizard; the
agents' queues and occupancy.

Views only read, validate input and call the engine (services, capacity,
recurrence): every state change, capacity or deadline rule lives there.
Every family lookup goes through app.families.access (404 for anything that
is not the household's own); every staff action re-checks the agent's
facilities before calling the engine.
"""

from __future__ import annotations

import calendar
import datetime as dt

from flask import abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.bookings import capacity, recurrence, services
from app.bookings.forms import (
    CancelForm,
    CantineForm,
    ChildStepForm,
    DayUnitForm,
    PeriodStepForm,
    QueueActionForm,
    RecopyForm,
    RemoveDayForm,
)
from app.bookings.models import Presence
from app.bookings.models import Request as BookingRequest
from app.catalogue.models import Facility, OpeningDay, Period, Reception, StaffFacility, Unit
from app.catalogue.services import opening_dates
from app.core import clock
from app.core.errors import DomainError, NotFound
from app.core.i18n import format_day, format_day_title, format_month
from app.core.states import HOLDING_STATES, HouseholdStatus, PresenceState
from app.extensions import db
from app.families.access import (
    child_of,
    children_of,
    current_household,
    owned_or_404,
    valid_id,
)
from app.families.models import Child

DRAFT_KEY = "booking_draft"
MAX_PAGE = 100_000  # a larger page number would overflow the database's OFFSET
CANTINE_CODES = ("cantine", "cantines", "restauration", "restauration_scolaire")

# The guide's legend, in its order: (state or marker, Font Awesome icon, label).
LEGEND = (
    (PresenceState.PENDING.value, "fa-solid fa-hourglass-half", PresenceState.PENDING.label),
    (PresenceState.CANCEL_REQUESTED.value, "fa-solid fa-calendar-xmark",
     PresenceState.CANCEL_REQUESTED.label),
    (PresenceState.CANCELLED.value, "fa-solid fa-ban", PresenceState.CANCELLED.label),
    (PresenceState.REFUSED.value, "fa-solid fa-circle-xmark", PresenceState.REFUSED.label),
    (PresenceState.ACCEPTED.value, "fa-solid fa-circle-check", PresenceState.ACCEPTED.label),
    (PresenceState.EXPIRED.value, "fa-solid fa-clock", PresenceState.EXPIRED.label),
    (PresenceState.CANCEL_EXPIRED.value, "fa-solid fa-calendar-check",
     PresenceState.CANCEL_EXPIRED.label),
    ("other_account", "fa-solid fa-link", _l("Booking linked to another account")),
)
EXTRA_ICONS = {
    PresenceState.WAITLISTED.value: ("fa-solid fa-list-ol", PresenceState.WAITLISTED.label),
    PresenceState.WITHDRAWN.value: ("fa-solid fa-rotate-left", PresenceState.WITHDRAWN.label),
}
ICONS = {key: (icon, label) for key, icon, label in LEGEND}
ICONS.update(EXTRA_ICONS)
DONE_STATES = (PresenceState.REFUSED.value, PresenceState.CANCELLED.value,
               PresenceState.EXPIRED.value, PresenceState.WITHDRAWN.value)


def state_icon(state: str) -> tuple[str, str]:
    return ICONS.get(state, ("fa-solid fa-circle-question", PresenceState.label_of(state)))


def _icons():
    """``state_icon`` with the labels translated once for the request (a
    month page asks for them once per bar)."""
    table = {key: (icon, str(label)) for key, (icon, label) in ICONS.items()}

    def lookup(state: str) -> tuple[str, str]:
        found = table.get(state)
        if found is None:
            found = table[state] = ("fa-solid fa-circle-question", PresenceState.label_of(state))
        return found

    return lookup


# --- small helpers -------------------------------------------------------

def _month_arg(default: dt.date) -> tuple[int, int]:
    """?mois=2023-09 -> (2023, 9); anything else: the default's month."""
    value = request.args.get("mois", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return year, month
    except ValueError:
        pass
    return default.year, default.month


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_weeks(year: int, month: int) -> list[list[dt.date]]:
    """Six weeks, Monday first, as the guide's calendar shows them."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    while len(weeks) < 6:
        last = weeks[-1][-1]
        weeks.append([last + dt.timedelta(days=i) for i in range(1, 8)])
    return weeks


def _parse_day(value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        abort(404)


def _account_url() -> str:
    """The "Mon compte" hub (helper area families); /compte/ by convention."""
    for endpoint in ("FamilyAccountView.index", "FamilyHomeView.index", "FamilyAccountView.hub"):
        try:
            return url_for(endpoint)
        except Exception:  # noqa: BLE001 - not registered (yet)
            continue
    return "/compte/"


def _is_cantine(period: Period) -> bool:
    return (period.reception.service_kind.code or "").lower() in CANTINE_CODES


def _validated_household():
    """The logged-in family's household when validated, else None."""
    household = current_household()
    if household.status != HouseholdStatus.VALIDATED.value:
        return household, False
    return household, True


def _error_message(error: DomainError) -> str:
    return str(error.message)


def _child_label(child: Child, today: dt.date) -> str:
    return _("%(name)s (%(age)s years old)", name=f"{child.first_name} {child.last_name.upper()}",
             age=child.age_on(today))


def _child_display(child: Child) -> str:
    return f"{child.first_name} {child.last_name.upper()}"


# --- the draft (Flask session) -------------------------------------------

def _draft() -> dict | None:
    data = session.get(DRAFT_KEY)
    return data if isinstance(data, dict) else None


def _save_draft(draft: dict | None) -> None:
    if draft is None:
        session.pop(DRAFT_KEY, None)
    else:
        session[DRAFT_KEY] = draft
    session.modified = True


def _draft_days(draft: dict) -> list[tuple[dt.date, int]]:
    days = []
    for item in draft.get("days") or []:
        try:
            days.append((dt.date.fromisoformat(item[0]), int(item[1])))
        except (TypeError, ValueError, IndexError):
            continue
    return sorted(set(days))


def _set_draft_days(draft: dict, days) -> None:
    draft["days"] = [[d.isoformat(), u] for d, u in sorted(set(days))]


class _Wizard:
    """The draft's child and period, re-checked against the household."""

    def __init__(self, household, draft, child, period):
        self.household = household
        self.draft = draft
        self.child = child
        self.period = period

    @property
    def days(self):
        return _draft_days(self.draft)


def _load_wizard(household, need_period=True) -> _Wizard | None:
    draft = _draft()
    if not draft or "child" not in draft:
        return None
    child = child_of(household, draft["child"])  # 404 if not theirs
    period = None
    if need_period:
        if not draft.get("period"):
            return None
        period = db.session.get(Period, int(draft["period"]))
        if period is None:
            abort(404)
        if period.id not in {p.id for p in services.bookable_periods(household, child, clock.now())}:
            abort(404)
    return _Wizard(household, draft, child, period)


def _units_by_id(period: Period) -> dict[int, Unit]:
    return {unit.id: unit for unit in period.units}


# --- staff scope ---------------------------------------------------------

def staff_facility_ids(user) -> set[int] | None:
    """The facilities an agent is assigned to; None: all (none assigned)."""
    ids = set(db.session.scalars(
        select(StaffFacility.facility_id).where(StaffFacility.user_id == user.id)))
    return ids or None


def _visible_facilities(user) -> list[Facility]:
    scope = staff_facility_ids(user)
    query = select(Facility).order_by(Facility.name)
    if scope is not None:
        query = query.where(Facility.id.in_(scope))
    return list(db.session.scalars(query))


def _visible_periods(user, facility_id=None) -> list[Period]:
    scope = staff_facility_ids(user)
    query = select(Period).join(Reception, Reception.id == Period.reception_id)
    if scope is not None:
        query = query.where(Reception.facility_id.in_(scope))
    if facility_id:
        query = query.where(Reception.facility_id == facility_id)
    return list(db.session.scalars(query.order_by(Period.start_date.desc(), Period.name)))


# =========================================================================
# Family: Mon planning, history, presence details, cancellation
# =========================================================================

class FamilyPlanningView(BaseView):
    route_base = "/compte/planning"
    default_view = "index"

    def _not_validated(self):
        return self.render_template("bookings/not_validated.html",
                                    title=_("My planning"), account_url=_account_url())

    @expose("/")
    @has_access
    def index(self):
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        today = clock.today()
        year, month = _month_arg(today)
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
        prev_year, prev_month = _shift_month(year, month, -1)
        next_year, next_month = _shift_month(year, month, 1)
        filter_args = {"filtre": "1", "usager": child_ids}
        if show_cancelled:
            filter_args["annulations"] = "1"
        if show_others:
            filter_args["autres"] = "1"
        return self.render_template(
            "bookings/planning.html", title=_("My planning"), account_url=_account_url(),
            weeks=month_weeks(year, month), year=year, month=month,
            month_title=format_month(year, month), by_day=by_day, today=today,
            prev_url=url_for(".index", mois=f"{prev_year}-{prev_month:02d}", **filter_args),
            next_url=url_for(".index", mois=f"{next_year}-{next_month:02d}", **filter_args),
            children=children, child_ids=child_ids, show_cancelled=show_cancelled,
            show_others=show_others, legend=LEGEND, state_icon=_icons(),
            weekday_names=_weekday_names(), child_display=_child_display)

    @expose("/historique")
    @has_access
    def history(self):
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        per_page = request.args.get("par_page", "5")
        per_page = int(per_page) if per_page in ("5", "10", "25") else 5
        try:
            page = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
        except ValueError:
            page = 1
        rows, total = services.history(household, page=page, per_page=per_page)
        first = (page - 1) * per_page + 1 if total else 0
        last = min(total, page * per_page)
        pages = max(1, (total + per_page - 1) // per_page)
        return self.render_template(
            "bookings/history.html", title=_("Booking history"), account_url=_account_url(),
            rows=rows, total=total, page=page, pages=pages, per_page=per_page,
            first=first, last=last, state_icon=_icons(), history_mark=_history_mark,
            dates_text=_dates_text)

    @expose("/historique/<int:request_id>")
    @has_access
    def request_detail(self, request_id):
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        try:
            details = services.request_details(household, request_id)
        except NotFound:
            abort(404)
        if details is None:
            abort(404)
        return self.render_template(
            "bookings/request_detail.html", title=_("Request details"),
            account_url=_account_url(), details=details, state_icon=_icons())

    @expose("/presence/<int:presence_id>")
    @has_access
    def presence(self, presence_id):
        """A presence's details, with "Voir/Modifier cette réservation"."""
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        presence = owned_or_404(Presence, presence_id, household)
        return self.render_template(
            "bookings/presence.html", title=_("Presence details"), account_url=_account_url(),
            presence=presence, state_icon=_icons(), edit=False,
            child_display=_child_display)

    @expose("/presence/<int:presence_id>/modifier")
    @has_access
    def edit(self, presence_id):
        """"Voir/Modifier cette réservation": the day and what can be done."""
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        presence = owned_or_404(Presence, presence_id, household)
        same_day = list(db.session.scalars(
            select(Presence).where(Presence.household_id == household.id,
                                   Presence.child_id == presence.child_id,
                                   Presence.date == presence.date)
            .order_by(Presence.id)))
        return self.render_template(
            "bookings/presence.html", title=_("View/Edit this booking"),
            account_url=_account_url(), presence=presence, state_icon=_icons(), edit=True,
            same_day=same_day, form=RemoveDayForm(), child_display=_child_display,
            can_cancel=presence.state == PresenceState.ACCEPTED.value,
            can_withdraw=presence.state in (PresenceState.PENDING.value,
                                             PresenceState.WAITLISTED.value),
            can_copy=presence.state in HOLDING_STATES)

    @expose("/presence/<int:presence_id>/retirer", methods=["POST"])
    @has_access
    def withdraw(self, presence_id):
        """"Retirer ma demande": a pending day is withdrawn at once."""
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        presence = owned_or_404(Presence, presence_id, household)
        if not _csrf_ok():
            flash(_("The form has expired, please try again."), "danger")
            return redirect(url_for(".edit", presence_id=presence.id))
        try:
            services.withdraw(current_user, clock.now(), presence)
        except DomainError as error:
            db.session.rollback()
            flash(_error_message(error), "danger")
            return redirect(url_for(".edit", presence_id=presence_id))
        flash(_("Your request for %(day)s has been withdrawn.", day=format_day(presence.date)),
              "success")
        return redirect(url_for(".index", mois=f"{presence.date:%Y-%m}"))

    @expose("/presence/<int:presence_id>/annulation", methods=["GET", "POST"])
    @has_access
    def cancel(self, presence_id):
        """"Demander l'annulation": "Cette demande" or "Plusieurs jours",
        "Suivant", then "Valider"."""
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        presence = owned_or_404(Presence, presence_id, household)
        form = CancelForm()
        chosen = None
        if request.method == "POST" and form.validate():
            if form.scope.data == "many":
                start, end = form.date_from.data, form.date_to.data
                if not start or not end:
                    flash(_("Please give the first and the last day to cancel."), "danger")
                elif end < start:
                    flash(_("The end date must not be before the start date."), "danger")
                else:
                    chosen = list(db.session.scalars(
                        select(Presence).where(
                            Presence.household_id == household.id,
                            Presence.child_id == presence.child_id,
                            Presence.period_id == presence.period_id,
                            Presence.date >= start, Presence.date <= end,
                            Presence.state.in_((PresenceState.PENDING.value,
                                                PresenceState.ACCEPTED.value,
                                                PresenceState.WAITLISTED.value)))
                        .order_by(Presence.date, Presence.unit_id)))
                    if not chosen:
                        flash(_("No booked day to cancel between these dates."), "warning")
                        chosen = None
            else:
                chosen = [presence]
            if chosen is not None and form.confirm.data == "1":
                try:
                    services.ask_cancellation(current_user, clock.now(), chosen,
                                              comment=form.comment.data or "")
                except DomainError as error:
                    db.session.rollback()
                    flash(_error_message(error), "danger")
                    return self.render_template(
                        "bookings/cancel.html", title=_("Ask for cancellation"),
                        account_url=_account_url(), presence=presence, form=form,
                        chosen=chosen, state_icon=_icons(), child_display=_child_display)
                flash(_("Your cancellation request has been recorded. A summary e-mail "
                        "will be sent to you."), "success")
                return redirect(url_for(".index", mois=f"{presence.date:%Y-%m}",
                                        filtre="1", annulations="1", autres="1",
                                        usager=[presence.child_id]))
        elif request.method == "POST":
            flash(_("Please check the form."), "danger")
        return self.render_template(
            "bookings/cancel.html", title=_("Ask for cancellation"), account_url=_account_url(),
            presence=presence, form=form, chosen=chosen, state_icon=_icons(),
            child_display=_child_display)

    @expose("/presence/<int:presence_id>/recopier", methods=["POST"])
    @has_access
    def copy(self, presence_id):
        """"Recopier": start a new request for the same child and period,
        copying this day's booking to other days."""
        household, ok = _validated_household()
        if not ok:
            return self._not_validated()
        presence = owned_or_404(Presence, presence_id, household)
        if not _csrf_ok():
            abort(400)
        child = child_of(household, presence.child_id)
        period_ids = {p.id for p in services.bookable_periods(household, child, clock.now())}
        if presence.period_id not in period_ids:
            flash(_("This opening period can no longer be booked online."), "danger")
            return redirect(url_for(".edit", presence_id=presence.id))
        _save_draft({"child": child.id, "period": presence.period_id, "days": []})
        return redirect(url_for("FamilyBookingView.recopy", day=presence.date.isoformat()))


def _csrf_ok() -> bool:
    from flask_wtf.csrf import ValidationError, validate_csrf

    try:
        validate_csrf(request.form.get("csrf_token"))
        return True
    except ValidationError:
        return False


def _weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]


def _history_mark(row) -> tuple[str, str, str]:
    """(kind, text, label) for the État column: ✓, ✗ or the state icons."""
    states = {k: v for k, v in (row.states or {}).items() if v}
    if states and set(states) <= {PresenceState.ACCEPTED.value}:
        return "ok", "✓", str(PresenceState.ACCEPTED.label)
    if states and set(states) <= set(DONE_STATES):
        return "ko", "✗", row.state_summary
    return "icons", "", row.state_summary


def _dates_text(dates) -> str:
    dates = sorted(dates or [])
    if not dates:
        return ""
    if len(dates) <= 3:
        return ", ".join(d.strftime("%d/%m/%Y") for d in dates)
    return _("%(first)s to %(last)s (%(count)s days)", first=dates[0].strftime("%d/%m/%Y"),
             last=dates[-1].strftime("%d/%m/%Y"), count=len(dates))


# =========================================================================
# Family: the booking wizard
# =========================================================================

class FamilyBookingView(BaseView):
    """Nouvelle Réservation: Sélectionner l'usager | Choix établissement et
    période | Planning | Récapitulatif. Nothing is written before the last
    "Valider"; the draft lives in the session."""

    route_base = "/compte/reservations"
    default_view = "start"

    def _guard(self):
        household, ok = _validated_household()
        if not ok:
            return household, self.render_template(
                "bookings/not_validated.html", title=_("New booking"),
                account_url=_account_url())
        return household, None

    def _render(self, template, wizard=None, step=1, **kwargs):
        child = wizard.child if wizard else kwargs.get("child")
        period = wizard.period if wizard else None
        return self.render_template(
            template, account_url=_account_url(), step=step, wizard=wizard,
            wizard_child=child, wizard_period=period, child_display=_child_display,
            state_icon=_icons(), **kwargs)

    def _restart(self, message=None):
        if message:
            flash(message, "warning")
        return redirect(url_for(".start"))

    # step 1 ---------------------------------------------------------------
    @expose("/nouvelle", methods=["GET", "POST"])
    @has_access
    def start(self):
        household, page = self._guard()
        if page:
            return page
        today = clock.today()
        children = children_of(household)
        if not children:
            flash(_("Please add your children in \"My children\" before booking."), "warning")
            return redirect(_account_url())
        form = ChildStepForm()
        form.child.choices = [(c.id, _child_label(c, today)) for c in children]
        if request.method == "GET":
            draft = _draft()
            wanted = request.args.get("usager") or (draft or {}).get("child")
            if wanted is not None:
                form.child.data = child_of(household, wanted).id
            elif len(children) == 1:
                form.child.data = children[0].id
        if form.validate_on_submit():
            child = child_of(household, form.child.data)
            draft = _draft() or {}
            if draft.get("child") != child.id:
                draft = {"child": child.id, "days": []}
            _save_draft(draft)
            return redirect(url_for(".period"))
        chosen = None
        if form.child.data:
            chosen = next((c for c in children if c.id == form.child.data), None)
        return self._render("bookings/wizard_child.html", step=1, form=form,
                            children=children, child=chosen, today=today,
                            title=_("New booking"))

    # step 2 ---------------------------------------------------------------
    @expose("/nouvelle/periode", methods=["GET", "POST"])
    @has_access
    def period(self):
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household, need_period=False)
        if wizard is None:
            return self._restart()
        periods = services.bookable_periods(household, wizard.child, clock.now())
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
            _save_draft(draft)
            if _is_cantine(period) and not draft["days"]:
                return redirect(url_for(".cantine"))
            return redirect(url_for(".planning"))
        return self._render("bookings/wizard_period.html", wizard=wizard, step=2, form=form,
                            periods=shown, facilities=facilities, facility_id=facility_id,
                            title=_("New booking"))

    # step 3 ---------------------------------------------------------------
    @expose("/nouvelle/planning")
    @has_access
    def planning(self):
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        period = wizard.period
        today = clock.today()
        draft_days = wizard.days
        default = max(period.start_date, min(today, period.end_date))
        if draft_days:
            default = draft_days[0][0]
        year, month = _month_arg(default)
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
        existing = services.presences_for_calendar(
            household, year, month, child_ids=[wizard.child.id], include_cancelled=False,
            include_other_accounts=True)
        by_day: dict[dt.date, list] = {}
        for presence in existing:
            by_day.setdefault(presence.date, []).append(presence)
        units = _units_by_id(period)
        drafted: dict[dt.date, list] = {}
        for day, unit_id in draft_days:
            if unit_id in units:
                drafted.setdefault(day, []).append(units[unit_id])
        prev_ym = _shift_month(year, month, -1)
        next_ym = _shift_month(year, month, 1)
        prev_url = next_url = None
        if dt.date(*prev_ym, 1) >= first:
            prev_url = url_for(".planning", mois=f"{prev_ym[0]}-{prev_ym[1]:02d}")
        if dt.date(*next_ym, 1) <= last:
            next_url = url_for(".planning", mois=f"{next_ym[0]}-{next_ym[1]:02d}")
        return self._render(
            "bookings/wizard_planning.html", wizard=wizard, step=3, weeks=weeks, year=year,
            month=month, month_title=format_month(year, month), open_days=open_days,
            by_day=by_day, drafted=drafted, prev_url=prev_url, next_url=next_url,
            weekday_names=_weekday_names(), count=len(draft_days), today=today,
            is_cantine=_is_cantine(period), title=_("New booking"))

    @expose("/nouvelle/jour/<day>", methods=["GET", "POST"])
    @has_access
    def day(self, day):
        """"Présences du mercredi 20 septembre 2023": what is booked, and
        "Nouvelle réservation (+)" with the régimes and their places left."""
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        day = _parse_day(day)
        period = wizard.period
        if day not in set(opening_dates(period.id)):
            abort(404)
        units = period.units
        left = capacity.places_left(db.session, period.id, [day], [u.id for u in units])
        form = DayUnitForm()
        form.unit.choices = [(u.id, u.name) for u in units]
        if form.validate_on_submit():
            try:
                services.check_can_book(current_user, clock.now(), household, wizard.child,
                                        period, day)
            except DomainError as error:
                db.session.rollback()
                flash(_error_message(error), "danger")
            else:
                days = [(d, u) for d, u in wizard.days if d != day]
                days.append((day, form.unit.data))
                _set_draft_days(wizard.draft, days)
                _save_draft(wizard.draft)
                return redirect(url_for(".planning", mois=f"{day:%Y-%m}"))
        elif request.method == "POST":
            flash(_("Please choose a meal plan."), "danger")
        existing = [p for p in services.presences_for_calendar(
            household, day.year, day.month, child_ids=[wizard.child.id],
            include_cancelled=False, include_other_accounts=True) if p.date == day]
        unit_map = _units_by_id(period)
        drafted = [unit_map[u] for d, u in wizard.days if d == day and u in unit_map]
        return self._render(
            "bookings/wizard_day.html", wizard=wizard, step=3, day=day, units=units,
            left=left, form=form, existing=existing, drafted=drafted,
            remove_form=RemoveDayForm(), unlimited=capacity.UNLIMITED,
            title=_("New booking"))

    @expose("/nouvelle/retirer", methods=["POST"])
    @has_access
    def remove(self):
        """Remove one day (and régime) from the draft: nothing is recorded."""
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        form = RemoveDayForm()
        if form.validate_on_submit():
            try:
                target = (dt.date.fromisoformat(form.day.data), int(form.unit.data))
            except ValueError:
                abort(400)
            _set_draft_days(wizard.draft, [d for d in wizard.days if d != target])
            _save_draft(wizard.draft)
            flash(_("%(day)s removed from your request.", day=format_day_title(target[0])),
                  "info")
        back = request.form.get("next")
        if back == "summary":
            return redirect(url_for(".summary"))
        return redirect(url_for(".planning", mois=(form.day.data or "")[:7] or None))

    @expose("/nouvelle/recopier/<day>", methods=["GET", "POST"])
    @has_access
    def recopy(self, day):
        """"Recopier la journée": to another day, to a whole week, or
        "Dates cibles"; a preview, then "Valider" adds the days to the draft."""
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        source = _parse_day(day)
        period = wizard.period
        unit_map = _units_by_id(period)
        unit_ids = [u for d, u in wizard.days if d == source and u in unit_map]
        if not unit_ids:
            unit_ids = list(db.session.scalars(
                select(Presence.unit_id).where(
                    Presence.household_id == household.id,
                    Presence.child_id == wizard.child.id, Presence.period_id == period.id,
                    Presence.date == source, Presence.state.in_(HOLDING_STATES))))
        if not unit_ids:
            flash(_("Choose a meal plan for this day before copying it."), "warning")
            return redirect(url_for(".day", day=source.isoformat()))
        weekday_choices = [(i, name) for i, name in enumerate(_weekday_names())
                           if str(i) in (period.weekdays or "").split(",")]
        month_choices = _period_months(period)
        form = RecopyForm()
        form.weekdays.choices = weekday_choices
        form.months.choices = month_choices
        preview = None
        if request.method == "POST" and form.validate():
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
                flash(_error_message(error), "danger")
                dates = None
            if dates is not None and mode == "targets" and form.months.data:
                wanted = set(form.months.data)
                dates = [d for d in dates if f"{d:%Y-%m}" in wanted]
            if dates is not None:
                preview = _recopy_preview(household, wizard, dates, unit_ids, unit_map)
                if not dates:
                    flash(_("No opening day matches these choices."), "warning")
                elif form.confirm.data == "1":
                    days = set(wizard.days)
                    days.update(preview["add"])
                    _set_draft_days(wizard.draft, days)
                    _save_draft(wizard.draft)
                    flash(_("%(count)s day(s) added to your request.",
                            count=len({d for d, _u in preview["add"]})), "success")
                    first = preview["add"][0][0] if preview["add"] else source
                    return redirect(url_for(".planning", mois=f"{first:%Y-%m}"))
        elif request.method == "POST":
            flash(_("Please check the form."), "danger")
        return self._render(
            "bookings/wizard_recopy.html", wizard=wizard, step=3, source=source, form=form,
            units=[unit_map[u] for u in unit_ids], preview=preview, title=_("New booking"))

    @expose("/nouvelle/cantine", methods=["GET", "POST"])
    @has_access
    def cantine(self):
        """Restauration scolaire: the whole year for the chosen weekdays."""
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        period = wizard.period
        form = CantineForm()
        form.weekdays.choices = [(i, name) for i, name in enumerate(_weekday_names())
                                 if str(i) in (period.weekdays or "").split(",")]
        form.unit.choices = [(u.id, u.name) for u in period.units]
        if request.method == "GET" and len(period.units) == 1:
            form.unit.data = period.units[0].id
        if form.validate_on_submit():
            now = clock.now()
            dates = recurrence.cantine_dates(period, form.weekdays.data, start=now.date())
            kept, refused = [], 0
            for day in dates:
                try:
                    services.check_can_book(current_user, now, household, wizard.child,
                                            period, day)
                except DomainError:
                    refused += 1
                    continue
                kept.append((day, form.unit.data))
            db.session.rollback()
            days = {(d, u) for d, u in wizard.days}
            days.update(kept)
            _set_draft_days(wizard.draft, days)
            _save_draft(wizard.draft)
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
        return self._render("bookings/wizard_cantine.html", wizard=wizard, step=3, form=form,
                            title=_("New booking"))

    # step 4 ---------------------------------------------------------------
    @expose("/nouvelle/recapitulatif")
    @has_access
    def summary(self):
        household, page = self._guard()
        if page:
            return page
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart()
        unit_map = _units_by_id(wizard.period)
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
                            grouped=grouped, remove_form=RemoveDayForm(),
                            title=_("New booking"))

    @expose("/nouvelle/valider", methods=["POST"])
    @has_access
    def confirm(self):
        """The last "Valider": one call to book(), one request, one transaction."""
        household, page = self._guard()
        if page:
            return page
        if not _csrf_ok():
            flash(_("The form has expired, please try again."), "danger")
            return redirect(url_for(".summary"))
        wizard = _load_wizard(household)
        if wizard is None:
            return self._restart(_("Your request has already been sent, or has expired."))
        unit_map = _units_by_id(wizard.period)
        selections = [(d, u) for d, u in wizard.days if u in unit_map]
        if not selections:
            return redirect(url_for(".planning"))
        try:
            result = services.book(current_user, clock.now(), household, wizard.child,
                                   wizard.period, selections,
                                   comment=(request.form.get("comment") or "")[:1000])
        except DomainError as error:
            db.session.rollback()
            flash(_error_message(error), "danger")
            return redirect(url_for(".summary"))
        _save_draft(None)
        if result.request is not None:
            # book() committed: reload the request's days in ONE query rather
            # than one lazy refresh per expired presence while rendering.
            db.session.scalars(select(Presence).where(
                Presence.request_id == result.request.id)).all()
        skipped = [(d, unit_map.get(u), reason) for d, u, reason in (result.skipped or [])]
        return self._render("bookings/wizard_result.html", wizard=wizard, step=4,
                            result=result, skipped=skipped, by_month=_by_month,
                            title=_("New booking"))

    @expose("/nouvelle/abandonner", methods=["POST"])
    @has_access
    def abandon(self):
        household, page = self._guard()
        if page:
            return page
        if _csrf_ok():
            _save_draft(None)
            flash(_("Your request has been abandoned: nothing was recorded."), "info")
        return redirect(url_for("FamilyPlanningView.index"))


def _by_month(presences) -> list[tuple[str, str, int]]:
    """A long list of days, compactly: [("Septembre 2026", "1, 3, 4, 7", 4), ...]."""
    months: dict[tuple[int, int], list[int]] = {}
    for presence in presences:
        months.setdefault((presence.date.year, presence.date.month), []).append(presence.date.day)
    return [(format_month(y, m), ", ".join(str(d) for d in sorted(set(days))), len(days))
            for (y, m), days in sorted(months.items())]


def _period_months(period: Period) -> list[tuple[str, str]]:
    months = []
    year, month = period.start_date.year, period.start_date.month
    while (year, month) <= (period.end_date.year, period.end_date.month):
        months.append((f"{year}-{month:02d}", format_month(year, month)))
        year, month = _shift_month(year, month, 1)
    return months


def _recopy_preview(household, wizard, dates, unit_ids, unit_map) -> dict:
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


# =========================================================================
# Staff: queues and occupancy
# =========================================================================

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


def _queue_query(user, state: str, filters: dict):
    scope = staff_facility_ids(user)
    query = (select(Presence).join(Period, Period.id == Presence.period_id)
             .join(Reception, Reception.id == Period.reception_id)
             .join(Child, Child.id == Presence.child_id)
             .where(Presence.state == state))
    if scope is not None:
        query = query.where(Reception.facility_id.in_(scope))
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
    scope = staff_facility_ids(user)
    query = (select(Presence.id).join(Period, Period.id == Presence.period_id)
             .join(Reception, Reception.id == Period.reception_id)
             .where(Presence.id.in_(clean), Presence.state == state))
    if scope is not None:
        query = query.where(Reception.facility_id.in_(scope))
    return list(db.session.scalars(query))


class _StaffQueue(BaseView):
    state = PresenceState.PENDING.value
    template = "bookings/staff_queue.html"
    per_page = 50

    def _rows(self, filters):
        try:
            page = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
        except ValueError:
            page = 1
        base = _queue_query(current_user, self.state, filters)
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        rows = list(db.session.scalars(
            base.order_by(Presence.date, Presence.created_at, Presence.id)
            .limit(self.per_page).offset((page - 1) * self.per_page)))
        left = {}
        by_period: dict[int, tuple[set, set]] = {}
        for row in rows:
            dates, units = by_period.setdefault(row.period_id, (set(), set()))
            dates.add(row.date)
            units.add(row.unit_id)
        for period_id, (dates, units) in by_period.items():
            for (unit_id, day), count in capacity.places_left(
                    db.session, period_id, dates, units).items():
                left[(unit_id, day)] = count
        return rows, total, page, left

    def _page(self, title, heading):
        filters = _queue_filters(current_user)
        rows, total, page, left = self._rows(filters)
        pages = max(1, (total + self.per_page - 1) // self.per_page)
        return self.render_template(
            self.template, title=title, heading=heading, rows=rows, total=total, page=page,
            pages=pages, left=left, unlimited=capacity.UNLIMITED, filters=filters,
            form=QueueActionForm(), state_icon=_icons(), child_display=_child_display,
            endpoint=f"{type(self).__name__}.index",
            action_endpoint=f"{type(self).__name__}.act",
            cancellation=self.state == PresenceState.CANCEL_REQUESTED.value)

    def _act(self):
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
            done, errors = self._apply(action, ids, reason)
        except DomainError as error:
            db.session.rollback()
            flash(_error_message(error), "danger")
            return self._back()
        _flash_counts(done, errors, action)
        return self._back()

    def _back(self):
        args = {k: v for k, v in request.args.items()}
        return redirect(url_for(f"{type(self).__name__}.index", **args))


class StaffBookingQueueView(_StaffQueue):
    """Demandes en attente: accept or refuse, one by one or in bulk."""

    route_base = "/agents/reservations/demandes"
    default_view = "index"
    state = PresenceState.PENDING.value

    @expose("/")
    @has_access
    def index(self):
        return self._page(_("Pending booking requests"), _("Pending booking requests"))

    @expose("/action", methods=["POST"])
    @has_access
    def act(self):
        return self._act()

    def _apply(self, action, ids, reason):
        if action == "accept":
            result = services.accept_many(current_user, clock.now(), ids)
        else:
            result = services.refuse_many(current_user, clock.now(), ids, reason)
        return result.done, list(result.errors.values())


class StaffCancellationQueueView(_StaffQueue):
    """Demandes d'annulation: accept (frees the place) or refuse."""

    route_base = "/agents/reservations/annulations"
    default_view = "index"
    state = PresenceState.CANCEL_REQUESTED.value

    @expose("/")
    @has_access
    def index(self):
        return self._page(_("Cancellation requests"), _("Cancellation requests"))

    @expose("/action", methods=["POST"])
    @has_access
    def act(self):
        return self._act()

    def _apply(self, action, ids, reason):
        done, errors = 0, []
        now = clock.now()
        for presence_id in ids:
            presence = db.session.get(Presence, presence_id)
            try:
                if action == "accept":
                    services.accept_cancellation(current_user, now, presence)
                else:
                    services.refuse_cancellation(current_user, now, presence, reason)
                done += 1
            except DomainError as error:
                db.session.rollback()
                errors.append(_error_message(error))
        return done, errors


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


class StaffOccupancyView(BaseView):
    """Occupation: places taken and left per day and slot, and the waiting list."""

    route_base = "/agents/reservations/occupation"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
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
            year, month = _month_arg(default)
            first = dt.date(year, month, 1)
            last = dt.date(*_shift_month(year, month, 1), 1) - dt.timedelta(days=1)
            dates = [d for d in opening_dates(period.id) if first <= d <= last]
            data = services.occupancy(period, dates)
            prev_ym = _shift_month(year, month, -1)
            next_ym = _shift_month(year, month, 1)
            prev_url = url_for(".index", periode=period.id, mois=f"{prev_ym[0]}-{prev_ym[1]:02d}")
            next_url = url_for(".index", periode=period.id, mois=f"{next_ym[0]}-{next_ym[1]:02d}")
        return self.render_template(
            "bookings/staff_occupancy.html", title=_("Occupancy"), periods=periods,
            period=period, data=data, month_title=format_month(year, month) if year else "",
            prev_url=prev_url, next_url=next_url, child_display=_child_display)


# =========================================================================

def register_views(appbuilder) -> None:
    """Add the bookings views to the app."""
    appbuilder.add_view_no_menu(FamilyPlanningView())
    appbuilder.add_view_no_menu(FamilyBookingView())
    # One "Staff" category for every agent screen (its label is set by the
    # first area that registers it; the same here).
    staff = {"category": "Staff", "category_label": _l("Staff desk"),
             "category_icon": "fa-briefcase"}
    appbuilder.add_view(StaffBookingQueueView, "StaffBookingQueueView",
                        label=_l("Pending booking requests"), icon="fa-hourglass-half", **staff)
    appbuilder.add_view(StaffCancellationQueueView, "StaffCancellationQueueView",
                        label=_l("Cancellation requests"), icon="fa-calendar-xmark", **staff)
    appbuilder.add_view(StaffOccupancyView, "StaffOccupancyView",
                        label=_l("Occupancy"), icon="fa-chart-bar", **staff)
