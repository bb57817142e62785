"""The pricing table: brackets, missing QF, billing basis, absences, late cancellations."""

from __future__ import annotations

import pytest

from app.billing import pricing
from app.billing.pricing import Bracket

GRID = [Bracket(0, 500, 300), Bracket(501, 900, 550), Bracket(901, None, 800)]


@pytest.mark.parametrize("qf, cents", [
    (0, 300), (500, 300), (501, 550), (650, 550), (900, 550), (901, 800), (5000, 800),
])
def test_price_by_quotient_familial_bracket(qf, cents):
    assert pricing.unit_price(GRID, qf) == cents


def test_no_quotient_familial_pays_the_highest_bracket():
    assert pricing.unit_price(GRID, None) == 800
    assert pricing.unit_price(list(reversed(GRID)), None) == 800


def test_a_gap_in_the_grid_is_an_error_not_a_guess(ctx):
    with pytest.raises(pricing.NoTariff) as error:
        pricing.unit_price([Bracket(100, 500, 300)], 50)
    assert "quotient familial de 50" in str(error.value)
    with pytest.raises(pricing.NoTariff):
        pricing.unit_price([], 650)


def test_brackets_from_tuples_are_sorted():
    assert [b.qf_min for b in pricing.brackets_of([(901, None, 8), (0, 900, 5)])] == [0, 901]


@pytest.mark.parametrize("state, late, attendance, billed", [
    ("accepted", False, None, True),
    ("accepted", False, "present", True),
    ("accepted", False, "absent", True),          # unjustified absence is billed
    ("accepted", False, "excused", False),        # absence justifiée is not
    ("cancel_requested", False, None, True),      # still holds the booking
    ("cancel_expired", False, None, True),
    ("cancelled", False, None, False),            # cancelled in time
    ("cancelled", True, None, True),              # late cancellation is billed
    ("cancelled", True, "excused", False),
    ("pending", False, None, False),
    ("refused", False, None, False),
    ("expired", False, None, False),
    ("waitlisted", False, None, False),
    ("withdrawn", False, None, False),
])
def test_booked_basis(state, late, attendance, billed):
    assert pricing.is_billable("booked", state, late, attendance) is billed


@pytest.mark.parametrize("state, attendance, billed", [
    ("accepted", None, False),        # booked but not marked: not billed (cantine)
    ("accepted", "present", True),
    ("accepted", "absent", False),
    ("accepted", "excused", False),
    ("cancel_expired", "present", True),
])
def test_attended_basis_bills_only_days_of_presence(state, attendance, billed):
    assert pricing.is_billable("attended", state, False, attendance) is billed


def test_amounts_are_exact_integer_cents():
    assert pricing.line_amount(3, 333) == 999
    assert pricing.total([999, 1, -250]) == 750
    assert isinstance(pricing.line_amount(7, 1234), int)
