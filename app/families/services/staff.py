"""Agents: the validation queue, validating or refusing a file, the
quotient familial check, linking a child to a second household, closing an
account, and the changes families made to a validated file."""

from __future__ import annotations

import datetime as dt
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit
from app.core.errors import DomainError
from app.core.models import AuditLog
from app.core.states import HouseholdStatus
from app.extensions import db
from app.families.models import Child, Household, HouseholdChild
from app.families.services.common import (
    guardians_of,
    link,
    mail_household,
    require_staff,
    user_model,
)
from app.families.services.documents import documents_blocking_validation, refusal_reason
from app.families.services.household import email_verified, missing_labels

# Queue order: files to validate, then drafts, then refused files.
QUEUE_ORDER = {HouseholdStatus.SUBMITTED.value: 0, HouseholdStatus.DRAFT.value: 1,
               HouseholdStatus.REFUSED.value: 2}


# --------------------------------------------------------------------------
# What agents look at
# --------------------------------------------------------------------------

def validation_queue() -> list[tuple[Household, list[str]]]:
    """Households waiting for validation (submitted), then drafts still being
    filled; complete ones first, oldest first; each with what is missing."""
    rows = []
    for household in db.session.scalars(select(Household).where(
            Household.status.in_(tuple(QUEUE_ORDER)))):
        missing = missing_labels(household)
        if not email_verified(household):
            missing.append(str(_l("E-mail address not confirmed")))
        rows.append((household, missing))
    rows.sort(key=lambda r: (QUEUE_ORDER[r[0].status], bool(r[1]),
                             r[0].submitted_at or r[0].created_at, r[0].id))
    return rows


def changes_after_validation(now: dt.datetime, days: int = 30,
                             limit: int = 100) -> list[tuple]:
    """(audit entry, household, {field: [old, new]}) of the changes families made
    to a validated file in the last ``days`` days, newest first."""
    entries = db.session.scalars(select(AuditLog).where(
        AuditLog.at >= now - dt.timedelta(days=days), AuditLog.household_id.is_not(None),
        AuditLog.details.like('%"after_validation": true%'))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    rows = []
    for entry in entries:
        details = json.loads(entry.details or "{}")
        rows.append((entry, db.session.get(Household, entry.household_id),
                     details.get("changes", {})))
    return rows


def closing_households() -> list[Household]:
    return list(db.session.scalars(select(Household).where(
        Household.status == HouseholdStatus.CLOSING.value).order_by(
        Household.closure_requested_at)))


# --------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------

def _require_submitted(household: Household, message) -> None:
    if household.status != HouseholdStatus.SUBMITTED.value:
        raise DomainError(message)


def validate_household(actor, household: Household, now: dt.datetime) -> Household:
    require_staff(actor)
    _require_submitted(household, _l("Only a file awaiting validation can be validated."))
    pending = documents_blocking_validation(household, now.date())
    if pending:
        raise DomainError(_l("These required documents are not accepted yet: %(names)s.",
                             names=", ".join(line.name for line in pending)))
    household.status = HouseholdStatus.VALIDATED.value
    household.validated_at = now
    household.validated_by_id = actor.id
    household.refusal_reason = None
    audit.record(actor, "household_validated", household, now, household_id=household.id)
    mail_household(household, "families_validated", now, link=link("/compte/"))
    return household


def refuse_household(actor, household: Household, reason: str, now: dt.datetime) -> Household:
    require_staff(actor)
    reason = refusal_reason(reason)
    _require_submitted(household, _l("Only a file awaiting validation can be refused."))
    household.status = HouseholdStatus.REFUSED.value
    household.refusal_reason = reason
    audit.record(actor, "household_refused", household, now, household_id=household.id,
                 reason=reason)
    mail_household(household, "families_refused", now, reason=reason, link=link("/compte/"))
    return household


def mark_qf_checked(actor, household: Household, now: dt.datetime) -> Household:
    require_staff(actor)
    if household.quotient_familial is None:
        raise DomainError(_l("This household has not given a quotient familial."))
    household.qf_checked = True
    audit.record(actor, "qf_checked", household, now, household_id=household.id,
                 quotient_familial=household.quotient_familial)
    return household


def link_child_to_household(actor, child: Child, household: Household,
                            now: dt.datetime) -> None:
    """Agents: attach an existing child to a second household (separated parents)."""
    require_staff(actor)
    if household.status == HouseholdStatus.CLOSED.value:
        raise DomainError(_l("This account is closed."))
    if db.session.get(HouseholdChild, (household.id, child.id)) is not None:
        raise DomainError(_l("This child already belongs to this household."))
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    audit.record(actor, "child_linked", child, now, household_id=household.id,
                 child_name=child.full_name)


def confirm_closure(actor, household: Household, now: dt.datetime) -> Household:
    """Agents: closing → closed; logins disabled; nothing billing needs is deleted."""
    require_staff(actor)
    if household.status != HouseholdStatus.CLOSING.value:
        raise DomainError(_l("Only an account whose closure was requested can be closed."))
    mail_household(household, "families_closed", now)
    household.status = HouseholdStatus.CLOSED.value
    model = user_model()
    for guardian in guardians_of(household):
        user = db.session.get(model, guardian.user_id) if guardian.user_id else None
        if user is not None:
            user.active = False
    audit.record(actor, "household_closed", household, now, household_id=household.id)
    return household
