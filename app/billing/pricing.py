"""Pricing: pure functions on plain values, amounts in integer cents.

- A unit's tariffs are brackets of quotient familial ``[qf_min, qf_max]``
  (``qf_max`` None: no upper bound). A household without a quotient familial
  pays the highest bracket (the one with the greatest ``qf_min``).
- What is billed depends on the service kind's billing basis:
  * ``booked`` (ACM, séjours…): the days booked, minus the days cancelled in
    time: ACCEPTED, CANCEL_REQUESTED and CANCEL_EXPIRED count; CANCELLED
    counts only when the cancellation came late (``late_cancellation``);
  * ``attended`` (cantines, "Seuls les jours de présence seront facturés"):
    only the days the child was marked present.
  In both, a day marked "absence justifiée" is never billed.

Nothing here touches the database: the billing run feeds these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError
from app.core.states import AttendanceStatus, BillingBasis, PresenceState

BOOKED_BILLED_STATES = frozenset({
    PresenceState.ACCEPTED.value,
    PresenceState.CANCEL_REQUESTED.value,
    PresenceState.CANCEL_EXPIRED.value,
})


@dataclass(frozen=True)
class Bracket:
    qf_min: int
    qf_max: int | None
    price_cents: int

    def contains(self, qf: int) -> bool:
        return self.qf_min <= qf and (self.qf_max is None or qf <= self.qf_max)


class NoTariff(DomainError):
    """A unit has no tariff that applies to a household's quotient familial."""


def brackets_of(rows: Iterable) -> list[Bracket]:
    """Brackets from Tariff rows (or any objects/tuples with the three fields)."""
    brackets = []
    for row in rows:
        if isinstance(row, Bracket):
            brackets.append(row)
        elif isinstance(row, tuple):
            brackets.append(Bracket(*row))
        else:
            brackets.append(Bracket(row.qf_min, row.qf_max, row.price_cents))
    return sorted(brackets, key=lambda b: b.qf_min)


def unit_price(brackets: list[Bracket], quotient_familial: int | None) -> int:
    """The price in cents of one day of a unit for a household's QF.

    No QF given: the highest bracket. A QF that falls in no bracket (a gap in
    the grid, or below the first bracket) raises NoTariff: an invoice is never
    computed on a guessed price.
    """
    if not brackets:
        raise NoTariff(_l("This unit has no tariff."))
    ordered = sorted(brackets, key=lambda b: b.qf_min)
    if quotient_familial is None:
        return ordered[-1].price_cents
    for bracket in ordered:
        if bracket.contains(quotient_familial):
            return bracket.price_cents
    raise NoTariff(_l("No tariff bracket covers a quotient familial of %(qf)s.",
                      qf=quotient_familial))


def is_billable(basis: str, state: str, late_cancellation: bool = False,
                attendance: str | None = None) -> bool:
    """Whether one presence (one child, one unit, one day) is billed."""
    if attendance == AttendanceStatus.EXCUSED.value:
        return False
    if basis == BillingBasis.ATTENDED.value:
        return attendance == AttendanceStatus.PRESENT.value
    if state in BOOKED_BILLED_STATES:
        return True
    return state == PresenceState.CANCELLED.value and bool(late_cancellation)


def line_amount(quantity: int, unit_price_cents: int) -> int:
    """Amount of an invoice line, in cents (exact integer arithmetic)."""
    return int(quantity) * int(unit_price_cents)


def total(amounts: Iterable[int]) -> int:
    """Total of an invoice: the sum of its lines to the cent."""
    return sum(int(a) for a in amounts)
