"""The error a service raises when a move is not allowed.

The message is a translated (lazy) string that can be shown to the person as
it is: views flash it, CLI commands print it.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message, **details):
        super().__init__(str(message))
        self.message = message
        self.details = details

    def __str__(self) -> str:  # pragma: no cover - trivial
        return str(self.message)


class NotFound(DomainError):
    """The object does not exist or is not visible to the acting user."""


class Forbidden(DomainError):
    """The acting user may not do this."""
