"""The outbox. Services queue e-mails in their own transaction; the
``portail send-mail`` command sends what is due through SMTP and retries
later on failure, so a mail server being down loses nothing.

E-mail bodies are Jinja templates under app/templates/email/<name>.txt whose
first line is "Subject: …"; their strings go through Flask-Babel.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select

from app.core.states import EmailStatus
from app.extensions import db
from app.notifications.models import OutgoingEmail

RETRY_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
                dt.timedelta(hours=12))


def render_email(template: str, **context) -> tuple[str, str]:
    """(subject, body) from app/templates/email/<template>.txt."""
    context.setdefault("base_url", current_app.config["PORTAIL_BASE_URL"])
    context.setdefault("app_name", current_app.config["APP_NAME"])
    text = render_template(f"email/{template}.txt", **context).lstrip()
    first, _, body = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise ValueError(f"email/{template}.txt must start with 'Subject:'")
    return first.split(":", 1)[1].strip(), body.strip() + "\n"


def queue_email(to_address: str, template: str, now: dt.datetime,
                household_id: int | None = None, **context) -> OutgoingEmail:
    """Write an e-mail to the outbox (in the caller's transaction)."""
    subject, body = render_email(template, **context)
    email = OutgoingEmail(to_address=to_address, subject=subject, body_text=body,
                          template=template, household_id=household_id, created_at=now,
                          next_attempt_at=now, status=EmailStatus.PENDING.value)
    db.session.add(email)
    return email


def _smtp_send(email: OutgoingEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body_text)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def send_due(now: dt.datetime, limit: int = 200, sender=None) -> tuple[int, int]:
    """Send due e-mails; returns (sent, failed). Without MAIL_SERVER nothing is sent."""
    if sender is None:
        if not current_app.config.get("MAIL_SERVER"):
            return 0, 0
        sender = _smtp_send
    due = db.session.scalars(
        select(OutgoingEmail)
        .where(OutgoingEmail.status.in_((EmailStatus.PENDING.value, EmailStatus.FAILED.value)),
               OutgoingEmail.next_attempt_at <= now)
        .order_by(OutgoingEmail.id).limit(limit)).all()
    sent = failed = 0
    for email in due:
        try:
            sender(email)
        except Exception as exc:  # any failure: keep it and retry later
            email.attempts += 1
            email.status = EmailStatus.FAILED.value
            email.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            email.next_attempt_at = now + RETRY_DELAYS[min(email.attempts, len(RETRY_DELAYS)) - 1]
            failed += 1
        else:
            email.attempts += 1
            email.status = EmailStatus.SENT.value
            email.sent_at = now
            email.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed
