"""The family's e-mails (queued in the caller's transaction) and the
history rows of the presences' state changes."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from sqlalchemy import select

from app.bookings.models import PresenceHistory
from app.bookings.services.common import unit_label
from app.catalogue.models import Period
from app.core.i18n import format_day
from app.core.states import PresenceState
from app.extensions import db
from app.families.models import Child, Guardian
from app.notifications.services import queue_email

_day_label = lru_cache(maxsize=2048)(format_day)


def email_lines(presences) -> list[dict]:
    """What an e-mail lists for each day."""
    return [{"day": _day_label(p.date), "unit": unit_label(p),
             "state": PresenceState.label_of(p.state)}
            for p in sorted(presences, key=lambda p: (p.date, p.unit_id))]


def guardian_addresses(household_ids) -> dict[int, list[str]]:
    rows = db.session.execute(
        select(Guardian.household_id, Guardian.email)
        .where(Guardian.household_id.in_(list(set(household_ids))), Guardian.email != "")
        .order_by(Guardian.household_id, Guardian.position))
    addresses = defaultdict(list)
    for household_id, email in rows:
        if email not in addresses[household_id]:
            addresses[household_id].append(email)
    return addresses


def email_household(household_id, template, now, addresses=None, **context) -> None:
    addresses = addresses if addresses is not None else guardian_addresses([household_id])
    for address in addresses.get(household_id, []):
        queue_email(address, f"bookings_{template}", now, household_id=household_id, **context)


def email_households(template, now, presences, **context) -> None:
    """One e-mail per household about these presences: its children's names
    and its days (a promotion, an expiry)."""
    by_household = defaultdict(list)
    for p in presences:
        by_household[p.household_id].append(p)
    if not by_household:
        return
    addresses = guardian_addresses(by_household)
    children = {c.id: c for c in db.session.scalars(
        select(Child).where(Child.id.in_({p.child_id for p in presences})))}
    for household_id, items in by_household.items():
        email_household(household_id, template, now, addresses=addresses,
                        child_name=", ".join(sorted({children[p.child_id].full_name
                                                     for p in items})),
                        lines=email_lines(items), **context)


def email_presence(presence, template, now, **context) -> None:
    period = db.session.get(Period, presence.period_id)
    child = db.session.get(Child, presence.child_id)
    email_household(presence.household_id, template, now, child_name=child.full_name,
                    lines=email_lines([presence]), **facility_context(period), **context)


def facility_context(period) -> dict:
    facility = period.reception.facility
    return {"facility_name": facility.name, "facility_phone": facility.phone,
            "period_path": period.path}


def change_state(presence, to_state, actor, now, reason=None) -> PresenceHistory:
    entry = PresenceHistory(presence_id=presence.id, at=now, actor_id=getattr(actor, "id", None),
                            from_state=presence.state, to_state=to_state, reason=reason)
    presence.state = to_state
    presence.updated_at = now
    db.session.add(entry)
    return entry


def decide(presence, to_state, actor, now, reason=None) -> None:
    change_state(presence, to_state, actor, now, reason)
    presence.decided_at = now
    presence.decided_by_id = getattr(actor, "id", None)
    if reason is not None:
        presence.reason = reason
