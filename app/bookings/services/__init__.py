"""Bookings engine: the presence state machine (one function per transition),
the rules behind "sous conditions", and the reading helpers of the screens.

Every transition takes the acting user (a FAB user, or None for the system)
and ``now`` (naive Europe/Paris wall-clock), checks the current state, writes
a PresenceHistory row and the audit entry, queues the family's e-mail, and
commits. A forbidden move raises DomainError with a French message and
changes nothing (the session is rolled back).

Every write that takes or frees places runs: lock the slot-day rows
(capacity.lock_slot_days), count (capacity.SlotCounter / places_left), write,
commit — in one transaction (DESIGN.md §3). A freed place promotes the first
waitlisted child (by created_at, id) at once, in the same transaction.

Who may do what:
- a family user (role Famille) acts only on its own household's presences
  (else NotFound); it books, withdraws and asks for cancellations, within
  the period's rules and deadlines;
- staff (Agent, Admin; or None for the system) accept, refuse, handle
  cancellations, and may book past the opening date and booking deadline;
  an agent assigned to facilities acts only on those (else Forbidden).

Cancellation without the agent step: for a period that accepts bookings at
once (``requires_validation`` False) a family's cancellation in time is
accepted at once (ACCEPTED -> CANCELLED); PENDING and WAITLISTED days in a
cancellation are simply withdrawn.

Modules:
- capacity: the one place places are counted (places_left, SlotCounter) and
  the slot-day lock (lock_slot_days, lock_days);
- deadlines: the booking and cancellation deadlines of a period;
- actors: who acts (family, agent, system) and on what;
- rules: who may book which period and day; the periods the wizard offers;
- booking: book();
- promotion: the waiting list (promote);
- transitions: withdraw, accept, refuse, the cancellations, expire;
- bulk: the agents' accept_many and refuse_many;
- reading: the calendar, the history, a request's details, the occupancy;
- notify: the family's e-mails and the presences' history rows;
- common: state shorthands, the state error, the transaction wrapper.
"""

from __future__ import annotations

from app.bookings.services import capacity, deadlines
from app.bookings.services.actors import is_staff
from app.bookings.services.booking import BookingResult, book
from app.bookings.services.bulk import (
    BulkResult,
    accept_cancellations,
    accept_many,
    refuse_cancellations,
    refuse_many,
)
from app.bookings.services.common import (
    BOOKED_STATES,
    CANCELLED_OR_REFUSED,
    FAMILY_ROLE,
    STAFF_ROLES,
)
from app.bookings.services.promotion import promote
from app.bookings.services.reading import (
    CalendarPresence,
    HistoryRow,
    Occupancy,
    RequestDetails,
    SlotOccupancy,
    history,
    occupancy,
    presences_for_calendar,
    request_details,
)
from app.bookings.services.rules import (
    bookable_periods,
    booking_blockers,
    check_can_book,
    day_problems,
)
from app.bookings.services.transitions import (
    accept,
    accept_cancellation,
    ask_cancellation,
    cancel_by_agent,
    expire,
    refuse,
    refuse_cancellation,
    withdraw,
)

__all__ = [
    "BOOKED_STATES", "CANCELLED_OR_REFUSED", "FAMILY_ROLE", "STAFF_ROLES",
    "BookingResult", "BulkResult", "CalendarPresence", "HistoryRow", "Occupancy",
    "RequestDetails", "SlotOccupancy",
    "accept", "accept_cancellation", "accept_cancellations", "accept_many", "ask_cancellation", "book",
    "bookable_periods", "booking_blockers", "cancel_by_agent", "capacity", "check_can_book",
    "day_problems", "deadlines", "expire", "history", "is_staff", "occupancy", "presences_for_calendar",
    "promote", "refuse", "refuse_cancellation", "refuse_cancellations", "refuse_many", "request_details", "withdraw",
]
