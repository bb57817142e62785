"""What the engine's modules share: the state shorthands, the French error
for a move the current state does not allow, and the transaction wrapper."""

from __future__ import annotations

from flask_babel import gettext as _

from app.bookings.models import Presence
from app.core.errors import DomainError
from app.core.i18n import format_day
from app.core.states import HOLDING_STATES, PresenceState
from app.extensions import db

S = PresenceState
STAFF_ROLES = {"Agent", "Admin"}
FAMILY_ROLE = "Famille"
# States a child's day counts as "already booked" in (skipped by book()).
BOOKED_STATES = HOLDING_STATES + (S.WAITLISTED.value,)
# States hidden from the planning unless "Afficher les annulations et refus".
CANCELLED_OR_REFUSED = (S.CANCELLED.value, S.REFUSED.value, S.WITHDRAWN.value)


def unit_label(presence) -> str:
    return presence.unit.name if presence.unit is not None else ""


def reload(presence) -> Presence:
    """The presence's current row, read after taking the slot-day lock: every
    transition of a presence takes the lock of its day first, so what we
    read now cannot change before we commit."""
    db.session.refresh(presence)
    return presence


def clean_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason: the family will read it."))
    return reason


def state_error(presence, rule: str) -> DomainError:
    """"<day> (<unit>): this booking is "<state>"; <rule>"."""
    return DomainError(_("%(day)s (%(unit)s): this booking is \"%(state)s\"; %(rule)s",
                         day=format_day(presence.date), unit=unit_label(presence),
                         state=PresenceState.label_of(presence.state), rule=rule))


def in_transaction(fn):
    """Commit what fn wrote, or roll everything back on any error."""
    try:
        result = fn()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise
