"""Is the database at the migrations' head? Said in French, with the fix."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

UPGRADE_HINT = "flask --app run db upgrade"


def database_revision_problem() -> str | None:
    """None when the database is at head, else a French sentence saying how to fix it."""
    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return f"Base de données injoignable ({exc.__class__.__name__}) : vérifiez DATABASE_URL."
    if current == heads:
        return None
    if not current:
        return f"La base de données est vide : créez-la avec « {UPGRADE_HINT} »."
    return (f"La base de données n'est pas à jour des migrations "
            f"({', '.join(sorted(current))} au lieu de {', '.join(sorted(heads))}) : "
            f"lancez « {UPGRADE_HINT} ».")
