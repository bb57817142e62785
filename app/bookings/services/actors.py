"""Who acts: the system (None), agents and administrators (staff), or a
family user, who acts only on its own household's presences. An agent
assigned to facilities acts only on those."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.bookings.services.common import STAFF_ROLES
from app.catalogue.services import facility_scope
from app.core.errors import Forbidden, NotFound
from app.extensions import db
from app.families.models import Guardian


def _role_names(actor) -> set[str]:
    return {getattr(role, "name", "") for role in (getattr(actor, "roles", None) or [])}


def is_staff(actor) -> bool:
    """The system (None), agents and administrators."""
    return actor is None or bool(_role_names(actor) & STAFF_ROLES)


def is_family(actor) -> bool:
    return actor is not None and not is_staff(actor)


def actor_household_id(actor):
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == actor.id))
    return guardian.household_id if guardian else None


def require_staff(actor) -> set[int] | None:
    if not is_staff(actor):
        raise Forbidden(_("Only the service's agents may do this."))
    return facility_scope(actor)


def check_facility(facilities, period) -> None:
    if facilities is not None and period.reception.facility_id not in facilities:
        raise Forbidden(_("This facility is not one of yours."))


def check_owner(actor, presences) -> None:
    """A family acts only on its own household's presences."""
    if not is_family(actor):
        return
    household_id = actor_household_id(actor)
    for presence in presences:
        if household_id is None or presence.household_id != household_id:
            raise NotFound(_("This booking does not exist."))
