"""State values stored in the database, with their French labels.

Values are short English codes (what the check constraints list); labels are
lazy translated strings for screens, e-mails and exports.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class LabelledEnum(str, enum.Enum):
    """A str enum whose members carry a translated label."""

    def __new__(cls, value, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value) -> str:
        try:
            return str(cls(value).label)
        except ValueError:
            return str(value)


class PresenceState(LabelledEnum):
    """The guide's legend ("Icônes d'état")."""

    PENDING = "pending", _l("Presence awaiting processing")
    ACCEPTED = "accepted", _l("Presence accepted")
    REFUSED = "refused", _l("Presence refused")
    CANCEL_REQUESTED = "cancel_requested", _l("Cancellation request")
    CANCELLED = "cancelled", _l("Presence cancelled")
    EXPIRED = "expired", _l("Expired request")
    CANCEL_EXPIRED = "cancel_expired", _l("Cancellation request expired")
    WAITLISTED = "waitlisted", _l("Waiting list")
    WITHDRAWN = "withdrawn", _l("Request withdrawn")


# Only these states hold a place (DESIGN.md §2).
HOLDING_STATES = (
    PresenceState.PENDING.value,
    PresenceState.ACCEPTED.value,
    PresenceState.CANCEL_REQUESTED.value,
)


class HouseholdStatus(LabelledEnum):
    DRAFT = "draft", _l("File to complete")
    SUBMITTED = "submitted", _l("Awaiting validation")
    VALIDATED = "validated", _l("Account validated")
    REFUSED = "refused", _l("Account refused")
    CLOSING = "closing", _l("Closure requested")
    CLOSED = "closed", _l("Account closed")


class DocumentState(LabelledEnum):
    PENDING = "pending", _l("Awaiting verification")
    ACCEPTED = "accepted", _l("Accepted")
    REFUSED = "refused", _l("Refused")
    EXPIRED = "expired", _l("Expired")


class AttendanceStatus(LabelledEnum):
    PRESENT = "present", _l("Present")
    ABSENT = "absent", _l("Absent")
    EXCUSED = "excused", _l("Excused absence")


class InvoiceStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    ISSUED = "issued", _l("Issued")


class InvoiceKind(LabelledEnum):
    INVOICE = "invoice", _l("Invoice")
    CREDIT_NOTE = "credit_note", _l("Credit note")


class RequestKind(LabelledEnum):
    BOOKING = "booking", _l("Booking")
    CANCELLATION = "cancellation", _l("Cancellation")


class EmailStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting to be sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed, will retry")


class BillingBasis(LabelledEnum):
    BOOKED = "booked", _l("Booked days, minus days cancelled in time")
    ATTENDED = "attended", _l("Attended days only")


class DeadlineMode(LabelledEnum):
    NONE = "none", _l("No deadline")
    DAYS_BEFORE = "days_before", _l("N days before, at a given time")
    WEEKDAY_BEFORE = "weekday_before", _l("A weekday of the previous week, at a given time")


class Sex(LabelledEnum):
    FEMALE = "F", _l("Girl")
    MALE = "M", _l("Boy")


class Civility(LabelledEnum):
    MME = "Mme", _l("Mrs")
    M = "M.", _l("Mr")


class FamilySituation(LabelledEnum):
    SINGLE = "single", _l("Single")
    MARRIED = "married", _l("Married")
    PACS = "pacs", _l("Civil partnership")
    COHABITING = "cohabiting", _l("Cohabiting")
    SEPARATED = "separated", _l("Separated")
    DIVORCED = "divorced", _l("Divorced")
    WIDOWED = "widowed", _l("Widowed")


class SchoolLevel(LabelledEnum):
    TPS = "TPS", _l("Pre-nursery (TPS)")
    PS = "PS", _l("Nursery, first year (PS)")
    MS = "MS", _l("Nursery, second year (MS)")
    GS = "GS", _l("Nursery, final year (GS)")
    CP = "CP", _l("Year 1 (CP)")
    CE1 = "CE1", _l("Year 2 (CE1)")
    CE2 = "CE2", _l("Year 3 (CE2)")
    CM1 = "CM1", _l("Year 4 (CM1)")
    CM2 = "CM2", _l("Year 5 (CM2)")
    SIXIEME = "6e", _l("Year 6 (6e)")
    CINQUIEME = "5e", _l("Year 7 (5e)")
    QUATRIEME = "4e", _l("Year 8 (4e)")
    TROISIEME = "3e", _l("Year 9 (3e)")
    LYCEE = "lycee", _l("High school")


MATERNELLE_LEVELS = ("TPS", "PS", "MS", "GS")
ELEMENTAIRE_LEVELS = ("CP", "CE1", "CE2", "CM1", "CM2")
COLLEGE_LEVELS = ("6e", "5e", "4e", "3e")
