"""Entry point for gunicorn: ``gunicorn -w 4 wsgi:app``."""

from run import app  # noqa: F401
