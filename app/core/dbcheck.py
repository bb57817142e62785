"""Is the database at the migrations' head? Said in French, with the fix."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

UPGRADE_HINT = "flask --app run db upgrade"


def database_revision_problem() -> str | None:
    """None when the database is at head, else a sentence (French) saying how to fix it."""
    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return _("Database unreachable (%(error)s): check DATABASE_URL.",
                 error=exc.__class__.__name__)
    if current == heads:
        return None
    if not current:
        return _("The database is empty: create it with « %(command)s ».",
                 command=UPGRADE_HINT)
    return _("The database is not at the migrations' head (%(current)s instead of "
             "%(head)s): run « %(command)s ».", current=", ".join(sorted(current)),
             head=", ".join(sorted(heads)), command=UPGRADE_HINT)
