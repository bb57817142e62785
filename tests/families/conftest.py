"""Fixtures of the families tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def switch_to(login_as):
    """Log the client in as another user in the middle of a test.

    With the ``db`` fixture an application context stays pushed for the whole
    test, so Flask-Login's per-context cache (g._login_user) would keep the
    previous user: drop it.
    """

    def _switch(role, **kwargs):
        from flask import g

        user = login_as(role, **kwargs)
        g.pop("_login_user", None)
        return user

    return _switch
