"""Agents see the outbox (read only): every e-mail the portal sent or will send."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.states import EmailStatus
from app.notifications.models import OutgoingEmail
from exports.lists import ExcelExportMixin


def _status_label(status) -> str:
    return EmailStatus.label_of(status)


class StaffOutboxView(ExcelExportMixin, ModelView):
    datamodel = SQLAInterface(OutgoingEmail)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Outbox")
    show_title = _l("E-mail of the outbox")
    list_columns = ["created_at", "to_address", "subject", "status", "sent_at"]
    show_columns = ["created_at", "to_address", "subject", "body_text", "status", "attempts",
                    "last_error", "sent_at"]
    search_columns = ["to_address", "subject", "status"]
    order_columns = ["created_at", "to_address", "subject", "status", "sent_at"]
    base_order = ("id", "desc")
    label_columns = {
        "created_at": _l("Written on"), "to_address": _l("Recipient"),
        "subject": _l("Subject"), "body_text": _l("Message"), "status": _l("Sending state"),
        "attempts": _l("Attempts"), "last_error": _l("Last error"), "sent_at": _l("Sent on"),
    }
    formatters_columns = {"status": _status_label}


def register_views(appbuilder) -> None:
    appbuilder.add_view(StaffOutboxView, "StaffOutboxView", label=_l("Outbox"),
                        icon="fa-envelope", category="Staff",
                        category_label=_l("Staff desk"), category_icon="fa-briefcase")
