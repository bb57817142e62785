"""The detailed billing export (one row per billed day) of the largest month,
against openpyxl write-only writing the same rows alone, in the same run.

    python -m benchmarks.billing_export [--households 3000] [--database-url URL] [--repeat 3]

- "export": exports.billing.detail_sheets() through the shared writer into
  a file: the query streamed from the database, pricing, French formats,
  formula guard, totals;
- "baseline": the same rows, already in memory, appended as they are to an
  openpyxl write-only sheet and saved.
Runs alternate (export, baseline, export, …); the ratio is of the median
wall-clock times; ``cpu_ratio`` is the same with this process's CPU time
(steadier on a shared machine; with SQLite it includes the database work,
with PostgreSQL the server's share is not counted).
Targets: ratio ≤ 1.3, peak memory ≤ 300 MB. The peak memory of the export is
read before the baseline's rows are loaded into memory. Ends with one JSON
line.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.billing_common import largest_month, prepare, seed_attendance
from benchmarks.common import Stopwatch, emit, median, peak_memory_mb

TARGET_RATIO = 1.3
TARGET_MEMORY_MB = 300


def _export(year, month, path) -> int:
    from exports.billing import detail_sheets
    from exports.writer import WorkbookWriter

    writer = WorkbookWriter()
    written = 0
    for sheet in detail_sheets(year, month):
        writer.add(sheet)
        written += sheet.written
    writer.save(path)
    return written


def _baseline(rows, headers, path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("rows")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    app, generated = prepare(args.database_url, args.households)
    folder = tempfile.mkdtemp(prefix="portail-export-bench-")
    export_path = os.path.join(folder, "export.xlsx")
    baseline_path = os.path.join(folder, "baseline.xlsx")
    with app.app_context(), app.test_request_context():
        from flask_babel import force_locale

        from app.extensions import db
        from exports.billing import detail_rows

        with force_locale("fr"):
            year, month, presences = largest_month()
            seeded = seed_attendance(year, month)
            db.session.remove()

            export_times, baseline_times, export_cpu, baseline_cpu = [], [], [], []
            cpu = time.process_time()
            with Stopwatch() as watch:
                rows_written = _export(year, month, export_path)
            export_cpu.append(time.process_time() - cpu)
            export_times.append(watch.seconds)
            export_peak = peak_memory_mb()
            db.session.remove()

            rows = list(detail_rows(year, month))
            headers = [f"col{i}" for i in range(len(rows[0]) if rows else 1)]
            for run in range(max(1, args.repeat)):
                cpu = time.process_time()
                with Stopwatch() as watch:
                    _baseline(rows, headers, baseline_path)
                baseline_cpu.append(time.process_time() - cpu)
                baseline_times.append(watch.seconds)
                if run + 1 < args.repeat:
                    cpu = time.process_time()
                    with Stopwatch() as watch:
                        _export(year, month, export_path)
                    export_cpu.append(time.process_time() - cpu)
                    export_times.append(watch.seconds)
                    db.session.remove()
            database = db.engine.dialect.name
    ratio = median(export_times) / median(baseline_times) if baseline_times else None
    cpu_ratio = median(export_cpu) / median(baseline_cpu) if baseline_cpu else None
    emit(benchmark="billing_export", database=database, generated_households=generated,
         month=f"{year}-{month:02d}", presences_in_month=presences, attendance_seeded=seeded,
         rows=rows_written, export_median_seconds=round(median(export_times), 2),
         baseline_median_seconds=round(median(baseline_times), 2),
         export_seconds=[round(t, 2) for t in export_times],
         baseline_seconds=[round(t, 2) for t in baseline_times],
         ratio=round(ratio, 3) if ratio else None, target_ratio=TARGET_RATIO,
         cpu_ratio=round(cpu_ratio, 3) if cpu_ratio else None,
         export_cpu_seconds=[round(t, 2) for t in export_cpu],
         baseline_cpu_seconds=[round(t, 2) for t in baseline_cpu],
         export_peak_memory_mb=export_peak, peak_memory_mb=peak_memory_mb(),
         target_memory_mb=TARGET_MEMORY_MB,
         within_target=bool(ratio and ratio <= TARGET_RATIO
                            and export_peak <= TARGET_MEMORY_MB),
         file_bytes=os.path.getsize(export_path))


if __name__ == "__main__":
    main()
