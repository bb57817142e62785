"""The rules behind "sous conditions": who may book which period and day
(published, opened, household validated, age, school level, opening days,
booking deadline), and the periods the wizard proposes."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from app.bookings.services import deadlines
from app.bookings.services.actors import is_staff
from app.bookings.services.capacity import opening_dates
from app.catalogue.models import OpeningDay, Period, Reception, ServiceKind
from app.core.clock import school_year_label
from app.core.errors import DomainError, NotFound
from app.core.i18n import format_datetime, format_day
from app.extensions import db
from app.families.models import HouseholdChild, SchoolInfo


def booking_blockers(household, child, period, now) -> list[str]:
    """French reasons why this household cannot book this period for this
    child at all (household not validated, e-mail not confirmed, required
    documents missing/expired/refused, school info missing): the families
    area's rules, app.families.services.booking_blockers."""
    from app.families.services import booking_blockers as family_blockers

    return [str(reason) for reason in family_blockers(household, child, period, now)]


def is_child_of(household, child) -> bool:
    return db.session.scalar(select(HouseholdChild.child_id).where(
        HouseholdChild.household_id == household.id,
        HouseholdChild.child_id == child.id)) is not None


def period_problem(actor, now, household, child, period, blockers=True) -> str | None:
    """Why this child may not book this period at all (any day), or None."""
    kind = period.reception.service_kind
    if not period.published:
        return _("This period is not open for booking.")
    if not kind.allows_booking:
        return _("%(service)s cannot be booked online: please contact %(facility)s on %(phone)s.",
                 service=kind.name, facility=period.reception.facility.name,
                 phone=period.reception.facility.phone)
    if not is_staff(actor) and period.booking_opens_at and now < period.booking_opens_at:
        return _("Bookings for this period open on %(moment)s.",
                 moment=format_datetime(period.booking_opens_at))
    if blockers:
        problems = booking_blockers(household, child, period, now)
        if problems:
            return " ".join(str(p) for p in problems)
    return None


def _school_levels(period) -> list[str]:
    return [c.strip() for c in (period.school_levels or "").split(",") if c.strip()]


def problem_on_day(actor, now, child, period, day, opening: set, levels_by_year: dict) -> str | None:
    """Why this child may not be booked on this day of this period, or None."""
    label = format_day(day)
    if day not in opening:
        return _("%(day)s is not an opening day of this period.", day=label)
    if day < now.date():
        return _("%(day)s has passed.", day=label)
    if not is_staff(actor):
        deadline = deadlines.booking_deadline(period, day)
        if deadline is not None and now > deadline:
            return _("Bookings for %(day)s closed on %(deadline)s.", day=label,
                     deadline=format_datetime(deadline))
    age = child.age_on(day)
    if period.min_age is not None and age < period.min_age:
        return _("%(child)s is too young for this period on %(day)s (from %(age)s years old).",
                 child=child.full_name, day=label, age=period.min_age)
    if period.max_age is not None and age > period.max_age:
        return _("%(child)s is too old for this period on %(day)s (up to %(age)s years old).",
                 child=child.full_name, day=label, age=period.max_age)
    levels = _school_levels(period)
    if levels:
        year = school_year_label(day)
        level = levels_by_year.get(year)
        if level is None:
            return _("Please fill in the school information of %(child)s for %(year)s.",
                     child=child.full_name, year=year)
        if level not in levels:
            return _("This period is for the school levels %(levels)s; "
                     "%(child)s is in %(level)s in %(year)s.",
                     levels=", ".join(levels), child=child.full_name, level=level, year=year)
    return None


def levels_by_year(child) -> dict[str, str]:
    return dict(db.session.execute(
        select(SchoolInfo.school_year, SchoolInfo.level).where(SchoolInfo.child_id == child.id)).all())


def check_can_book(actor, now, household, child, period, day) -> None:
    """Raise DomainError (French, naming the day) when this child may not be
    booked on this day of this period; staff actors skip the opening date and
    the booking deadline."""
    if not is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    problem = period_problem(actor, now, household, child, period)
    if problem is None:
        problem = problem_on_day(actor, now, child, period, day, set(opening_dates(period.id)),
                                 levels_by_year(child))
    if problem is not None:
        raise DomainError(problem)


def day_problems(actor, now, household, child, period, days) -> dict:
    """{day: French reason} for the days this child may NOT be booked on
    (every rule of check_can_book, checked once for the period and then per
    day: use it rather than check_can_book in a loop, e.g. for a cantine
    year). An empty dict: every day may be booked."""
    days = sorted(set(days))
    if not days:
        return {}
    if not is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    problem = period_problem(actor, now, household, child, period)
    if problem is not None:
        return {day: problem for day in days}
    opening = set(opening_dates(period.id))
    levels = levels_by_year(child)
    problems = {}
    for day in days:
        reason = problem_on_day(actor, now, child, period, day, opening, levels)
        if reason is not None:
            problems[day] = reason
    return problems


def bookable_periods(household, child, now) -> list:
    """Periods the wizard proposes for this child: published, booking allowed
    by the service kind, booking opened, not over, child eligible by age or
    school level, at least one opening day still before its booking deadline.
    (What blocks the household as a whole — account, e-mail, documents — is
    told by ``booking_blockers``.)"""
    if not is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    today = now.date()
    periods = db.session.scalars(
        select(Period).join(Reception, Reception.id == Period.reception_id)
        .join(ServiceKind, ServiceKind.id == Reception.service_kind_id)
        .where(Period.published.is_(True), ServiceKind.allows_booking.is_(True),
               Period.end_date >= today)).unique().all()
    periods = [p for p in periods if not p.booking_opens_at or p.booking_opens_at <= now]
    if not periods:
        return []
    days = defaultdict(list)
    for period_id, day in db.session.execute(
            select(OpeningDay.period_id, OpeningDay.date)
            .where(OpeningDay.period_id.in_([p.id for p in periods]), OpeningDay.date >= today)
            .order_by(OpeningDay.date)):
        days[period_id].append(day)
    levels = levels_by_year(child)
    family = object()  # a non-staff actor: deadlines apply
    result = []
    for period in periods:
        opening = set(days[period.id])
        if any(problem_on_day(family, now, child, period, d, opening, levels) is None
               for d in days[period.id]):
            result.append(period)
    result.sort(key=lambda p: (p.reception.facility.name, p.reception.name, p.start_date, p.name))
    return result
