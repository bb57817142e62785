"""The agents' bulk accept and refuse: one transaction for many presences."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from app.bookings.models import Presence, PresenceHistory
from app.bookings.services.actors import require_staff
from app.bookings.services.capacity import lock_presence_days
from app.bookings.services.common import S, clean_reason, in_transaction, state_error
from app.bookings.services.notify import (
    email_household,
    email_lines,
    facility_context,
    guardian_addresses,
)
from app.bookings.services.promotion import free_and_promote
from app.bookings.services.transitions import accept_cancellation, refuse_cancellation
from app.catalogue.models import Period, Unit
from app.core.errors import DomainError
from app.core.models import AuditLog
from app.extensions import db
from app.families.models import Child


def _ids(presence_ids) -> list[int]:
    """The whole-number ids of ``presence_ids``, each once, in order."""
    ids = []
    for raw in presence_ids or ():
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    return list(dict.fromkeys(ids))


@dataclass
class BulkResult:
    """What a bulk agent action did: how many changed, and why the others did not."""

    done: int = 0
    errors: dict = field(default_factory=dict)  # presence id -> French message


def _bulk(actor, now, presence_ids, from_state, to_state, rule, audit_action,
          template, reason=None, frees=False) -> BulkResult:
    """One transaction for many presences, without a query or an ORM object
    per row: read the rows' columns, one UPDATE (guarded by the state), one
    multi-row INSERT each for the history and the audit entries (the same
    rows app.core.audit.record writes), one e-mail per household, child and
    period."""
    session = db.session
    facilities = require_staff(actor)
    result = BulkResult()
    ids = _ids(presence_ids)
    if not ids:
        return result
    by_period = lock_presence_days(Presence.id.in_(ids))
    rows = {row.id: row for row in session.execute(
        select(Presence.id, Presence.household_id, Presence.child_id, Presence.period_id,
               Presence.unit_id, Presence.date, Presence.state)
        .where(Presence.id.in_(ids)))}
    periods = {p.id: p for p in session.scalars(select(Period).where(Period.id.in_(list(by_period))))}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.period_id.in_(list(by_period))))}
    actor_id = getattr(actor, "id", None)
    changed = []
    for presence_id in ids:
        row = rows.get(presence_id)
        if row is None:
            result.errors[presence_id] = _("This booking does not exist.")
            continue
        if facilities is not None and periods[row.period_id].reception.facility_id not in facilities:
            result.errors[presence_id] = _("This facility is not one of yours.")
            continue
        item = SimpleNamespace(id=row.id, household_id=row.household_id, child_id=row.child_id,
                               period_id=row.period_id, unit_id=row.unit_id,
                               unit=units.get(row.unit_id), date=row.date, state=row.state)
        if row.state != from_state:
            result.errors[presence_id] = str(state_error(item, rule))
            continue
        item.state = to_state
        changed.append(item)
    result.done = len(changed)
    if not changed:
        return result
    changed_ids = [p.id for p in changed]
    values = dict(state=to_state, updated_at=now, decided_at=now, decided_by_id=actor_id)
    if reason is not None:
        values["reason"] = reason
    session.execute(update(Presence).where(Presence.id.in_(changed_ids),
                                           Presence.state == from_state)
                    .values(**values).execution_options(synchronize_session=False))
    session.execute(insert(PresenceHistory), [
        dict(presence_id=p.id, at=now, actor_id=actor_id, from_state=from_state,
             to_state=to_state, reason=reason) for p in changed])
    details = json.dumps({"reason": reason}, ensure_ascii=False)
    session.execute(insert(AuditLog), [
        dict(at=now, actor_id=actor_id, action=audit_action, object_type="Presence",
             object_id=p.id, household_id=p.household_id, details=details) for p in changed])
    # The Presence objects already in the session now hold old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Presence) and obj.id in rows:
            session.expire(obj)
    groups = defaultdict(list)
    for p in changed:
        groups[(p.household_id, p.child_id, p.period_id)].append(p)
    addresses = guardian_addresses({p.household_id for p in changed})
    children = {c.id: c for c in session.scalars(
        select(Child).where(Child.id.in_({p.child_id for p in changed})))}
    for (household_id, child_id, period_id), items in groups.items():
        email_household(household_id, template, now, addresses=addresses,
                        child_name=children[child_id].full_name, lines=email_lines(items),
                        reason=reason or "", **facility_context(periods[period_id]))
    if frees:
        free_and_promote(now, changed, actor)
    return result


def accept_many(actor, now, presence_ids) -> BulkResult:
    """Accept many PENDING presences (agent), in one transaction; one e-mail
    per household, child and period. Presences that cannot be accepted are
    listed in ``errors`` (id -> French message); the others are accepted."""
    return in_transaction(lambda: _bulk(
        actor, now, presence_ids, S.PENDING.value, S.ACCEPTED.value,
        _("only a request awaiting processing can be accepted."), "presence.accept", "accepted"))


def refuse_many(actor, now, presence_ids, reason) -> BulkResult:
    """Refuse many PENDING presences (agent) with one reason, in one
    transaction; frees their places and promotes the waiting lists."""
    def run():
        return _bulk(actor, now, presence_ids, S.PENDING.value, S.REFUSED.value,
                     _("only a request awaiting processing can be refused."), "presence.refuse",
                     "refused", reason=clean_reason(reason), frees=True)
    return in_transaction(run)


def _one_by_one(presence_ids, transition) -> BulkResult:
    """``transition(presence)`` for each presence, each in its own transaction
    (it commits or rolls back by itself): one that cannot change is listed in
    ``errors`` and does not undo the others."""
    result = BulkResult()
    for presence_id in _ids(presence_ids):
        presence = db.session.get(Presence, presence_id)
        try:
            if presence is None:
                raise DomainError(_("This booking does not exist."))
            transition(presence)
        except DomainError as error:
            result.errors[presence_id] = str(error.message)
        else:
            result.done += 1
    return result


def accept_cancellations(actor, now, presence_ids) -> BulkResult:
    """Accept many cancellation requests (agent): each day is cancelled, its
    place freed and the waiting list promoted, as accept_cancellation does."""
    return _one_by_one(presence_ids, lambda p: accept_cancellation(actor, now, p))


def refuse_cancellations(actor, now, presence_ids, reason) -> BulkResult:
    """Refuse many cancellation requests (agent) with one reason: the days
    stay booked, as refuse_cancellation does."""
    return _one_by_one(presence_ids, lambda p: refuse_cancellation(actor, now, p, reason))
