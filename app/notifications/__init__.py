"""Notifications: the outbox and the e-mail sender."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.core.cli import portail_cli


@portail_cli.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send the e-mails waiting in the outbox (SMTP); failures are retried later."""
    from app.core import clock
    from app.notifications.services import send_due

    sent, failed = send_due(clock.now())
    from flask_babel import gettext as _

    click.echo(_("%(sent)d e-mail(s) sent, %(failed)d failed (will be retried later).",
                 sent=sent, failed=failed))
