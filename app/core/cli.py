"""The ``flask --app run portail …`` command group. Areas add their commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

portail_cli = AppGroup("portail", help="Commandes du Portail Famille.")


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
    """Synchronise les rôles et permissions (à lancer une fois par déploiement)."""
    sync_permissions()
    click.echo("Rôles et permissions synchronisés.")


@portail_cli.command("check-db")
@with_appcontext
def check_db_command():
    """Vérifie que la base de données est à jour des migrations."""
    from app.core.dbcheck import database_revision_problem

    problem = database_revision_problem()
    if problem:
        raise click.ClickException(problem)
    click.echo("La base de données est à jour.")
