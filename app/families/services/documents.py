"""Documents: the pieces each household must provide and their state, the
upload (content checked, 10 MB at most), the stored files, and the agents'
acceptance or refusal."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit
from app.core.errors import DomainError
from app.core.states import DocumentState
from app.extensions import db
from app.families.models import Child, Document, DocumentType, Household
from app.families.services.common import (
    children_of,
    link,
    mail_household,
    require_family_edit,
    require_staff,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The document type whose acceptance confirms the quotient familial.
QF_DOCUMENT_CODE = "attestation_qf"

MAGIC_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)

DOCUMENT_STATE_LABELS = {
    "missing": _l("To provide"),
    DocumentState.PENDING.value: _l("Awaiting verification"),
    DocumentState.ACCEPTED.value: _l("Accepted"),
    DocumentState.REFUSED.value: _l("Refused"),
    DocumentState.EXPIRED.value: _l("Expired"),
}

REFUSAL_REASON_NEEDED = _l("Give the reason of the refusal: the family will read it.")


def refusal_reason(reason: str) -> str:
    """The reason an agent typed, or DomainError when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(REFUSAL_REASON_NEEDED)
    return reason


# --------------------------------------------------------------------------
# What the household must provide, and in which state it is
# --------------------------------------------------------------------------

@dataclass
class DocumentLine:
    document_type: DocumentType
    child: Child | None
    document: Document | None
    state: str

    @property
    def state_label(self) -> str:
        return str(DOCUMENT_STATE_LABELS[self.state])

    @property
    def name(self) -> str:
        """The document's name, with the child's name for a child's piece."""
        if self.child is None:
            return self.document_type.name
        return f"{self.document_type.name} ({self.child.full_name})"


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


def documents_blocking_validation(household: Household, today: dt.date) -> list[DocumentLine]:
    return [line for line in document_lines(household, today)
            if line.document_type.required and line.state != DocumentState.ACCEPTED.value]


def documents_to_check() -> list[Document]:
    return list(db.session.scalars(select(Document).where(
        Document.state == DocumentState.PENDING.value).order_by(Document.uploaded_at)))


# --------------------------------------------------------------------------
# Upload and stored files
# --------------------------------------------------------------------------

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


def _check_content(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an uploaded file, or DomainError."""
    if not data:
        raise DomainError(_l("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_l("The file is larger than 10 MB. Send a smaller file "
                             "(a scan at a lower resolution, for example)."))
    sniffed = sniff_content_type(data)
    if sniffed is None:
        raise DomainError(_l("Only PDF, JPEG or PNG files are accepted. This file is "
                             "not one of them, whatever its name."))
    return sniffed


def _safe_filename(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/"))
    # no control characters (a NUL is a database error on PostgreSQL)
    return "".join(c for c in name if c >= " " and c != "\x7f")[:200] or "document"


def upload_document(actor, household: Household, document_type: DocumentType,
                    child: Child | None, filename: str, data: bytes,
                    now: dt.datetime) -> Document:
    """Store an uploaded piece (PDF, JPEG or PNG checked by content, 10 MB at most)."""
    require_family_edit(actor, household)
    if document_type.scope == "child":
        if child is None or child.id not in {c.id for c in children_of(household)}:
            raise DomainError(_l("Choose the child this document is for."))
    else:
        child = None
    content_type, extension = _check_content(data)
    stored_name = secrets.token_hex(20) + extension
    with open(upload_folder() / stored_name, "xb") as handle:
        handle.write(data)
    document = Document(household_id=household.id, child_id=getattr(child, "id", None),
                        document_type_id=document_type.id,
                        original_filename=_safe_filename(filename),
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


# --------------------------------------------------------------------------
# Agents' checks
# --------------------------------------------------------------------------

def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _mark_checked(actor, document: Document, state: DocumentState, now: dt.datetime,
                  reason: str | None = None) -> None:
    document.state = state.value
    document.checked_at = now
    document.checked_by_id = actor.id
    document.refusal_reason = reason


def accept_document(actor, document: Document, now: dt.datetime,
                    expires_on: dt.date | None = None) -> Document:
    require_staff(actor)
    if document.state != DocumentState.PENDING.value:
        raise DomainError(_l("Only a document awaiting verification can be accepted."))
    if expires_on is None and document.document_type.validity_months:
        expires_on = _add_months(now.date(), document.document_type.validity_months)
    _mark_checked(actor, document, DocumentState.ACCEPTED, now)
    document.expires_on = expires_on
    if document.document_type.code == QF_DOCUMENT_CODE:
        db.session.get(Household, document.household_id).qf_checked = True
    audit.record(actor, "document_accepted", document, now, household_id=document.household_id,
                 expires_on=expires_on)
    return document


def refuse_document(actor, document: Document, reason: str, now: dt.datetime) -> Document:
    require_staff(actor)
    reason = refusal_reason(reason)
    if document.state not in (DocumentState.PENDING.value, DocumentState.ACCEPTED.value):
        raise DomainError(_l("This document has already been refused."))
    _mark_checked(actor, document, DocumentState.REFUSED, now, reason)
    household = db.session.get(Household, document.household_id)
    audit.record(actor, "document_refused", document, now, household_id=household.id,
                 reason=reason)
    mail_household(household, "families_document_refused", now,
                   document_name=document.document_type.name,
                   child_name=document.child.full_name if document.child else "",
                   reason=reason, link=link("/compte/documents"))
    return document
