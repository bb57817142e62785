"""Writing the audit log. Called by services, inside their transaction."""

from __future__ import annotations

import datetime as dt
import json

from app.core.models import AuditLog
from app.extensions import db


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def record(actor, action: str, obj, now: dt.datetime, household_id=None, **details) -> AuditLog:
    """Add an audit entry for ``obj`` (a model instance) to the session."""
    entry = AuditLog(
        at=now,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "-",
        object_id=getattr(obj, "id", None),
        household_id=household_id,
        details=json.dumps({k: _plain(v) for k, v in details.items()}, ensure_ascii=False)
        if details else None,
    )
    db.session.add(entry)
    return entry


def changes(obj, new_values: dict) -> dict:
    """{field: [old, new]} for the fields whose value changes."""
    diff = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if old != new:
            diff[field] = [_plain(old), _plain(new)]
    return diff
