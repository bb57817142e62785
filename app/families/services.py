"""Families: the rules. Registration and e-mail check, password reset, the
"Mon compte" file, documents, submission and agent validation, the second
guardian, closure, and what stops a booking.

Every function takes the acting user (a FAB user, or None for an anonymous
visitor) and ``now`` (naive Europe/Paris wall-clock time). Functions that
change state check the current state, write the audit entry, queue the
family's e-mail and raise ``DomainError`` with a translated message when the
move is not allowed. They add to the session; the caller commits (views call
``db.session.commit()`` after a successful call).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import audit
from app.core.errors import DomainError, Forbidden
from app.core.security import FAMILLE
from app.core.states import DocumentState, HouseholdStatus
from app.extensions import db
from app.families.models import (
    AuthorizedPerson,
    Child,
    Document,
    DocumentType,
    Guardian,
    Household,
    HouseholdChild,
    OneTimeToken,
    SchoolInfo,
)
from app.notifications.services import queue_email

# --------------------------------------------------------------------------
# Settings of the rules
# --------------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOKEN_LIFETIMES = {
    "verify": dt.timedelta(hours=48),
    "reset": dt.timedelta(hours=2),
    "invite": dt.timedelta(days=7),
}
# The document type whose acceptance confirms the quotient familial.
QF_DOCUMENT_CODE = "attestation_qf"

PASSWORD_RULE = _l("At least 12 characters. A passphrase of several words is a good choice, "
                   "for example: \"quatre chats jouent au soleil\".")

SECTION_LABELS = {
    "profile": _l("My profile"),
    "household": _l("My household"),
    "children": _l("My children"),
    "documents": _l("My documents"),
    "school": _l("School information"),
}

MAGIC_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rule(password: str, email: str = "") -> None:
    """Raise DomainError when the password does not follow the rule."""
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(_l("The password must have at least 12 characters "
                             "(a passphrase of several words is a good choice)."))
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(_l("The password must have at most 200 characters."))
    if email and password.strip().lower() == normalise_email(email):
        raise DomainError(_l("The password must not be your e-mail address."))


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB's own password forms (reset my
    password, users screens) follow the same rule, in French."""
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    try:
        check_password_rule(password)
    except DomainError as error:
        raise PasswordComplexityValidationError(str(error.message)) from None


def _sm():
    return current_app.appbuilder.sm


def _user_model():
    return _sm().user_model


def find_user_by_email(email: str):
    email = normalise_email(email)
    if not email:
        return None
    model = _user_model()
    from sqlalchemy import func

    return db.session.scalar(select(model).where(
        (func.lower(model.username) == email) | (func.lower(model.email) == email)))


def _hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def _link(path: str) -> str:
    return current_app.config["PORTAIL_BASE_URL"].rstrip("/") + path


def primary_guardian(household: Household) -> Guardian | None:
    return db.session.scalar(select(Guardian).where(Guardian.household_id == household.id)
                             .order_by(Guardian.position).limit(1))


def guardians_of(household: Household) -> list[Guardian]:
    return list(db.session.scalars(select(Guardian).where(Guardian.household_id == household.id)
                                   .order_by(Guardian.position)))


def household_emails(household: Household) -> list[str]:
    """Addresses of the guardians who have a checked login address."""
    return [g.email for g in guardians_of(household) if g.email and g.user_id
            and g.email_verified_at is not None] or \
        [g.email for g in guardians_of(household)[:1] if g.email]


def _mail_household(household: Household, template: str, now: dt.datetime, **context):
    for address in household_emails(household):
        queue_email(address, template, now, household_id=household.id,
                    household=household, **context)


def _is_staff(user) -> bool:
    names = {r.name for r in getattr(user, "roles", []) or []}
    return bool(names & {"Agent", "Admin"})


def _require_staff(user) -> None:
    if not _is_staff(user):
        raise Forbidden(_l("Only the service's agents can do this."))


def _require_guardian_of(user, household: Household) -> Guardian:
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == getattr(user, "id", None)))
    if guardian is None or guardian.household_id != household.id:
        raise Forbidden(_l("This file is not yours."))
    return guardian


def _require_editable(household: Household) -> None:
    if household.status in (HouseholdStatus.CLOSING.value, HouseholdStatus.CLOSED.value):
        raise DomainError(_l("This account is being closed: it can no longer be changed."))


