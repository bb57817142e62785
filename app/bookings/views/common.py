"""What the bookings screens share: the legend and its icons, month and day
helpers, and small helpers of the family pages.

Views only read, validate input and call the engine (services, recurrence):
every state change, capacity or deadline rule lives there. Every family
lookup goes through app.families.access (404 for anything that is not the
household's own); every staff action re-checks the agent's facilities before
calling the engine.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import wraps

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.catalogue.models import Period
from app.core.errors import DomainError
from app.core.states import HouseholdStatus, PresenceState
from app.families.access import current_household
from app.families.models import Child

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


def icons():
    """``state_icon`` with the labels translated once for the request (a
    month page asks for them once per bar)."""
    table = {key: (icon, str(label)) for key, (icon, label) in ICONS.items()}

    def lookup(state: str) -> tuple[str, str]:
        found = table.get(state)
        if found is None:
            found = table[state] = ("fa-solid fa-circle-question", PresenceState.label_of(state))
        return found

    return lookup


# --- months and days -------------------------------------------------------

def month_arg(default: dt.date) -> tuple[int, int]:
    """?mois=2023-09 -> (2023, 9); anything else: the default's month."""
    value = request.args.get("mois", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return year, month
    except ValueError:
        pass
    return default.year, default.month


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_param(year: int, month: int, delta: int = 0) -> str:
    """The ?mois= value of the month ``delta`` months away: "2023-09"."""
    year, month = shift_month(year, month, delta)
    return f"{year}-{month:02d}"


def month_weeks(year: int, month: int) -> list[list[dt.date]]:
    """Six weeks, Monday first, as the guide's calendar shows them."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    while len(weeks) < 6:
        last = weeks[-1][-1]
        weeks.append([last + dt.timedelta(days=i) for i in range(1, 8)])
    return weeks


def parse_day(value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        abort(404)


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]


def page_arg() -> int:
    """?page=N, from 1 to MAX_PAGE; 1 when it is not a number."""
    try:
        return min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


# --- family pages ----------------------------------------------------------

def account_url() -> str:
    """The "Mon compte" hub (helper area families); /compte/ by convention."""
    for endpoint in ("FamilyAccountView.index", "FamilyHomeView.index", "FamilyAccountView.hub"):
        try:
            return url_for(endpoint)
        except Exception:  # noqa: BLE001 - not registered (yet)
            continue
    return "/compte/"


def validated_household():
    """The logged-in family's household, and whether it is validated."""
    household = current_household()
    if household.status != HouseholdStatus.VALIDATED.value:
        return household, False
    return household, True


def family_page(method):
    """Decorates a family page ``method(self, household, ...)``: a household
    that is not validated yet gets the "account not validated" page instead,
    titled with the view's ``not_validated_title``."""
    @wraps(method)
    def page(self, *args, **kwargs):
        household, ok = validated_household()
        if not ok:
            return self.render_template("bookings/not_validated.html",
                                        title=str(self.not_validated_title),
                                        account_url=account_url())
        return method(self, household, *args, **kwargs)
    return page


def is_cantine(period: Period) -> bool:
    return (period.reception.service_kind.code or "").lower() in CANTINE_CODES


def error_message(error: DomainError) -> str:
    return str(error.message)


def child_label(child: Child, today: dt.date) -> str:
    return _("%(name)s (%(age)s years old)", name=f"{child.first_name} {child.last_name.upper()}",
             age=child.age_on(today))


def child_display(child: Child) -> str:
    return f"{child.first_name} {child.last_name.upper()}"


def csrf_ok() -> bool:
    from flask_wtf.csrf import ValidationError, validate_csrf

    try:
        validate_csrf(request.form.get("csrf_token"))
        return True
    except ValidationError:
        return False
