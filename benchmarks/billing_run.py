"""The monthly billing run on a large dataset.

    python -m benchmarks.billing_run [--households 3000] [--database-url URL] [--repeat 3]

Builds the dataset when the database has fewer households (``portail
generate``), gives the largest month its pointage, then times
``run_billing`` for that month: the first run (drafts created) and the
re-runs (drafts recomputed), then ``issue_invoices`` (numbering under the
row lock). Target: a month of 3000 households in 30 s at most.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import delete, func, select

from benchmarks.billing_common import largest_month, prepare, seed_attendance
from benchmarks.common import Stopwatch, emit, median, peak_memory_mb, p95

TARGET_SECONDS = 30.0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    app, generated = prepare(args.database_url, args.households)
    with app.app_context():
        from app.billing import services
        from app.billing.models import Invoice, InvoiceLine, InvoiceSequence
        from app.extensions import db
        from app.families.models import Household

        year, month, presences = largest_month()
        seeded = seed_attendance(year, month)
        # start from a month with no invoice, so that every run is comparable
        month_ids = select(Invoice.id).where(Invoice.year == year, Invoice.month == month)
        db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(month_ids)))
        db.session.execute(delete(Invoice).where(Invoice.year == year, Invoice.month == month))
        db.session.commit()
        now = dt.datetime(year + (month == 12), month % 12 + 1, 2, 9, 0)

        runs = []
        result = None
        for _ in range(max(1, args.repeat)):
            with Stopwatch() as watch:
                result = services.run_billing(None, now, year, month)
            runs.append(watch.seconds)
        with Stopwatch() as issue_watch:
            issued = services.issue_invoices(None, now, year, month)
        households = db.session.scalar(select(func.count(Household.id)))
        database = db.engine.dialect.name
        # leave the database as it was for a next run: drop this run's invoices
        numbers_taken = len(issued)
        db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(
            select(Invoice.id).where(Invoice.year == year, Invoice.month == month))))
        db.session.execute(delete(Invoice).where(Invoice.year == year, Invoice.month == month))
        sequence = db.session.get(InvoiceSequence, (now.year, "invoice"))
        if sequence is not None:
            sequence.last_number = max(0, sequence.last_number - numbers_taken)
        from app.notifications.models import OutgoingEmail

        db.session.execute(delete(OutgoingEmail).where(
            OutgoingEmail.template == "billing_invoice_issued"))
        db.session.commit()

    emit(benchmark="billing_run", database=database, households=households,
         generated_households=generated, month=f"{year}-{month:02d}",
         presences_in_month=presences, attendance_seeded=seeded,
         invoices=result.invoices, lines=result.lines, total_cents=result.total_cents,
         first_run_seconds=round(runs[0], 2),
         rerun_median_seconds=round(median(runs[1:]) if len(runs) > 1 else runs[0], 2),
         run_median_seconds=round(median(runs), 2), run_p95_seconds=round(p95(runs), 2),
         issue_seconds=round(issue_watch.seconds, 2), target_seconds=TARGET_SECONDS,
         within_target=max(runs) <= TARGET_SECONDS, peak_memory_mb=peak_memory_mb())


if __name__ == "__main__":
    main()
