"""Starts the portal: ``python run.py`` (development server on 127.0.0.1:5000);
``flask --app run …`` for the commands (db upgrade, portail demo, …).

A wrong setting or a database not at the migrations' head stops the start
with one French line that says what to fix, never a traceback.
"""

from __future__ import annotations

import os
import sys

from config import ConfigError, _, translate


def _stop(line: str) -> None:
    print(line, file=sys.stderr)
    sys.exit(2)


try:
    from app import create_app

    app = create_app()
except ConfigError as error:
    _stop(translate(_("Invalid configuration: %(problem)s"), problem=error.french()))


def main() -> None:
    from app.core.dbcheck import database_revision_problem

    with app.app_context():
        problem = database_revision_problem()
    if problem:
        _stop(str(problem))
    port_text = os.environ.get("PORT", "5000")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        _stop(translate(_("Invalid configuration: %(problem)s"), problem=translate(
            _("%(name)s=%(value)s: expected a port number between 1 and 65535"),
            name="PORT", value=repr(port_text))))
    port = int(port_text)
    print(translate(_("Portail Famille is running at %(url)s"),
                    url=f"http://127.0.0.1:{port}"))
    app.run(host="127.0.0.1", port=port, debug=False)


if __name__ == "__main__":
    main()
