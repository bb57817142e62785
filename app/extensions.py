"""Extension objects shared by every app built by ``create_app``.

The AppBuilder itself is *not* here: Flask-AppBuilder keeps per-app state in
its instance, so ``create_app`` builds a new one each call (FAB-NOTES).
"""

from __future__ import annotations

import sqlite3

from flask_appbuilder import Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = get_sqla_class()()
migrate = Migrate()
csrf = CSRFProtect()

# Every table of the project and of Flask-AppBuilder shares this metadata.
metadata = Model.metadata


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Foreign keys on, and a write-ahead log so readers never wait on writers."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
