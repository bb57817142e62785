"""Families: the rules. Registration and e-mail check, password reset, the
"Mon compte" file, documents, submission and agent validation, the second
guardian, closure, and what stops a booking.

Every function takes the acting user (a FAB user, or None for an anonymous
visitor) and ``now`` (naive Europe/Paris wall-clock time). Functions that
change state check the current state, write the audit entry, queue the
family's e-mail and raise ``DomainError`` with a translated message when the
move is not allowed. They add to the session; the caller commits (views call
``db.session.commit()`` after a successful call).

Modules: ``common`` (addresses, guardians, who may act), ``accounts``
(registration, address check, link tokens, passwords, invitation, closure
request), ``household`` (the file, completeness, submission, booking
blockers), ``documents`` (pieces to provide, upload, agents' checks),
``staff`` (queue, validation, quotient, linking a child, closure), ``my_data``
(the RGPD workbook). This package exports their public functions.
"""

from app.families.services.accounts import (PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH,
                                            PASSWORD_RULE, TOKEN_LIFETIMES, accept_invitation,
                                            change_password, check_password_rule,
                                            fab_password_validator, invite_guardian, issue_token,
                                            peek_token, register_account, request_closure,
                                            request_password_reset, resend_verification,
                                            reset_password, verify_email)
from app.families.services.common import (EMAIL_RE, children_of, find_user_by_email, guardians_of,
                                          household_emails, normalise_email, other_guardian,
                                          primary_guardian)
from app.families.services.documents import (DOCUMENT_STATE_LABELS, MAX_UPLOAD_BYTES,
                                             QF_DOCUMENT_CODE, REFUSAL_REASON_NEEDED, DocumentLine,
                                             accept_document, document_lines, document_path,
                                             document_types, documents_blocking_validation,
                                             documents_to_check, effective_state, latest_document,
                                             refuse_document, remove_stored_file,
                                             sniff_content_type, upload_document, upload_folder)
from app.families.services.household import (AUTHORIZED_PERSON_FIELDS, CHILD_FIELDS,
                                             HOUSEHOLD_FIELDS, OTHER_GUARDIAN_FIELDS,
                                             PROFILE_FIELDS, SECTION_LABELS, add_authorized_person,
                                             add_child, booking_blockers, email_verified,
                                             household_missing, missing_labels, missing_sections,
                                             profile_missing, remove_authorized_person,
                                             save_other_guardian, save_school_info,
                                             school_years_offered, submit_household, update_child,
                                             update_household, update_profile)
from app.families.services.my_data import household_workbook, safe_cell
from app.families.services.staff import (changes_after_validation, closing_households,
                                         confirm_closure, link_child_to_household, mark_qf_checked,
                                         refuse_household, validate_household, validation_queue)

__all__ = [
    "AUTHORIZED_PERSON_FIELDS", "CHILD_FIELDS", "DOCUMENT_STATE_LABELS", "DocumentLine",
    "EMAIL_RE", "HOUSEHOLD_FIELDS", "MAX_UPLOAD_BYTES", "OTHER_GUARDIAN_FIELDS",
    "PASSWORD_MAX_LENGTH", "PASSWORD_MIN_LENGTH", "PASSWORD_RULE", "PROFILE_FIELDS",
    "QF_DOCUMENT_CODE", "REFUSAL_REASON_NEEDED", "SECTION_LABELS", "TOKEN_LIFETIMES",
    "accept_document", "accept_invitation", "add_authorized_person", "add_child",
    "booking_blockers", "change_password", "changes_after_validation", "check_password_rule",
    "children_of", "closing_households", "confirm_closure", "document_lines",
    "document_path", "document_types", "documents_blocking_validation", "documents_to_check",
    "effective_state", "email_verified", "fab_password_validator", "find_user_by_email",
    "guardians_of", "household_emails", "household_missing", "household_workbook",
    "invite_guardian", "issue_token", "latest_document", "link_child_to_household",
    "mark_qf_checked", "missing_labels", "missing_sections", "normalise_email",
    "other_guardian", "peek_token", "primary_guardian", "profile_missing",
    "refuse_document", "refuse_household", "register_account", "remove_authorized_person",
    "remove_stored_file", "request_closure", "request_password_reset", "resend_verification",
    "reset_password", "safe_cell", "save_other_guardian", "save_school_info",
    "school_years_offered", "sniff_content_type", "submit_household", "update_child",
    "update_household", "update_profile", "upload_document", "upload_folder",
    "validate_household", "validation_queue", "verify_email",
]
