"""The household's file ("Mon compte"): profile, household, other
responsable, children, authorised persons, school information; what is still
missing (the hub's banner), the submission to the services, and what stops a
booking."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit
from app.core.errors import DomainError, Forbidden
from app.core.states import DocumentState, HouseholdStatus
from app.extensions import db
from app.families.models import (
    AuthorizedPerson,
    Child,
    Guardian,
    Household,
    HouseholdChild,
    SchoolInfo,
)
from app.families.services.common import (
    NOT_YOURS,
    checked_email,
    children_of,
    link,
    mail_household,
    normalise_email,
    other_guardian,
    primary_guardian,
    require_family_edit,
    require_guardian_of,
)
from app.families.services.documents import document_lines

SECTION_LABELS = {
    "profile": _l("My profile"),
    "household": _l("My household"),
    "children": _l("My children"),
    "documents": _l("My documents"),
    "school": _l("School information"),
}

PROFILE_FIELDS = ("civility", "first_name", "last_name", "birth_date", "mobile_phone",
                  "work_phone", "profession", "employer")
HOUSEHOLD_FIELDS = ("address", "address_extra", "postcode", "city", "phone",
                    "family_situation", "benefits_regime", "allocataire_number",
                    "quotient_familial")
CHILD_FIELDS = ("first_name", "last_name", "birth_date", "sex", "allergies", "pai",
                "pai_details", "diet", "doctor_name", "doctor_phone", "image_rights", "notes")
OTHER_GUARDIAN_FIELDS = ("civility", "first_name", "last_name", "email", "mobile_phone",
                         "work_phone", "profession", "employer", "relationship_to_child")
AUTHORIZED_PERSON_FIELDS = ("name", "phone", "relationship_to_child")


# --------------------------------------------------------------------------
# Completeness
# --------------------------------------------------------------------------

def email_verified(household: Household) -> bool:
    guardian = primary_guardian(household)
    return guardian is not None and guardian.email_verified_at is not None


def profile_missing(guardian: Guardian | None) -> bool:
    return guardian is None or not (guardian.civility and guardian.first_name.strip()
                                    and guardian.last_name.strip()
                                    and guardian.mobile_phone.strip())


def household_missing(household: Household) -> bool:
    return not (household.address.strip() and household.postcode.strip()
                and household.city.strip() and household.family_situation)


def missing_sections(household: Household) -> list[str]:
    """Keys of the sections still to complete (in the hub's order)."""
    missing = []
    if profile_missing(primary_guardian(household)):
        missing.append("profile")
    if household_missing(household):
        missing.append("household")
    if not children_of(household):
        missing.append("children")
    if any(line.state in ("missing", DocumentState.REFUSED.value, DocumentState.EXPIRED.value)
           for line in document_lines(household, today=None) if line.document_type.required):
        missing.append("documents")
    return missing


def missing_labels(household: Household) -> list[str]:
    return [str(SECTION_LABELS[key]) for key in missing_sections(household)]


# --------------------------------------------------------------------------
# Changes made by the family
# --------------------------------------------------------------------------

def _after_validation(household: Household) -> bool:
    return household.status == HouseholdStatus.VALIDATED.value


def _apply(actor, obj, values: dict, now: dt.datetime, household: Household, action: str):
    diff = audit.changes(obj, values)
    for field, value in values.items():
        setattr(obj, field, value)
    if diff:
        audit.record(actor, action, obj, now, household_id=household.id,
                     after_validation=_after_validation(household), changes=diff)
    return diff


def _only(values: dict, fields) -> dict:
    return {k: v for k, v in values.items() if k in fields}


def _check_birth_date(day, now: dt.datetime, child: bool) -> None:
    if day is None:
        if child:
            raise DomainError(_l("Enter the date of birth."))
        return
    if day > now.date():
        raise DomainError(_l("The date of birth cannot be in the future."))
    if day.year < now.year - (30 if child else 120):
        raise DomainError(_l("The date of birth is too far in the past."))


def update_profile(actor, guardian: Guardian, values: dict, now: dt.datetime) -> dict:
    household = db.session.get(Household, guardian.household_id)
    require_family_edit(actor, household)
    values = _only(values, PROFILE_FIELDS)
    _check_birth_date(values.get("birth_date"), now, child=False)
    diff = _apply(actor, guardian, values, now, household, "profile_updated")
    if guardian.user_id == actor.id:
        actor.first_name = guardian.first_name[:64]
        actor.last_name = guardian.last_name[:64]
    return diff


def update_household(actor, household: Household, values: dict, now: dt.datetime) -> dict:
    require_family_edit(actor, household)
    values = _only(values, HOUSEHOLD_FIELDS)
    qf = values.get("quotient_familial")
    if qf is not None and qf < 0:
        raise DomainError(_l("The quotient familial cannot be negative."))
    for optional in ("benefits_regime", "family_situation"):
        if values.get(optional) == "":
            values[optional] = None
    diff = _apply(actor, household, values, now, household, "household_updated")
    if "quotient_familial" in diff:
        household.qf_checked = False
    return diff


def save_other_guardian(actor, household: Household, values: dict, now: dt.datetime) -> Guardian:
    """Create or change "Autre responsable" (position 1)."""
    require_family_edit(actor, household)
    values = _only(values, OTHER_GUARDIAN_FIELDS)
    if "email" in values:
        values["email"] = normalise_email(values["email"])
        if values["email"]:
            checked_email(values["email"])
    other = other_guardian(household)
    if other is None:
        other = Guardian(household_id=household.id, position=1)
        db.session.add(other)
        db.session.flush()
        audit.record(actor, "guardian_added", other, now, household_id=household.id)
    elif other.user_id is not None and "email" in values and \
            values["email"] != normalise_email(other.email):
        raise DomainError(_l("This person has their own login: only they can change "
                             "their e-mail address."))
    _apply(actor, other, values, now, household, "guardian_updated")
    return other


def add_child(actor, household: Household, values: dict, now: dt.datetime) -> Child:
    require_family_edit(actor, household)
    values = _only(values, CHILD_FIELDS)
    _check_birth_date(values.get("birth_date"), now, child=True)
    child = Child(created_at=now, **values)
    db.session.add(child)
    db.session.flush()
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    audit.record(actor, "child_added", child, now, household_id=household.id,
                 after_validation=_after_validation(household), name=child.full_name)
    return child


def update_child(actor, household: Household, child: Child, values: dict,
                 now: dt.datetime) -> dict:
    require_family_edit(actor, household, child)
    values = _only(values, CHILD_FIELDS)
    if "birth_date" in values:
        _check_birth_date(values["birth_date"], now, child=True)
    return _apply(actor, child, values, now, household, "child_updated")


def add_authorized_person(actor, household: Household, child: Child, values: dict,
                          now: dt.datetime) -> AuthorizedPerson:
    require_family_edit(actor, household, child)
    person = AuthorizedPerson(child_id=child.id, household_id=household.id,
                              **_only(values, AUTHORIZED_PERSON_FIELDS))
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "authorized_person_added", person, now, household_id=household.id,
                 child_id=child.id, name=person.name)
    return person


