"""What the families rules share: e-mail addresses, the household's
guardians and their mail, links in e-mails, and who may act."""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.errors import DomainError, Forbidden
from app.core.states import HouseholdStatus
from app.extensions import db
from app.families.access import children_of
from app.families.models import Child, Guardian, Household
from app.notifications.services import queue_email

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 200
NOT_YOURS = _l("This file is not yours.")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def checked_email(email: str) -> str:
    """The address, normalised, or DomainError when it is not one."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(_l("Enter a valid e-mail address."))
    return email


def security_manager():
    return current_app.appbuilder.sm


def user_model():
    return security_manager().user_model


def find_user_by_email(email: str):
    email = normalise_email(email)
    if not email:
        return None
    model = user_model()
    return db.session.scalar(select(model).where(
        (func.lower(model.username) == email) | (func.lower(model.email) == email)))


def link(path: str) -> str:
    """The absolute address of a portal page, for e-mails."""
    return current_app.config["PORTAIL_BASE_URL"].rstrip("/") + path


def guardians_of(household: Household) -> list[Guardian]:
    return list(db.session.scalars(select(Guardian).where(Guardian.household_id == household.id)
                                   .order_by(Guardian.position)))


def primary_guardian(household: Household) -> Guardian | None:
    return next(iter(guardians_of(household)), None)


def other_guardian(household: Household) -> Guardian | None:
    """"Autre responsable" (position 1), if the household has one."""
    return db.session.scalar(select(Guardian).where(Guardian.household_id == household.id,
                                                    Guardian.position == 1))


def guardian_of_user(user_id) -> Guardian | None:
    return db.session.scalar(select(Guardian).where(Guardian.user_id == user_id))


def household_emails(household: Household) -> list[str]:
    """Addresses of the guardians who have a checked login address."""
    guardians = guardians_of(household)
    return [g.email for g in guardians if g.email and g.user_id
            and g.email_verified_at is not None] or \
        [g.email for g in guardians[:1] if g.email]


def mail_household(household: Household, template: str, now: dt.datetime, **context) -> None:
    for address in household_emails(household):
        queue_email(address, template, now, household_id=household.id,
                    household=household, **context)


def is_closing(household: Household) -> bool:
    return household.status in (HouseholdStatus.CLOSING.value, HouseholdStatus.CLOSED.value)


def is_staff(user) -> bool:
    names = {r.name for r in getattr(user, "roles", []) or []}
    return bool(names & {"Agent", "Admin"})


def require_staff(user) -> None:
    if not is_staff(user):
        raise Forbidden(_l("Only the service's agents can do this."))


def require_guardian_of(user, household: Household) -> Guardian:
    guardian = guardian_of_user(getattr(user, "id", None))
    if guardian is None or guardian.household_id != household.id:
        raise Forbidden(NOT_YOURS)
    return guardian


def require_child_of(household: Household, child: Child) -> None:
    if child.id not in {c.id for c in children_of(household)}:
        raise Forbidden(NOT_YOURS)


def require_family_edit(user, household: Household, child: Child | None = None) -> Guardian:
    """The acting guardian of ``household``, when the family may still change
    its file (and ``child`` is one of its children); Forbidden or DomainError
    otherwise."""
    guardian = require_guardian_of(user, household)
    if is_closing(household):
        raise DomainError(_l("This account is being closed: it can no longer be changed."))
    if child is not None:
        require_child_of(household, child)
    return guardian