# --------------------------------------------------------------------------
# One-time tokens (address check, password reset, invitation)
# --------------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"portail-{purpose}")


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(purpose: str, now: dt.datetime, user=None, household=None, email="") -> str:
    """A signed link token; only the hash of its random part is stored."""
    raw = secrets.token_urlsafe(32)
    db.session.add(OneTimeToken(
        purpose=purpose, token_hash=_hash_token(raw), user_id=getattr(user, "id", None),
        household_id=getattr(household, "id", None), email=normalise_email(email),
        created_at=now, expires_at=now + TOKEN_LIFETIMES[purpose]))
    return _serializer(purpose).dumps(raw)


def _retire_tokens(purpose: str, now: dt.datetime, user_id=None, email=None) -> None:
    query = select(OneTimeToken).where(OneTimeToken.purpose == purpose,
                                       OneTimeToken.used_at.is_(None))
    if user_id is not None:
        query = query.where(OneTimeToken.user_id == user_id)
    if email is not None:
        query = query.where(OneTimeToken.email == normalise_email(email))
    for token in db.session.scalars(query):
        token.used_at = now


def peek_token(purpose: str, signed: str, now: dt.datetime) -> OneTimeToken:
    """The token row of a link, or DomainError saying why the link cannot be used."""
    try:
        raw = _serializer(purpose).loads(signed or "")
    except BadSignature:
        raise DomainError(_l("This link is not valid. Check that you copied the whole "
                             "address, or ask for a new link.")) from None
    token = db.session.scalar(select(OneTimeToken).where(
        OneTimeToken.token_hash == _hash_token(str(raw)), OneTimeToken.purpose == purpose))
    if token is None:
        raise DomainError(_l("This link is not valid. Check that you copied the whole "
                             "address, or ask for a new link."))
    if token.used_at is not None:
        raise DomainError(_l("This link has already been used. Each link works only once: "
                             "ask for a new link if you need one."))
    if token.expires_at <= now:
        raise DomainError(_l("This link has expired. Ask for a new link."))
    return token


def _consume_token(purpose: str, signed: str, now: dt.datetime) -> OneTimeToken:
    token = peek_token(purpose, signed, now)
    token.used_at = now
    return token


# --------------------------------------------------------------------------
# Registration, address check, password
# --------------------------------------------------------------------------

def register_account(actor, email: str, password: str, now: dt.datetime):
    """Create a family account (FAB user with role Famille, draft household,
    primary guardian) and send the address check link.

    An address that already has an account gets an e-mail saying so instead;
    the caller shows the same page in both cases. Returns the new user or None.
    """
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 200:
        raise DomainError(_l("Enter a valid e-mail address."))
    check_password_rule(password, email)
    existing = find_user_by_email(email)
    if existing is not None:
        queue_email(email, "families_account_exists", now,
                    login_url=_link("/login/"),
                    reset_url=_link("/compte/mot-de-passe-oublie"))
        return None
    sm = _sm()
    role = sm.find_role(FAMILLE)
    user = sm.add_user(username=email, first_name="", last_name="", email=email, role=role,
                       password=password, commit=False)
    if not user:
        raise DomainError(_l("The account could not be created. Try again in a few moments."))
    household = Household(status=HouseholdStatus.DRAFT.value, created_at=now)
    db.session.add(household)
    db.session.flush()
    guardian = Guardian(household_id=household.id, user_id=user.id, position=0, email=email)
    db.session.add(guardian)
    db.session.flush()
    audit.record(user, "account_created", household, now, household_id=household.id,
                 email=email)
    _send_verification(user, household, email, now)
    return user


def _send_verification(user, household, email: str, now: dt.datetime) -> None:
    _retire_tokens("verify", now, user_id=user.id)
    token = issue_token("verify", now, user=user, household=household, email=email)
    queue_email(email, "families_verify", now, household_id=household.id,
                link=_link(f"/compte/confirmer/{token}"))


def verify_email(actor, token: str, now: dt.datetime) -> Guardian:
    """Mark the guardian's address as checked (the link from the e-mail)."""
    row = _consume_token("verify", token, now)
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == row.user_id))
    if guardian is None or normalise_email(guardian.email) != row.email:
        raise DomainError(_l("This link is not valid. Check that you copied the whole "
                             "address, or ask for a new link."))
    if guardian.email_verified_at is None:
        guardian.email_verified_at = now
        audit.record(actor, "email_verified", guardian, now,
                     household_id=guardian.household_id, email=guardian.email)
    return guardian


