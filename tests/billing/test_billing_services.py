"""The monthly billing run, issuing with gapless numbers, credit notes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from app.billing import services
from app.billing.models import Invoice, InvoiceLine
from app.catalogue.models import Tariff, Unit
from app.core.errors import DomainError
from app.core.models import AuditLog
from app.notifications.models import OutgoingEmail
from tests import factories

NOW = dt.datetime(2026, 10, 2, 10, 0)
WEDNESDAYS = [dt.date(2026, 9, d) for d in (2, 9, 16, 23, 30)]


def _grid(db, period, brackets):
    for unit in db.session.scalars(select(Unit).where(Unit.period_id == period.id)):
        for tariff in list(unit.tariffs):
            db.session.delete(tariff)
        db.session.flush()
        for qf_min, qf_max, cents in brackets:
            db.session.add(Tariff(unit_id=unit.id, qf_min=qf_min, qf_max=qf_max,
                                  price_cents=cents))
    db.session.commit()


@pytest.fixture
def setup(db):
    agent = factories.make_user("Comptable")
    acm = factories.make_period(name="ACM MERCREDI 2026-2027")
    _grid(db, acm, [(0, 500, 400), (501, 900, 650), (901, None, 900)])
    cantine_kind = factories.make_service_kind("cantine", "Cantines", billing_basis="attended",
                                               allows_cancellation=False)
    cantine = factories.make_period(name="CANTINE 2026-2027", service_kind=cantine_kind,
                                    weekdays="0,1,3,4",
                                    units=(("REPAS", "#27ae60", ("repas",)),),
                                    price_cents=325)
    return agent, acm, cantine


def _unit(db, period, position=0):
    return db.session.scalar(select(Unit).where(Unit.period_id == period.id,
                                                Unit.position == position))


def test_run_bills_booked_days_at_the_household_bracket(db, setup):
    agent, acm, cantine = setup
    household = factories.make_household(quotient_familial=650)
    factories.make_user("Famille", household=household, email="parent@exemple.test")
    paul = factories.make_child(household)
    for day in WEDNESDAYS[:3]:
        factories.make_presence(paul, acm, day=day)
    factories.make_presence(paul, acm, day=WEDNESDAYS[3], state="cancelled")   # in time
    factories.make_presence(paul, acm, day=WEDNESDAYS[4], state="cancelled",
                            late_cancellation=True)
    factories.make_presence(paul, acm, day=dt.date(2026, 10, 7))              # next month

    result = services.run_billing(agent, NOW, 2026, 9)

    assert (result.invoices, result.lines, result.total_cents) == (1, 1, 4 * 650)
    invoice = db.session.scalar(select(Invoice))
    assert invoice.status == "draft" and invoice.number is None
    line = invoice.lines[0]
    assert (line.quantity, line.unit_price_cents, line.amount_cents) == (4, 650, 2600)
    assert line.label.startswith("Paul ESSAI – MERCREDI JOURNEE AVEC REPAS")
    assert invoice.total_cents == sum(l.amount_cents for l in invoice.lines)


def test_missing_qf_pays_the_highest_bracket_and_excused_absence_is_free(db, setup):
    agent, acm, _cantine = setup
    household = factories.make_household(quotient_familial=None)
    child = factories.make_child(household, first_name="Léa")
    factories.make_presence(child, acm, day=WEDNESDAYS[0], attendance="present")
    factories.make_presence(child, acm, day=WEDNESDAYS[1], attendance="absent")
    factories.make_presence(child, acm, day=WEDNESDAYS[2], attendance="excused")

    services.run_billing(agent, NOW, 2026, 9)

    line = db.session.scalar(select(InvoiceLine))
    assert (line.quantity, line.unit_price_cents) == (2, 900)


def test_canteen_bills_only_days_of_presence(db, setup):
    agent, _acm, cantine = setup
    household = factories.make_household()
    child = factories.make_child(household)
    days = [dt.date(2026, 9, d) for d in (7, 8, 10, 11, 14)]
    statuses = ["present", "present", "absent", "excused", None]
    for day, status in zip(days, statuses):
        factories.make_presence(child, cantine, day=day, attendance=status)

    services.run_billing(agent, NOW, 2026, 9)

    line = db.session.scalar(select(InvoiceLine))
    assert (line.quantity, line.unit_price_cents, line.amount_cents) == (2, 325, 650)


def test_one_invoice_per_household_with_a_line_per_child_and_unit(db, setup):
    agent, acm, cantine = setup
    household = factories.make_household(quotient_familial=300)
    paul = factories.make_child(household, first_name="Paul")
    zoe = factories.make_child(household, first_name="Zoé")
    other = factories.make_household(quotient_familial=1200)
    max_ = factories.make_child(other, first_name="Max")
    factories.make_presence(paul, acm, day=WEDNESDAYS[0])
    factories.make_presence(paul, acm, unit=_unit(db, acm, 1), day=WEDNESDAYS[1])
    factories.make_presence(zoe, acm, day=WEDNESDAYS[0])
    factories.make_presence(zoe, cantine, day=dt.date(2026, 9, 7), attendance="present")
    factories.make_presence(max_, acm, day=WEDNESDAYS[0])

    result = services.run_billing(agent, NOW, 2026, 9)

    assert result.invoices == 2
    mine = db.session.scalar(select(Invoice).where(Invoice.household_id == household.id))
    assert [(l.label.split(" –")[0], l.quantity, l.unit_price_cents) for l in mine.lines] == [
        ("Paul ESSAI", 1, 400), ("Paul ESSAI", 1, 400), ("Zoé ESSAI", 1, 400),
        ("Zoé ESSAI", 1, 325)]
    assert mine.total_cents == 400 * 3 + 325
    theirs = db.session.scalar(select(Invoice).where(Invoice.household_id == other.id))
    assert theirs.total_cents == 900


def test_rerun_recomputes_drafts_then_issue_freezes(db, setup):
    agent, acm, _cantine = setup
    household = factories.make_household(quotient_familial=650)
    factories.make_user("Famille", household=household, email="famille@exemple.test")
    child = factories.make_child(household)
    factories.make_presence(child, acm, day=WEDNESDAYS[0])
    services.run_billing(agent, NOW, 2026, 9)
    factories.make_presence(child, acm, day=WEDNESDAYS[1])

    services.run_billing(agent, NOW, 2026, 9)
    invoice = db.session.scalar(select(Invoice))
    assert db.session.scalar(select(func.count(Invoice.id))) == 1
    assert invoice.total_cents == 1300

    issued = services.issue_invoices(agent, NOW, 2026, 9)
    assert [i.number for i in issued] == ["FAC-2026-000001"]
    email = db.session.scalar(select(OutgoingEmail))
    assert email.to_address == "famille@exemple.test"
    assert "FAC-2026-000001" in email.subject and "Septembre 2026" in email.subject
    assert "13,00" in email.body_text

    # a new day after issue does not change the frozen invoice
    factories.make_presence(child, acm, day=WEDNESDAYS[2])
    result = services.run_billing(agent, NOW, 2026, 9)
    assert result.kept_issued == 1 and result.invoices == 0
    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.status, invoice.total_cents, invoice.number) == ("issued", 1300,
                                                                     "FAC-2026-000001")
    with pytest.raises(DomainError) as error:
        services.issue_invoices(agent, NOW, 2026, 9)
    assert "Aucune facture" in str(error.value)
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"billing.run", "invoice.issue"} <= actions


def test_a_unit_without_tariff_stops_the_run_and_changes_nothing(db, setup):
    agent, acm, _cantine = setup
    _grid(db, acm, [(0, 500, 400)])
    household = factories.make_household(quotient_familial=800)
    child = factories.make_child(household)
    factories.make_presence(child, acm, day=WEDNESDAYS[0])
    with pytest.raises(DomainError) as error:
        services.run_billing(agent, NOW, 2026, 9)
    assert "Rien n'a été modifié" in str(error.value)
    assert error.value.details["problems"]
    assert db.session.scalar(select(func.count(Invoice.id))) == 0


def test_numbers_continue_across_months_and_credit_notes_have_their_own_series(db, setup):
    agent, acm, _cantine = setup
    households = [factories.make_household() for _ in range(3)]
    for household in households:
        child = factories.make_child(household)
        factories.make_presence(child, acm, day=WEDNESDAYS[0])
        factories.make_presence(child, acm, day=WEDNESDAYS[1])
        factories.make_presence(child, acm, day=dt.date(2026, 10, 7))
    services.run_billing(agent, NOW, 2026, 9)
    september = services.issue_invoices(agent, NOW, 2026, 9)
    services.run_billing(agent, NOW, 2026, 10)
    october = services.issue_invoices(agent, NOW + dt.timedelta(days=31), 2026, 10)
    assert [i.number for i in september + october] == [
        f"FAC-2026-{n:06d}" for n in range(1, 7)]

    invoice = september[0]
    note = services.credit_note(agent, NOW, invoice, [(invoice.lines[0].id, 1)],
                                "Journée du 9 septembre annulée par le service")
    assert note.number == "AV-2026-000001"
    assert note.kind == "credit_note" and note.status == "issued"
    assert [(l.quantity, l.unit_price_cents, l.amount_cents) for l in note.lines] == [
        (-1, 650, -650)]
    assert note.total_cents == -650 and note.credits_invoice_id == invoice.id
    # the invoice itself is untouched
    db.session.refresh(invoice)
    assert invoice.total_cents == 1300

    # the rest of the line, then nothing more
    second = services.credit_note(agent, NOW, invoice, None, "Erreur de saisie")
    assert second.number == "AV-2026-000002" and second.total_cents == -650
    with pytest.raises(DomainError) as error:
        services.credit_note(agent, NOW, invoice, [(invoice.lines[0].id, 1)], "encore")
    assert "au plus 0 jour" in str(error.value)
    with pytest.raises(DomainError):
        services.credit_note(agent, NOW, invoice, None, "   ")
    assert db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.kind == "credit_note")) == 2


def test_drafts_cannot_be_credited(db, setup):
    agent, acm, _cantine = setup
    child = factories.make_child(factories.make_household())
    factories.make_presence(child, acm, day=WEDNESDAYS[0])
    services.run_billing(agent, NOW, 2026, 9)
    draft = db.session.scalar(select(Invoice))
    with pytest.raises(DomainError) as error:
        services.credit_note(agent, NOW, draft, None, "raison")
    assert "émise" in str(error.value)


def test_concurrent_issues_take_numbers_without_gaps_or_duplicates(app, db, setup):
    """Threads on the real database: each issues a different month at once."""
    agent, acm, _cantine = setup
    months = [(2026, 9), (2026, 10), (2026, 11), (2026, 12)]
    days = {9: WEDNESDAYS[0], 10: dt.date(2026, 10, 7), 11: dt.date(2026, 11, 4),
            12: dt.date(2026, 12, 2)}
    for _ in range(5):
        child = factories.make_child(factories.make_household())
        for _y, month in months:
            factories.make_presence(child, acm, day=days[month])
    for year, month in months:
        services.run_billing(agent, NOW, year, month)
    agent_id = agent.id
    errors = []
    barrier = threading.Barrier(len(months))

    def worker(year, month):
        with app.app_context():
            from app.extensions import db as database

            try:
                actor = database.session.get(app.appbuilder.sm.user_model, agent_id)
                barrier.wait()
                services.issue_invoices(actor, NOW, year, month)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker, args=m) for m in months]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    assert numbers == [f"FAC-2026-{n:06d}" for n in range(1, 21)]
    # each month's invoices got one consecutive block
    for year, month in months:
        taken = sorted(int(n[-6:]) for n in db.session.scalars(
            select(Invoice.number).where(Invoice.month == month)))
        assert taken == list(range(taken[0], taken[0] + 5))


def test_concurrent_credit_notes_take_distinct_consecutive_numbers(app, db, setup):
    agent, acm, _cantine = setup
    invoice_ids = []
    for _ in range(6):
        child = factories.make_child(factories.make_household())
        factories.make_presence(child, acm, day=WEDNESDAYS[0])
    services.run_billing(agent, NOW, 2026, 9)
    invoice_ids = [i.id for i in services.issue_invoices(agent, NOW, 2026, 9)]
    agent_id = agent.id
    errors = []
    barrier = threading.Barrier(len(invoice_ids))

    def worker(invoice_id):
        with app.app_context():
            from app.extensions import db as database

            try:
                actor = database.session.get(app.appbuilder.sm.user_model, agent_id)
                invoice = database.session.get(Invoice, invoice_id)
                _ = list(invoice.lines)
                barrier.wait()
                services.credit_note(actor, NOW, invoice, None, "Fermeture exceptionnelle")
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in invoice_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Invoice.number).where(
        Invoice.kind == "credit_note")))
    assert numbers == [f"AV-2026-{n:06d}" for n in range(1, 7)]


def test_concurrent_runs_of_the_same_month_leave_one_set_of_drafts(app, db, setup):
    agent, acm, _cantine = setup
    for _ in range(4):
        child = factories.make_child(factories.make_household())
        factories.make_presence(child, acm, day=WEDNESDAYS[0])
    agent_id = agent.id
    errors = []
    barrier = threading.Barrier(4)

    def worker():
        with app.app_context():
            from app.extensions import db as database

            try:
                actor = database.session.get(app.appbuilder.sm.user_model, agent_id)
                barrier.wait()
                services.run_billing(actor, NOW, 2026, 9)
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invoice.id))) == 4
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 4
