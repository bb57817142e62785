"""Security headers on every response.

Content-Security-Policy allows nothing from another host: scripts only from
the portal itself or inline with the per-request nonce (FAB's templates call
``csp_nonce()``), no inline event handlers, no framing.
"""

from __future__ import annotations

import secrets

from flask import g


def csp_nonce() -> str:
    nonce = getattr(g, "_csp_nonce", None)
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(16)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # FAB's templates carry style attributes; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_app(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def _new_nonce():
        # ``g`` outlives the request when an application context was already
        # pushed (CLI, tests): each request still gets its own nonce.
        g.pop("_csp_nonce", None)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        if app.config.get("CSP_ENABLED", True):
            headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