def resend_verification(actor, email: str, now: dt.datetime) -> None:
    """Send a new address check link when the address has an unchecked account.

    Says nothing about whether the address has an account (the caller shows
    the same page whatever happened).
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == user.id))
    if guardian is None or guardian.email_verified_at is not None:
        return
    household = db.session.get(Household, guardian.household_id)
    _send_verification(user, household, guardian.email, now)


def request_password_reset(actor, email: str, now: dt.datetime) -> None:
    """Send a password reset link (2 hours) when the address has an active account."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    _retire_tokens("reset", now, user_id=user.id)
    token = issue_token("reset", now, user=user, email=user.email)
    queue_email(user.email, "families_reset", now,
                link=_link(f"/compte/nouveau-mot-de-passe/{token}"))


def reset_password(actor, token: str, new_password: str, now: dt.datetime):
    """Set a new password from a reset link; the link then stops working."""
    row = peek_token("reset", token, now)
    user = db.session.get(_user_model(), row.user_id) if row.user_id else None
    if user is None or not user.active:
        raise DomainError(_l("This link is not valid. Check that you copied the whole "
                             "address, or ask for a new link."))
    check_password_rule(new_password, user.email)
    row.used_at = now
    user.password = _hash_password(new_password)
    audit.record(user, "password_reset", user, now)
    return user


def change_password(actor, current_password: str, new_password: str, now: dt.datetime) -> None:
    if not check_password_hash(actor.password or "", current_password or ""):
        raise DomainError(_l("The current password is not correct."))
    check_password_rule(new_password, actor.email)
    actor.password = _hash_password(new_password)
    audit.record(actor, "password_changed", actor, now)


# --------------------------------------------------------------------------
# The file: completeness
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


def children_of(household: Household) -> list[Child]:
    return list(db.session.scalars(
        select(Child).join(HouseholdChild, HouseholdChild.child_id == Child.id)
        .where(HouseholdChild.household_id == household.id)
        .order_by(Child.birth_date, Child.id)))


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
# Documents
# --------------------------------------------------------------------------

DOCUMENT_STATE_LABELS = {
    "missing": _l("To provide"),
    DocumentState.PENDING.value: _l("Awaiting verification"),
    DocumentState.ACCEPTED.value: _l("Accepted"),
    DocumentState.REFUSED.value: _l("Refused"),
    DocumentState.EXPIRED.value: _l("Expired"),
}


@dataclass
class DocumentLine:
    document_type: DocumentType
    child: Child | None
    document: Document | None
    state: str

    @property
    def state_label(self) -> str:
        return str(DOCUMENT_STATE_LABELS[self.state])


def document_types() -> list[DocumentType]:
    return list(db.session.scalars(select(DocumentType).order_by(DocumentType.position,
                                                                 DocumentType.id)))


def effective_state(document: Document | None, today: dt.date | None) -> str:
    if document is None:
        return "missing"
    if document.state == DocumentState.ACCEPTED.value and document.expires_on is not None \
            and today is not None and document.expires_on < today:
        return DocumentState.EXPIRED.value
    return document.state


def latest_document(household: Household, document_type: DocumentType,
                    child: Child | None) -> Document | None:
    query = select(Document).where(Document.household_id == household.id,
                                   Document.document_type_id == document_type.id)
    query = query.where(Document.child_id == child.id) if child is not None else \
        query.where(Document.child_id.is_(None))
    return db.session.scalar(query.order_by(Document.uploaded_at.desc(), Document.id.desc())
                             .limit(1))


def document_lines(household: Household, today: dt.date | None = None) -> list[DocumentLine]:
    """One line per piece to provide: each household type, each child type × child."""
    if today is None:
        from app.core import clock

        today = clock.today()
    lines = []
    kids = children_of(household)
    for doc_type in document_types():
        owners = [None] if doc_type.scope == "household" else kids
        for child in owners:
            document = latest_document(household, doc_type, child)
            lines.append(DocumentLine(doc_type, child, document,
                                      effective_state(document, today)))
    return lines


