"""The ``flask --app run portail …`` command group. Areas add their commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

portail_cli = AppGroup("portail", help="Portail Famille commands.")


def upgrade_database() -> None:
    """Bring the database to the migrations' head (Alembic owns the schema)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


def sync_permissions() -> None:
    """Create FAB's roles and the permission rows of every view, once, at deploy."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    appbuilder = current_app.appbuilder
    appbuilder.add_permissions(update_perms=True)
    BaseSecurityManager.create_db(appbuilder.sm)


@portail_cli.command("sync-perms")
@with_appcontext
def sync_perms_command():
    """Synchronise roles and permissions (run once per deployment)."""
    sync_permissions()
    click.echo(_("Roles and permissions synchronised."))


@portail_cli.command("check-db")
@with_appcontext
def check_db_command():
    """Check that the database is at the migrations' head."""
    from app.core.dbcheck import database_revision_problem

    problem = database_revision_problem()
    if problem:
        raise click.ClickException(problem)
    click.echo(_("The database is up to date."))
