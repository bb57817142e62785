"""Regenerate the single initial migration from the models (while nothing is
deployed, the schema is one migration). Takes a lock: safe to run by several
people at once.

    python -m tools.regen_migration
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"


def main() -> int:
    with open(ROOT / "migrations" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in VERSIONS.glob("*.py"):
            old.unlink()
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/regen.db")
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "run", "db", "migrate",
                 "-m", "initial schema", "--rev-id", "0001"],
                cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            return result.returncode
        print("migrations/versions/0001_initial_schema.py regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
