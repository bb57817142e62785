"""Backups and restores of the database.

- SQLite: the online backup API (a consistent copy while the portal runs).
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``.

``flask --app run portail backup FILE`` and ``portail restore FILE``. The
uploaded documents (UPLOAD_FOLDER, PUBLIC_UPLOAD_FOLDER) are plain files:
copy them with the database (the README says how).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.engine import make_url

from app.core.cli import portail_cli


class BackupError(Exception):
    pass


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_env_and_args(url) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database]
    return env, args


def backup(target: str | Path) -> Path:
    """Write a consistent copy of the database to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    url = _url()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        destination = sqlite3.connect(str(target))
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target
    if shutil.which("pg_dump") is None:
        raise BackupError(_("pg_dump is not installed (Debian package postgresql-client)."))
    env, args = _pg_env_and_args(url)
    result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target),
                             *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())
    return target


def restore(source: str | Path) -> None:
    """Replace the database's content with the backup ``source``."""
    source = Path(source)
    if not source.exists():
        raise BackupError(_("Backup file not found: %(path)s", path=str(source)))
    from app.extensions import db

    db.session.remove()
    db.engine.dispose()
    url = _url()
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(str(source))
        live = sqlite3.connect(url.database)
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    env, args = _pg_env_and_args(url)
    result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                             "--single-transaction", *args, str(source)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())


@portail_cli.command("backup")
@click.argument("target")
@with_appcontext
def backup_command(target):
    """Back the database up to TARGET (SQLite copy or pg_dump custom format)."""
    try:
        path = backup(target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Backup written to %(path)s", path=str(path)))


@portail_cli.command("restore")
@click.argument("source")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source, yes):
    """Replace the database with the backup SOURCE."""
    if not yes:
        click.confirm(_("Replace the whole database with this backup?"), abort=True)
    try:
        restore(source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Database restored from %(path)s", path=str(source)))
