#!/usr/bin/env bash
# Installs what the tests need and runs them: bash tools/test.sh [pytest arguments]
#   - a virtualenv in .venv (created when missing) with requirements-dev.txt;
#   - Debian's Chromium for the end-to-end tests (installed when missing and root);
#   - then pytest (SQLite by default; TEST_DATABASE_URL=postgresql://… for PostgreSQL).
set -euo pipefail

cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q -r requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && apt-get install -y -qq chromium
    else
        echo "Chromium est absent : installez-le avec « sudo apt-get install chromium » pour les tests de bout en bout." >&2
    fi
fi

exec .venv/bin/python -m pytest "$@"
