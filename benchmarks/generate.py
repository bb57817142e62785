"""Build the benchmark dataset and report its figures as one JSON line.

    python -m benchmarks.generate --households 3000 [--seed 1] [--database-url URL]
                                  [--skip-fk-checks]

Without --database-url the data goes into a fresh SQLite file in a temporary
folder; with one (e.g. postgresql://postgres@127.0.0.1:55432/portail_bench)
the database is brought to head first and the data added to it.
"""

from __future__ import annotations

import argparse
import logging

from benchmarks.common import Stopwatch, emit, make_app, peak_memory_mb


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-fk-checks", action="store_true",
                        help="PostgreSQL superuser only: skip foreign-key triggers while loading")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    app = make_app(args.database_url)
    with app.app_context():
        from app.demo.generate import generate
        from app.extensions import db

        with Stopwatch() as watch:
            figures = generate(args.households, seed=args.seed,
                               skip_fk_checks=args.skip_fk_checks)
        database = db.engine.dialect.name
        url = db.engine.url.render_as_string(hide_password=True)
    emit(benchmark="generate", database=database, url=url,
         households=figures["households"], guardians=figures["guardians"],
         children=figures["children"], requests=figures["requests"],
         presences=figures["presences"], presence_history=figures["presence_history"],
         attendance=figures["attendance"],
         skip_fk_checks=args.skip_fk_checks, seconds=round(watch.seconds, 2), peak_memory_mb=peak_memory_mb())


if __name__ == "__main__":
    main()
