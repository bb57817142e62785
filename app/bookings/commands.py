"""CLI commands of the bookings area."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.core import clock
from app.core.cli import portail_cli


@portail_cli.command("expire")
@with_appcontext
def expire_command():
    """Expire the requests whose day has passed without being processed."""
    from app.bookings import services

    counts = services.expire(clock.now())
    click.echo(_("Expired booking requests: %(count)s", count=counts["expired"]))
    click.echo(_("Expired cancellation requests (days stay booked): %(count)s",
                 count=counts["cancel_expired"]))
