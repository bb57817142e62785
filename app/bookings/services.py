"""Bookings engine: the presence state machine (one function per transition),
the rules behind "sous conditions", and the reading helpers of the screens.

Every transition takes the acting user (a FAB user, or None for the system)
and ``now`` (naive Europe/Paris wall-clock), checks the current state, writes
a PresenceHistory row and the audit entry, queues the family's e-mail, and
commits. A forbidden move raises DomainError with a French message and
changes nothing (the session is rolled back).

Every write that takes or frees places runs: lock the slot-day rows
(capacity.lock_slot_days), count (capacity.places_left), write, commit — in
one transaction (DESIGN.md §3). A freed place promotes the first waitlisted
child at once, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class BookingResult:
    """What ``book`` did with each selected (date, unit_id)."""

    request: object | None  # the Request (kind booking) written
    accepted: list = field(default_factory=list)  # Presences ACCEPTED at once
    pending: list = field(default_factory=list)  # Presences PENDING (agent validates)
    waitlisted: list = field(default_factory=list)  # Presences WAITLISTED (day full)
    skipped: list = field(default_factory=list)  # (date, unit_id, reason) already booked

    @property
    def presences(self) -> list:
        return sorted(self.accepted + self.pending + self.waitlisted,
                      key=lambda p: (p.date, p.unit_id))


@dataclass
class BulkResult:
    """What a bulk agent action did: how many changed, and why the others did not."""

    done: int = 0
    errors: dict = field(default_factory=dict)  # presence id -> French message


@dataclass
class CalendarPresence:
    """One presence as the family planning shows it (same attribute names as
    Presence). For a presence booked by ANOTHER household of a shared child
    (``other_account`` True), only the child, unit, day and state are given:
    ``id``, ``request_id`` and ``presence`` are None."""

    id: int | None
    child_id: int
    child: object
    period_id: int
    unit_id: int
    unit: object
    date: dt.date
    state: str
    other_account: bool = False
    request_id: int | None = None
    late_cancellation: bool = False
    presence: object | None = None  # the Presence row (own presences only)

    @property
    def state_label(self) -> str: ...


@dataclass
class HistoryRow:
    """One line of "Historique des réservations"."""

    request: object
    number: int  # N° dossier
    kind: str  # RequestKind value
    created_at: dt.datetime
    referent: str  # the guardian (or agent) who created it
    period_path: str  # "> Établissement > Accueil > Période"
    child: object
    dates: list  # sorted dates covered
    states: dict  # PresenceState value -> count, in legend order
    state_summary: str  # French, e.g. "2 Présence acceptée, 1 Liste d'attente"


@dataclass
class RequestDetails:
    request: object
    number: int
    kind: str
    created_at: dt.datetime
    referent: str
    period_path: str
    child: object
    comment: str
    presences: list  # Presence rows of the request (booking) or cancelled by it
    history: dict  # presence id -> list of PresenceHistory, oldest first


@dataclass
class SlotOccupancy:
    slot: object
    date: dt.date
    capacity: int
    taken: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)


@dataclass
class Occupancy:
    """Places taken and left per slot per day, and the waiting list per day."""

    period: object
    dates: list
    slots: list  # SlotOccupancy, by (date, slot position)
    waiting: dict  # date -> [Presence WAITLISTED, by created_at, id]

    def for_day(self, day: dt.date) -> list: ...


# --- rules ---------------------------------------------------------------

def booking_blockers(household, child, period, now) -> list[str]:
    """French reasons why this household cannot book this period for this
    child at all (household not validated, no checked e-mail, required
    documents missing/expired, school info missing). Delegates to
    app.families.services.booking_blockers when it exists."""


def check_can_book(actor, now, household, child, period, day) -> None:
    """Raise DomainError (French, naming the day) when this child may not be
    booked on this day of this period; staff actors skip the opening date and
    the booking deadline."""


def bookable_periods(household, child, now) -> list:
    """Periods the wizard proposes for this child: published, booking allowed
    by the service kind, booking opened, not over, child eligible by age or
    school level, at least one opening day still before its booking deadline."""


# --- transitions ---------------------------------------------------------

def book(actor, now, household, child, period, selections, comment="") -> BookingResult:
    """Book the selected (date, unit_id) pairs in ONE Request."""


def withdraw(actor, now, presence):
    """PENDING or WAITLISTED -> WITHDRAWN (the family, at once). Promotes."""


def accept(actor, now, presence):
    """PENDING -> ACCEPTED (agent)."""


def refuse(actor, now, presence, reason):
    """PENDING -> REFUSED with a reason the family reads (agent). Promotes."""


def ask_cancellation(actor, now, presences, comment=""):
    """The family asks to cancel: ACCEPTED -> CANCEL_REQUESTED (one Request of
    kind cancellation, linked by presence.cancel_request_id); for a period
    without agent validation ACCEPTED -> CANCELLED at once; PENDING and
    WAITLISTED days are withdrawn. Returns the cancellation Request, or None
    when every day was only withdrawn."""


def accept_cancellation(actor, now, presence):
    """CANCEL_REQUESTED -> CANCELLED (agent); frees the place, promotes."""


def refuse_cancellation(actor, now, presence, reason):
    """CANCEL_REQUESTED -> ACCEPTED (agent), with the reason."""


def cancel_by_agent(actor, now, presence, reason, late=None):
    """ACCEPTED or CANCEL_REQUESTED -> CANCELLED by an agent, even past the
    deadline; late=None computes it from the cancellation deadline, and a late
    cancellation sets presence.late_cancellation (billed anyway)."""


def expire(now) -> dict:
    """PENDING whose day has passed -> EXPIRED; CANCEL_REQUESTED whose day has
    passed -> CANCEL_EXPIRED (stays booked and billed). Returns counts."""


def promote(now, period_id, dates, actor=None) -> list:
    """Fill freed places from the waiting list (first by created_at, id) in
    the caller's transaction; returns the promoted presences."""


def accept_many(actor, now, presence_ids) -> BulkResult:
    """Accept many PENDING presences (agent), one commit."""


def refuse_many(actor, now, presence_ids, reason) -> BulkResult:
    """Refuse many PENDING presences (agent), one commit; promotes."""


# --- reading helpers for the screens -------------------------------------

def presences_for_calendar(household, year, month, child_ids=None, include_cancelled=False,
                           include_other_accounts=False) -> list[CalendarPresence]:
    """Presences of the household's children in that month."""


def history(household, page=1, per_page=5, include_cancelled=True) -> tuple[list[HistoryRow], int]:
    """The household's requests, newest first, and their total."""


def request_details(household, request_id) -> RequestDetails:
    """One request of the household; NotFound if it is not theirs."""


def occupancy(period, dates) -> Occupancy:
    """Places taken/left per slot per day, and the waiting list (agents)."""