def remove_authorized_person(actor, household: Household, person: AuthorizedPerson,
                             now: dt.datetime) -> None:
    require_family_edit(actor, household)
    if person.household_id != household.id:
        raise Forbidden(NOT_YOURS)
    audit.record(actor, "authorized_person_removed", person, now, household_id=household.id,
                 child_id=person.child_id, name=person.name)
    db.session.delete(person)


def save_school_info(actor, household: Household, child: Child, school_year: str,
                     school_name: str, level: str, now: dt.datetime) -> SchoolInfo:
    require_family_edit(actor, household, child)
    if not re.match(r"^\d{4}-\d{4}$", school_year or "") or \
            int(school_year[5:]) != int(school_year[:4]) + 1:
        raise DomainError(_l("Choose a school year."))
    info = db.session.scalar(select(SchoolInfo).where(SchoolInfo.child_id == child.id,
                                                      SchoolInfo.school_year == school_year))
    values = {"school_name": school_name, "level": level}
    if info is None:
        info = SchoolInfo(child_id=child.id, school_year=school_year, **values)
        db.session.add(info)
        db.session.flush()
        audit.record(actor, "school_info_added", info, now, household_id=household.id,
                     child_id=child.id, school_year=school_year, **values)
    else:
        _apply(actor, info, values, now, household, "school_info_updated")
    return info


def school_years_offered(now: dt.datetime) -> list[str]:
    from app.core.clock import school_year_of

    start, _end = school_year_of(now.date())
    return [f"{start}-{start + 1}", f"{start + 1}-{start + 2}"]


# --------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------

def submit_household(actor, household: Household, conditions_accepted: bool,
                     now: dt.datetime) -> Household:
    """Draft (or refused) → submitted, when complete, address checked and
    conditions accepted."""
    require_guardian_of(actor, household)
    if household.status not in (HouseholdStatus.DRAFT.value, HouseholdStatus.REFUSED.value):
        raise DomainError(_l("Your file has already been sent to our services."))
    if not email_verified(household):
        raise DomainError(_l("Confirm your e-mail address first, with the link we sent you. "
                             "Until then, nothing is sent to our services."))
    missing = missing_labels(household)
    if missing:
        raise DomainError(_l("Complete these sections first: %(sections)s.",
                             sections=", ".join(f"\u201c{m}\u201d" for m in missing)))
    if not conditions_accepted:
        raise DomainError(_l("Accept the validation conditions to send your file."))
    household.status = HouseholdStatus.SUBMITTED.value
    household.conditions_accepted_at = now
    household.submitted_at = now
    household.refusal_reason = None
    audit.record(actor, "household_submitted", household, now, household_id=household.id)
    mail_household(household, "families_submitted", now, link=link("/compte/"))
    return household


# --------------------------------------------------------------------------
# For the bookings engine
# --------------------------------------------------------------------------

def booking_blockers(household: Household, child: Child, period, now: dt.datetime) -> list[str]:
    """Translated reasons that stop ``household`` booking ``period`` for ``child``."""
    reasons = []
    if household.status != HouseholdStatus.VALIDATED.value:
        reasons.append(_("Your account has not been validated by our services yet."))
    if not email_verified(household):
        reasons.append(_("Your e-mail address has not been confirmed yet."))
    if child is None or child.id not in {c.id for c in children_of(household)}:
        reasons.append(_("This child is not in your household."))
        return reasons
    if getattr(period, "requires_documents", True):
        for line in document_lines(household, now.date()):
            if not line.document_type.required:
                continue
            if line.child is not None and line.child.id != child.id:
                continue
            if line.state == "missing":
                reasons.append(_("Required document missing: %(name)s.", name=line.name))
            elif line.state == DocumentState.EXPIRED.value:
                reasons.append(_("Required document expired: %(name)s.", name=line.name))
            elif line.state == DocumentState.REFUSED.value:
                reasons.append(_("Required document refused: %(name)s.", name=line.name))
    if getattr(period, "requires_school_info", False):
        from app.core.clock import school_year_label

        year = school_year_label(period.start_date)
        has_info = db.session.scalar(select(SchoolInfo.id).where(
            SchoolInfo.child_id == child.id, SchoolInfo.school_year == year))
        if has_info is None:
            reasons.append(_("School information for %(year)s is missing for %(name)s "
                             "(\u201cInformations scolaires\u201d).",
                             year=year, name=child.full_name))
    return reasons