def sniff_content_type(data: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in MAGIC_TYPES:
        if data.startswith(magic):
            return content_type, extension
    return None


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def document_path(document: Document) -> Path:
    return upload_folder() / document.stored_name


def upload_document(actor, household: Household, document_type: DocumentType,
                    child: Child | None, filename: str, data: bytes,
                    now: dt.datetime) -> Document:
    """Store an uploaded piece (PDF, JPEG or PNG checked by content, 10 MB at most)."""
    _require_guardian_of(actor, household)
    _require_editable(household)
    if document_type.scope == "child":
        if child is None or child.id not in {c.id for c in children_of(household)}:
            raise DomainError(_l("Choose the child this document is for."))
    else:
        child = None
    if not data:
        raise DomainError(_l("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_l("The file is larger than 10 MB. Send a smaller file "
                             "(a scan at a lower resolution, for example)."))
    sniffed = sniff_content_type(data)
    if sniffed is None:
        raise DomainError(_l("Only PDF, JPEG or PNG files are accepted. This file is "
                             "not one of them, whatever its name."))
    content_type, extension = sniffed
    stored_name = secrets.token_hex(20) + extension
    path = upload_folder() / stored_name
    with open(path, "xb") as handle:
        handle.write(data)
    safe_name = os.path.basename((filename or "").replace("\\", "/"))
    # no control characters (a NUL is a database error on PostgreSQL)
    safe_name = "".join(c for c in safe_name if c >= " " and c != "\x7f")[:200] or "document"
    document = Document(household_id=household.id, child_id=getattr(child, "id", None),
                        document_type_id=document_type.id, original_filename=safe_name,
                        stored_name=stored_name, content_type=content_type, size=len(data),
                        state=DocumentState.PENDING.value, uploaded_at=now,
                        uploaded_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    audit.record(actor, "document_uploaded", document, now, household_id=household.id,
                 document_type=document_type.code, child_id=getattr(child, "id", None))
    return document


def remove_stored_file(stored_name: str) -> None:
    """Used by views to drop a file whose database row was not committed."""
    try:
        (upload_folder() / stored_name).unlink()
    except OSError:
        pass


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def accept_document(actor, document: Document, now: dt.datetime,
                    expires_on: dt.date | None = None) -> Document:
    _require_staff(actor)
    if document.state != DocumentState.PENDING.value:
        raise DomainError(_l("Only a document awaiting verification can be accepted."))
    if expires_on is None and document.document_type.validity_months:
        expires_on = _add_months(now.date(), document.document_type.validity_months)
    document.state = DocumentState.ACCEPTED.value
    document.checked_at = now
    document.checked_by_id = actor.id
    document.refusal_reason = None
    document.expires_on = expires_on
    if document.document_type.code == QF_DOCUMENT_CODE:
        household = db.session.get(Household, document.household_id)
        household.qf_checked = True
    audit.record(actor, "document_accepted", document, now, household_id=document.household_id,
                 expires_on=expires_on)
    return document


def refuse_document(actor, document: Document, reason: str, now: dt.datetime) -> Document:
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason of the refusal: the family will read it."))
    if document.state not in (DocumentState.PENDING.value, DocumentState.ACCEPTED.value):
        raise DomainError(_l("This document has already been refused."))
    document.state = DocumentState.REFUSED.value
    document.checked_at = now
    document.checked_by_id = actor.id
    document.refusal_reason = reason
    household = db.session.get(Household, document.household_id)
    audit.record(actor, "document_refused", document, now, household_id=household.id,
                 reason=reason)
    _mail_household(household, "families_document_refused", now,
                    document_name=document.document_type.name,
                    child_name=document.child.full_name if document.child else "",
                    reason=reason, link=_link("/compte/documents"))
    return document


# --------------------------------------------------------------------------
# The file: changes made by the family
# --------------------------------------------------------------------------

def _apply(actor, obj, values: dict, now: dt.datetime, household: Household, action: str):
    diff = audit.changes(obj, values)
    for field, value in values.items():
        setattr(obj, field, value)
    if diff:
        audit.record(actor, action, obj, now, household_id=household.id,
                     after_validation=household.status == HouseholdStatus.VALIDATED.value,
                     changes=diff)
    return diff


PROFILE_FIELDS = ("civility", "first_name", "last_name", "birth_date", "mobile_phone",
                  "work_phone", "profession", "employer")
HOUSEHOLD_FIELDS = ("address", "address_extra", "postcode", "city", "phone",
                    "family_situation", "benefits_regime", "allocataire_number",
                    "quotient_familial")
CHILD_FIELDS = ("first_name", "last_name", "birth_date", "sex", "allergies", "pai",
                "pai_details", "diet", "doctor_name", "doctor_phone", "image_rights", "notes")
OTHER_GUARDIAN_FIELDS = ("civility", "first_name", "last_name", "email", "mobile_phone",
                         "work_phone", "profession", "employer", "relationship_to_child")


def _only(values: dict, fields) -> dict:
    return {k: v for k, v in values.items() if k in fields}


def _check_birth_date(day, now: dt.datetime, child: bool) -> None:
    if day is None:
        return
    if day > now.date():
        raise DomainError(_l("The date of birth cannot be in the future."))
    if day.year < now.year - (30 if child else 120):
        raise DomainError(_l("The date of birth is too far in the past."))


def update_profile(actor, guardian: Guardian, values: dict, now: dt.datetime) -> dict:
    household = db.session.get(Household, guardian.household_id)
    _require_guardian_of(actor, household)
    _require_editable(household)
    values = _only(values, PROFILE_FIELDS)
    _check_birth_date(values.get("birth_date"), now, child=False)
    diff = _apply(actor, guardian, values, now, household, "profile_updated")
    if guardian.user_id == actor.id:
        actor.first_name = guardian.first_name[:64]
        actor.last_name = guardian.last_name[:64]
    return diff


def update_household(actor, household: Household, values: dict, now: dt.datetime) -> dict:
    _require_guardian_of(actor, household)
    _require_editable(household)
    values = _only(values, HOUSEHOLD_FIELDS)
    qf = values.get("quotient_familial")
    if qf is not None and qf < 0:
        raise DomainError(_l("The quotient familial cannot be negative."))
    if values.get("benefits_regime") == "":
        values["benefits_regime"] = None
    if values.get("family_situation") == "":
        values["family_situation"] = None
    diff = _apply(actor, household, values, now, household, "household_updated")
    if "quotient_familial" in diff:
        household.qf_checked = False
    return diff


def save_other_guardian(actor, household: Household, values: dict, now: dt.datetime) -> Guardian:
    """Create or change "Autre responsable" (position 1)."""
    _require_guardian_of(actor, household)
    _require_editable(household)
    values = _only(values, OTHER_GUARDIAN_FIELDS)
    if "email" in values:
        values["email"] = normalise_email(values["email"])
        if values["email"] and not EMAIL_RE.match(values["email"]):
            raise DomainError(_l("Enter a valid e-mail address."))
    other = db.session.scalar(select(Guardian).where(Guardian.household_id == household.id,
                                                     Guardian.position == 1))
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
    _require_guardian_of(actor, household)
    _require_editable(household)
    values = _only(values, CHILD_FIELDS)
    if values.get("birth_date") is None:
        raise DomainError(_l("Enter the date of birth."))
    _check_birth_date(values["birth_date"], now, child=True)
    child = Child(created_at=now, **values)
    db.session.add(child)
    db.session.flush()
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    audit.record(actor, "child_added", child, now, household_id=household.id,
                 after_validation=household.status == HouseholdStatus.VALIDATED.value,
                 name=child.full_name)
    return child


def update_child(actor, household: Household, child: Child, values: dict,
                 now: dt.datetime) -> dict:
    _require_guardian_of(actor, household)
    _require_editable(household)
    if child.id not in {c.id for c in children_of(household)}:
        raise Forbidden(_l("This file is not yours."))
    values = _only(values, CHILD_FIELDS)
    if "birth_date" in values:
        if values["birth_date"] is None:
            raise DomainError(_l("Enter the date of birth."))
        _check_birth_date(values["birth_date"], now, child=True)
    return _apply(actor, child, values, now, household, "child_updated")


def add_authorized_person(actor, household: Household, child: Child, values: dict,
                          now: dt.datetime) -> AuthorizedPerson:
    _require_guardian_of(actor, household)
    _require_editable(household)
    if child.id not in {c.id for c in children_of(household)}:
        raise Forbidden(_l("This file is not yours."))
    person = AuthorizedPerson(child_id=child.id, household_id=household.id,
                              **_only(values, ("name", "phone", "relationship_to_child")))
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "authorized_person_added", person, now, household_id=household.id,
                 child_id=child.id, name=person.name)
    return person


def remove_authorized_person(actor, household: Household, person: AuthorizedPerson,
                             now: dt.datetime) -> None:
    _require_guardian_of(actor, household)
    _require_editable(household)
    if person.household_id != household.id:
        raise Forbidden(_l("This file is not yours."))
    audit.record(actor, "authorized_person_removed", person, now, household_id=household.id,
                 child_id=person.child_id, name=person.name)
    db.session.delete(person)


def save_school_info(actor, household: Household, child: Child, school_year: str,
                     school_name: str, level: str, now: dt.datetime) -> SchoolInfo:
    _require_guardian_of(actor, household)
    _require_editable(household)
    if child.id not in {c.id for c in children_of(household)}:
        raise Forbidden(_l("This file is not yours."))
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
# Submission and agent decisions
# --------------------------------------------------------------------------

def submit_household(actor, household: Household, conditions_accepted: bool,
                     now: dt.datetime) -> Household:
    """Draft (or refused) → submitted, when complete, address checked and
    conditions accepted."""
    _require_guardian_of(actor, household)
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
    _mail_household(household, "families_submitted", now, link=_link("/compte/"))
    return household


def documents_blocking_validation(household: Household, today: dt.date) -> list[DocumentLine]:
    return [line for line in document_lines(household, today)
            if line.document_type.required and line.state != DocumentState.ACCEPTED.value]


def validate_household(actor, household: Household, now: dt.datetime) -> Household:
    _require_staff(actor)
    if household.status != HouseholdStatus.SUBMITTED.value:
        raise DomainError(_l("Only a file awaiting validation can be validated."))
    pending = documents_blocking_validation(household, now.date())
    if pending:
        names = ", ".join(
            line.document_type.name + (f" ({line.child.full_name})" if line.child else "")
            for line in pending)
        raise DomainError(_l("These required documents are not accepted yet: %(names)s.",
                             names=names))
    household.status = HouseholdStatus.VALIDATED.value
    household.validated_at = now
    household.validated_by_id = actor.id
    household.refusal_reason = None
    audit.record(actor, "household_validated", household, now, household_id=household.id)
    _mail_household(household, "families_validated", now, link=_link("/compte/"))
    return household


def refuse_household(actor, household: Household, reason: str, now: dt.datetime) -> Household:
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason of the refusal: the family will read it."))
    if household.status != HouseholdStatus.SUBMITTED.value:
        raise DomainError(_l("Only a file awaiting validation can be refused."))
    household.status = HouseholdStatus.REFUSED.value
    household.refusal_reason = reason
    audit.record(actor, "household_refused", household, now, household_id=household.id,
                 reason=reason)
    _mail_household(household, "families_refused", now, reason=reason,
                    link=_link("/compte/"))
    return household


def mark_qf_checked(actor, household: Household, now: dt.datetime) -> Household:
    _require_staff(actor)
    if household.quotient_familial is None:
        raise DomainError(_l("This household has not given a quotient familial."))
    household.qf_checked = True
    audit.record(actor, "qf_checked", household, now, household_id=household.id,
                 quotient_familial=household.quotient_familial)
    return household


# --------------------------------------------------------------------------
# Second guardian, shared children
# --------------------------------------------------------------------------

def invite_guardian(actor, household: Household, email: str, now: dt.datetime) -> str:
    """Invite the other responsable to make their own login to this household."""
    me = _require_guardian_of(actor, household)
    _require_editable(household)
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 200:
        raise DomainError(_l("Enter a valid e-mail address."))
    if email == normalise_email(me.email):
        raise DomainError(_l("Invite the other responsable with their own e-mail address."))
    other = db.session.scalar(select(Guardian).where(Guardian.household_id == household.id,
                                                     Guardian.position == 1))
    if other is not None and other.user_id is not None:
        raise DomainError(_l("The other responsable already has a login to this household."))
    if other is None:
        other = Guardian(household_id=household.id, position=1, email=email)
        db.session.add(other)
        db.session.flush()
    else:
        other.email = email
    _retire_tokens("invite", now, email=email)
    token = issue_token("invite", now, household=household, email=email)
    audit.record(actor, "guardian_invited", other, now, household_id=household.id, email=email)
    queue_email(email, "families_invite", now, household_id=household.id,
                inviter=me.full_name or me.email,
                link=_link(f"/compte/invitation/{token}"))
    return token


def accept_invitation(actor, token: str, password: str, now: dt.datetime):
    """The invited person makes their own login and joins the household."""
    row = peek_token("invite", token, now)
    household = db.session.get(Household, row.household_id) if row.household_id else None
    if household is None or household.status == HouseholdStatus.CLOSED.value:
        raise DomainError(_l("This link is not valid. Check that you copied the whole "
                             "address, or ask for a new link."))
    if find_user_by_email(row.email) is not None:
        raise DomainError(_l("This address already has an account. Ask the account holder "
                             "to invite another address, or contact our services."))
    check_password_rule(password, row.email)
    row.used_at = now
    sm = _sm()
    user = sm.add_user(username=row.email, first_name="", last_name="", email=row.email,
                       role=sm.find_role(FAMILLE), password=password, commit=False)
    if not user:
        raise DomainError(_l("The account could not be created. Try again in a few moments."))
    other = db.session.scalar(select(Guardian).where(Guardian.household_id == household.id,
                                                     Guardian.position == 1))
    if other is None:
        other = Guardian(household_id=household.id, position=1)
        db.session.add(other)
    other.user_id = user.id
    other.email = row.email
    other.email_verified_at = now  # the link came to this address
    user.first_name = (other.first_name or "")[:64]
    user.last_name = (other.last_name or "")[:64]
    db.session.flush()
    audit.record(user, "invitation_accepted", other, now, household_id=household.id,
                 email=row.email)
    return user


def link_child_to_household(actor, child: Child, household: Household,
                            now: dt.datetime) -> None:
    """Agents: attach an existing child to a second household (separated parents)."""
    _require_staff(actor)
    if household.status == HouseholdStatus.CLOSED.value:
        raise DomainError(_l("This account is closed."))
    if db.session.get(HouseholdChild, (household.id, child.id)) is not None:
        raise DomainError(_l("This child already belongs to this household."))
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    audit.record(actor, "child_linked", child, now, household_id=household.id,
                 child_name=child.full_name)


# --------------------------------------------------------------------------
# Closure (RGPD)
# --------------------------------------------------------------------------

def request_closure(actor, household: Household, now: dt.datetime) -> Household:
    _require_guardian_of(actor, household)
    if household.status in (HouseholdStatus.CLOSING.value, HouseholdStatus.CLOSED.value):
        raise DomainError(_l("The closure of this account has already been requested."))
    audit.record(actor, "closure_requested", household, now, household_id=household.id,
                 previous_status=household.status)
    household.status = HouseholdStatus.CLOSING.value
    household.closure_requested_at = now
    _mail_household(household, "families_closure_requested", now)
    return household


def confirm_closure(actor, household: Household, now: dt.datetime) -> Household:
    """Agents: closing → closed; logins disabled; nothing billing needs is deleted."""
    _require_staff(actor)
    if household.status != HouseholdStatus.CLOSING.value:
        raise DomainError(_l("Only an account whose closure was requested can be closed."))
    _mail_household(household, "families_closed", now)
    household.status = HouseholdStatus.CLOSED.value
    model = _user_model()
    for guardian in guardians_of(household):
        if guardian.user_id:
            user = db.session.get(model, guardian.user_id)
            if user is not None:
                user.active = False
    audit.record(actor, "household_closed", household, now, household_id=household.id)
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
            name = line.document_type.name
            if line.child is not None:
                name = f"{name} ({line.child.full_name})"
            if line.state == "missing":
                reasons.append(_("Required document missing: %(name)s.", name=name))
            elif line.state == DocumentState.EXPIRED.value:
                reasons.append(_("Required document expired: %(name)s.", name=name))
            elif line.state == DocumentState.REFUSED.value:
                reasons.append(_("Required document refused: %(name)s.", name=name))
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


# --------------------------------------------------------------------------
# Queue for agents
# --------------------------------------------------------------------------

def validation_queue() -> list[tuple[Household, list[str]]]:
    """Households waiting for validation (submitted), then drafts still being
    filled; complete ones first, oldest first; each with what is missing."""
    rows = []
    households = db.session.scalars(select(Household).where(Household.status.in_((
        HouseholdStatus.SUBMITTED.value, HouseholdStatus.DRAFT.value,
        HouseholdStatus.REFUSED.value))))
    for household in households:
        missing = missing_labels(household)
        if not email_verified(household):
            missing.append(str(_l("E-mail address not confirmed")))
        rows.append((household, missing))
    order = {HouseholdStatus.SUBMITTED.value: 0, HouseholdStatus.DRAFT.value: 1,
             HouseholdStatus.REFUSED.value: 2}
    rows.sort(key=lambda r: (order[r[0].status], bool(r[1]),
                             r[0].submitted_at or r[0].created_at, r[0].id))
    return rows


def changes_after_validation(now: dt.datetime, days: int = 30,
                             limit: int = 100) -> list[tuple]:
    """(audit entry, household, {field: [old, new]}) of the changes families made
    to a validated file in the last ``days`` days, newest first."""
    import json

    from app.core.models import AuditLog

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


def documents_to_check() -> list[Document]:
    return list(db.session.scalars(select(Document).where(
        Document.state == DocumentState.PENDING.value).order_by(Document.uploaded_at)))


# --------------------------------------------------------------------------
# "Mes données" (RGPD): the household's data as a workbook
# --------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value a spreadsheet will never run: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def household_workbook(actor, household: Household, now: dt.datetime) -> bytes:
    """The household's data (.xlsx): family-typed cells are always text."""
    import io

    from openpyxl import Workbook

    from app.core.i18n import format_datetime, format_short_date
    from app.core.states import Civility, FamilySituation, SchoolLevel, Sex

    _require_guardian_of(actor, household)
    workbook = Workbook()
    sheets = []

    def sheet(title, header, rows):
        ws = workbook.create_sheet(title=str(title)[:31])
        ws.append([str(h) for h in header])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        sheets.append(ws)

    sheet(_("My household"),
          [_("Address"), _("Address (continued)"), _("Postcode"), _("Town"), _("Phone"),
           _("Family situation"), _("Benefits scheme"), _("Allocataire number (CAF/MSA)"),
           _("Quotient familial"), _("Account status"), _("Created on")],
          [[household.address, household.address_extra, household.postcode, household.city,
            household.phone,
            FamilySituation.label_of(household.family_situation)
            if household.family_situation else "",
            household.benefits_regime or "", household.allocataire_number,
            household.quotient_familial, HouseholdStatus.label_of(household.status),
            format_datetime(household.created_at)]])
    sheet(_("Responsables"),
          [_("Civility"), _("Last name"), _("First name"), _("Date of birth"), _("E-mail"),
           _("Mobile phone"), _("Work phone"), _("Profession"), _("Employer")],
          [[Civility.label_of(g.civility) if g.civility else "", g.last_name, g.first_name,
            format_short_date(g.birth_date), g.email, g.mobile_phone, g.work_phone,
            g.profession, g.employer] for g in guardians_of(household)])
    kids = children_of(household)
    sheet(_("My children"),
          [_("Last name"), _("First name"), _("Date of birth"), _("Sex"), _("Allergies"),
           _("PAI (individual care plan)"), _("PAI details"), _("Diet"), _("Family doctor"),
           _("Doctor's phone"), _("Image rights"), _("Notes")],
          [[c.last_name, c.first_name, format_short_date(c.birth_date), Sex.label_of(c.sex),
            c.allergies, _("Yes") if c.pai else _("No"), c.pai_details, c.diet,
            c.doctor_name, c.doctor_phone, _("Yes") if c.image_rights else _("No"), c.notes]
           for c in kids])
    persons = db.session.scalars(select(AuthorizedPerson).where(
        AuthorizedPerson.household_id == household.id).order_by(AuthorizedPerson.id))
    names = {c.id: c.full_name for c in kids}
    sheet(_("Authorised persons"), [_("Child"), _("Full name"), _("Phone"), _("Relationship")],
          [[names.get(p.child_id, ""), p.name, p.phone, p.relationship_to_child]
           for p in persons])
    infos = db.session.scalars(select(SchoolInfo).where(
        SchoolInfo.child_id.in_(list(names) or [0])).order_by(SchoolInfo.school_year))
    sheet(_("School information"), [_("Child"), _("School year"), _("School"), _("Level")],
          [[names.get(i.child_id, ""), i.school_year, i.school_name, SchoolLevel.label_of(i.level)]
           for i in infos])
    docs = db.session.scalars(select(Document).where(Document.household_id == household.id)
                              .order_by(Document.uploaded_at))
    sheet(_("My documents"), [_("Document"), _("Child"), _("File name"), _("Sent on"),
                              _("Document state"), _("Reason of the refusal")],
          [[d.document_type.name, names.get(d.child_id, ""), d.original_filename,
            format_datetime(d.uploaded_at), str(DOCUMENT_STATE_LABELS.get(
                effective_state(d, now.date()), d.state)), d.refusal_reason or ""]
           for d in docs])
    workbook.remove(workbook.worksheets[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(actor, "data_exported", household, now, household_id=household.id)
    return buffer.getvalue()
