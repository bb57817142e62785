"""Demo and benchmark data: ``flask --app run portail demo`` and
``flask --app run portail generate --households N``.

Both bring the database to head and synchronise the roles first. Everything
they write is fictional (example.org addresses, 01 02 … phone numbers).
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.core.cli import portail_cli, sync_permissions, upgrade_database


@portail_cli.command("demo")
@with_appcontext
def demo_command():
    """Load the fictional demo data (safe to run twice)."""
    from app.demo.data import URL, load_demo

    upgrade_database()
    sync_permissions()
    result = load_demo()
    if result.already_there:
        click.echo(_("The demo data is already there; nothing was added."))
    else:
        click.echo(_("Demo data loaded (%(count)s rows added).", count=result.created))
    click.echo(_("Logins (fictional demo passwords):"))
    for login in result.logins:
        click.echo(f"  {login.role:<10} {login.login:<36} {login.password:<16} {login.who}")
    click.echo(_("Open %(url)s", url=URL))


@portail_cli.command("generate")
@click.option("--households", type=click.IntRange(1, 200000), default=3000, show_default=True,
              help="Number of households to generate.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed (same seed, same data).")
@click.option("--skip-fk-checks", is_flag=True,
              help="PostgreSQL superuser only: skip foreign-key triggers while loading.")
@with_appcontext
def generate_command(households: int, seed: int, skip_fk_checks: bool):
    """Generate a large realistic dataset for benchmarks, in bulk."""
    from app.demo.generate import generate

    upgrade_database()
    sync_permissions()
    figures = generate(households, seed=seed, skip_fk_checks=skip_fk_checks)
    click.echo(_("Generated %(households)s households, %(children)s children, "
                 "%(presences)s presences in %(seconds)s s.",
                 households=figures["households"], children=figures["children"],
                 presences=figures["presences"], seconds=figures["seconds"]))
