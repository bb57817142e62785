"""Starts the portal: ``python run.py`` (development server on 127.0.0.1:5000);
``flask --app run …`` for the commands (db upgrade, portail demo, …)."""

from __future__ import annotations

import os
import sys

from config import ConfigError

try:
    from app import create_app

    app = create_app()
except ConfigError as error:
    print(f"Configuration invalide : {error}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    from app.core.dbcheck import database_revision_problem

    with app.app_context():
        problem = database_revision_problem()
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(2)
    port = int(os.environ.get("PORT", "5000"))
    print(f"Portail Famille : http://127.0.0.1:{port}")
    app.run(host="127.0.0.1", port=port, debug=False)
