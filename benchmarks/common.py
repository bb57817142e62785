"""Small shared helpers for the benchmark scripts.

    from benchmarks.common import make_app, Stopwatch, median, p95, peak_memory_mb, emit

- ``make_app(database_url=None)``: an app on the given database, or on a fresh
  SQLite file in a temporary folder; the database is brought to head and the
  roles synchronised.
- ``Stopwatch``: ``with Stopwatch() as sw: ...`` then ``sw.seconds``; or
  ``sw.lap()`` in a loop to collect durations in ``sw.laps``.
- ``median(values)``, ``p95(values)``: of a list of numbers (seconds).
- ``peak_memory_mb()``: the process's peak resident memory (resource), in MB.
- ``emit(**figures)``: print ONE JSON line (the last line a benchmark prints).
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time


def make_app(database_url: str | None = None, **config):
    """A Portail app on ``database_url`` (default: a new SQLite file), at head."""
    from app import create_app
    from app.core.cli import sync_permissions, upgrade_database

    if not database_url:
        folder = tempfile.mkdtemp(prefix="portail-bench-")
        database_url = f"sqlite:///{os.path.join(folder, 'bench.db')}"
        config.setdefault("UPLOAD_FOLDER", os.path.join(folder, "uploads"))
        config.setdefault("PUBLIC_UPLOAD_FOLDER", os.path.join(folder, "public"))
    app = create_app(dict(config, SQLALCHEMY_DATABASE_URI=database_url))
    with app.app_context():
        upgrade_database()
        sync_permissions()
    return app


class Stopwatch:
    """Wall-clock timing with ``time.perf_counter``."""

    def __init__(self):
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.laps: list[float] = []
        self._last = self.started

    def __enter__(self):
        self.started = self._last = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False

    def lap(self) -> float:
        moment = time.perf_counter()
        duration = moment - self._last
        self._last = moment
        self.laps.append(duration)
        return duration


def median(values) -> float:
    return statistics.median(values) if values else 0.0


def p95(values) -> float:
    """95th percentile (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        peak /= 1024
    return round(peak / 1024, 1)


def emit(**figures) -> None:
    """Print the benchmark's figures as one JSON line on stdout."""
    print(json.dumps(figures, ensure_ascii=False, default=str), flush=True)
