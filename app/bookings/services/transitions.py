"""The presence state machine, one function per transition: the family's
withdrawal and cancellation request, the agents' decisions, the expiry.

Each takes the acting user and ``now``, locks the day, re-reads the
presence, checks its state, writes the history row and the audit entry,
queues the family's e-mail, promotes the waiting list when a place is freed,
and commits (or rolls everything back)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.bookings.models import Presence, Request
from app.bookings.services import deadlines
from app.bookings.services.actors import check_facility, check_owner, is_staff, require_staff
from app.bookings.services.capacity import lock_days, lock_presence_days
from app.bookings.services.common import S, clean_reason, in_transaction, reload, state_error
from app.bookings.services.notify import (
    change_state,
    decide,
    email_household,
    email_households,
    email_lines,
    email_presence,
    facility_context,
)
from app.bookings.services.promotion import free_and_promote
from app.catalogue.models import Period
from app.core import audit
from app.core.errors import DomainError
from app.core.i18n import format_datetime, format_day
from app.core.states import RequestKind
from app.extensions import db
from app.families.models import Child


def withdraw(actor, now, presence):
    """PENDING or WAITLISTED -> WITHDRAWN (the family, at once, before the
    service processes it). A withdrawn PENDING day frees its place: the
    waiting list is promoted in the same transaction."""
    def run():
        check_owner(actor, [presence])
        lock_days({presence.period_id: {presence.date}})
        reload(presence)
        if presence.state not in (S.PENDING.value, S.WAITLISTED.value):
            raise state_error(presence, _("only a request awaiting processing or on the waiting "
                                          "list can be withdrawn."))
        was_holding = presence.state == S.PENDING.value
        change_state(presence, S.WITHDRAWN.value, actor, now)
        audit.record(actor, "presence.withdraw", presence, now, household_id=presence.household_id)
        email_presence(presence, "withdrawn", now)
        if was_holding:
            free_and_promote(now, [presence], actor)
        return presence
    return in_transaction(run)


def _staff_transition(actor, now, presence, from_states, to_state, rule, audit_action,
                      template, reason=None, frees=False, **extra):
    facilities = require_staff(actor)
    period = db.session.get(Period, presence.period_id)
    check_facility(facilities, period)
    lock_days({presence.period_id: {presence.date}})
    reload(presence)
    if presence.state not in from_states:
        raise state_error(presence, rule)
    decide(presence, to_state, actor, now, reason)
    for key, value in extra.items():
        setattr(presence, key, value)
    audit.record(actor, audit_action, presence, now, household_id=presence.household_id,
                 reason=reason, **extra)
    email_presence(presence, template, now, reason=reason or "", **extra)
    if frees:
        free_and_promote(now, [presence], actor)
    return presence


def accept(actor, now, presence):
    """PENDING -> ACCEPTED (agent)."""
    return in_transaction(lambda: _staff_transition(
        actor, now, presence, (S.PENDING.value,), S.ACCEPTED.value,
        _("only a request awaiting processing can be accepted."),
        "presence.accept", "accepted"))


def refuse(actor, now, presence, reason):
    """PENDING -> REFUSED with a reason the family reads (agent). Frees the
    place: the waiting list is promoted."""
    def run():
        return _staff_transition(actor, now, presence, (S.PENDING.value,), S.REFUSED.value,
                                 _("only a request awaiting processing can be refused."),
                                 "presence.refuse", "refused",
                                 reason=clean_reason(reason), frees=True)
    return in_transaction(run)


def ask_cancellation(actor, now, presences, comment=""):
    """The family asks to cancel days of one child in one period.

    ACCEPTED -> CANCEL_REQUESTED, all in one Request of kind cancellation
    (presence.cancel_request_id); for a period without agent validation the
    cancellation is accepted at once (ACCEPTED -> CANCELLED). PENDING and
    WAITLISTED days are simply withdrawn. Past the cancellation deadline, or
    for a service that cannot be cancelled online (cantines), a family gets a
    DomainError saying whom to call, and nothing changes. Staff skip those two
    checks. Returns the cancellation Request, or None when every day was only
    withdrawn. One recap e-mail."""
    def run():
        items = list(presences or ())
        if not items:
            raise DomainError(_("Please choose at least one day to cancel."))
        if len({(p.household_id, p.child_id, p.period_id) for p in items}) != 1:
            raise DomainError(_("Please cancel the days of one child and one period at a time."))
        check_owner(actor, items)
        first = items[0]
        period = db.session.get(Period, first.period_id)
        facility = period.reception.facility
        lock_days({first.period_id: {p.date for p in items}})
        for p in items:
            reload(p)
        to_cancel, to_withdraw = [], []
        for p in sorted(items, key=lambda p: (p.date, p.unit_id)):
            if p.state == S.ACCEPTED.value:
                to_cancel.append(p)
            elif p.state in (S.PENDING.value, S.WAITLISTED.value):
                to_withdraw.append(p)
            else:
                raise state_error(p, _("it cannot be cancelled."))
        if to_cancel and not is_staff(actor):
            kind = period.reception.service_kind
            if not kind.allows_cancellation:
                raise DomainError(_("%(service)s cannot be cancelled online: please call "
                                    "%(facility)s on %(phone)s.", service=kind.name,
                                    facility=facility.name, phone=facility.phone))
            for p in to_cancel:
                if deadlines.cancellation_late(period, p.date, now):
                    deadline = deadlines.cancel_deadline(period, p.date)
                    if deadline is not None:
                        message = _("The cancellation deadline for %(day)s has passed (%(deadline)s): "
                                    "please call %(facility)s on %(phone)s.",
                                    day=format_day(p.date), deadline=format_datetime(deadline),
                                    facility=facility.name, phone=facility.phone)
                    else:
                        message = _("%(day)s can no longer be cancelled online: please call "
                                    "%(facility)s on %(phone)s.", day=format_day(p.date),
                                    facility=facility.name, phone=facility.phone)
                    raise DomainError(message)
        freed = []
        for p in to_withdraw:
            if p.state == S.PENDING.value:
                freed.append(p)
            change_state(p, S.WITHDRAWN.value, actor, now)
            audit.record(actor, "presence.withdraw", p, now, household_id=p.household_id)
        request = None
        at_once = not period.requires_validation
        if to_cancel:
            request = Request(kind=RequestKind.CANCELLATION.value, household_id=first.household_id,
                              child_id=first.child_id, period_id=first.period_id, created_at=now,
                              created_by_id=getattr(actor, "id", None),
                              comment=(comment or "").strip())
            db.session.add(request)
            db.session.flush()
            for p in to_cancel:
                p.cancel_request_id = request.id
                if at_once:
                    decide(p, S.CANCELLED.value, actor, now)
                    freed.append(p)
                else:
                    change_state(p, S.CANCEL_REQUESTED.value, actor, now)
            audit.record(actor, "booking.cancel_request", request, now,
                         household_id=first.household_id, period_id=period.id,
                         presence_ids=[p.id for p in to_cancel], at_once=at_once)
        child = db.session.get(Child, first.child_id)
        email_household(first.household_id, "cancellation", now,
                        number=request.id if request else None, child_name=child.full_name,
                        lines=email_lines(to_cancel + to_withdraw), at_once=at_once,
                        comment=(comment or "").strip(), **facility_context(period))
        if freed:
            free_and_promote(now, freed, actor)
        return request
    return in_transaction(run)


def accept_cancellation(actor, now, presence):
    """CANCEL_REQUESTED -> CANCELLED (agent); frees the place, promotes."""
    return in_transaction(lambda: _staff_transition(
        actor, now, presence, (S.CANCEL_REQUESTED.value,), S.CANCELLED.value,
        _("only a cancellation request can be accepted."), "presence.cancel_accept", "cancelled", frees=True))


def refuse_cancellation(actor, now, presence, reason):
    """CANCEL_REQUESTED -> ACCEPTED (agent), with the reason; the day stays booked."""
    def run():
        return _staff_transition(actor, now, presence, (S.CANCEL_REQUESTED.value,),
                                 S.ACCEPTED.value, _("only a cancellation request can be refused."),
                                 "presence.cancel_refuse",
                                 "cancellation_refused", reason=clean_reason(reason))
    return in_transaction(run)


def cancel_by_agent(actor, now, presence, reason, late=None):
    """ACCEPTED or CANCEL_REQUESTED -> CANCELLED by an agent, even past the
    deadline. ``late=None`` computes lateness from the period's cancellation
    deadline; a late cancellation sets presence.late_cancellation (billed
    anyway). Frees the place, promotes."""
    def run():
        period = db.session.get(Period, presence.period_id)
        is_late = deadlines.cancellation_late(period, presence.date, now) if late is None else bool(late)
        return _staff_transition(actor, now, presence,
                                 (S.ACCEPTED.value, S.CANCEL_REQUESTED.value), S.CANCELLED.value,
                                 _("only an accepted booking or a cancellation request can be cancelled."),
                                 "presence.cancel_by_agent", "cancelled",
                                 reason=(reason or "").strip() or None, frees=True,
                                 late_cancellation=is_late)
    return in_transaction(run)


def expire(now) -> dict:
    """PENDING or WAITLISTED whose day has passed -> EXPIRED (no place came
    free in time); CANCEL_REQUESTED whose day has passed -> CANCEL_EXPIRED
    (the booking stays and counts as booked for billing). One e-mail per
    household. Returns {"expired": n, "cancel_expired": m}."""
    expiring = (S.PENDING.value, S.WAITLISTED.value, S.CANCEL_REQUESTED.value)

    def run():
        today = now.date()
        # Same lock as every other transition of these days, taken first.
        lock_presence_days(Presence.date < today, Presence.state.in_(expiring))
        rows = db.session.scalars(
            select(Presence).where(Presence.date < today, Presence.state.in_(expiring))
            .order_by(Presence.household_id, Presence.date, Presence.id)).all()
        counts = {"expired": 0, "cancel_expired": 0}
        for p in rows:
            if p.state != S.CANCEL_REQUESTED.value:
                change_state(p, S.EXPIRED.value, None, now)
                counts["expired"] += 1
            else:
                change_state(p, S.CANCEL_EXPIRED.value, None, now)
                counts["cancel_expired"] += 1
            audit.record(None, "presence.expire", p, now, household_id=p.household_id,
                         to_state=p.state)
        email_households("expired", now, rows)
        return counts
    return in_transaction(run)
