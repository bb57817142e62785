"""Who may see what: the household of the logged-in family, and ownership
checks that every family route uses. A family never reaches another
household's data: every lookup by id goes through these functions, which
answer 404 for anything that is not the household's own.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.families.models import Child, Guardian, Household, HouseholdChild


def household_of(user) -> Household | None:
    """The household a family user is a guardian of (None for staff)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Household).join(Guardian, Guardian.household_id == Household.id)
        .where(Guardian.user_id == user.id))


def guardian_of(user) -> Guardian | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Guardian).where(Guardian.user_id == user.id))


def current_household() -> Household:
    """The logged-in family's household, or 403."""
    household = household_of(current_user)
    if household is None:
        abort(403)
    return household


def children_of(household: Household) -> list[Child]:
    return list(db.session.scalars(
        select(Child).join(HouseholdChild, HouseholdChild.child_id == Child.id)
        .where(HouseholdChild.household_id == household.id)
        .order_by(Child.birth_date, Child.id)))


def is_child_of(household: Household, child_id: int) -> bool:
    return db.session.scalar(
        select(HouseholdChild.child_id).where(HouseholdChild.household_id == household.id,
                                              HouseholdChild.child_id == child_id)) is not None


MAX_ID = 2**31 - 1  # an id beyond a 32-bit integer column is no row (not a database error)


def valid_id(value) -> int | None:
    """``value`` as a row id, or None when it cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def child_of(household: Household, child_id) -> Child:
    """The household's child with this id, or 404 (never another household's)."""
    child_id = valid_id(child_id)
    if child_id is None:
        abort(404)
    if not is_child_of(household, child_id):
        abort(404)
    return db.session.get(Child, child_id)


def owned_or_404(model, object_id, household: Household):
    """A row of ``model`` that has ``household_id`` equal to the household's, or 404."""
    object_id = valid_id(object_id)
    if object_id is None:
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None or obj.household_id != household.id:
        abort(404)
    return obj
