"""Long exports run in a background thread, never blocking other users.

``start(app, user_id, spec, params, facility_ids)`` writes a status file
``<folder>/<token>.json`` and generates ``<token>.xlsx`` in a thread with its
own database session; the page polls ``status(...)``, which counts the rows
written so far. Only the user who asked can read the status or download the
file (``owned_file``); tokens are random (secrets.token_urlsafe). Files older
than a day are removed when a new export starts.

The folder is ``EXPORT_FOLDER`` (default instance/exports).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path

from flask_babel import force_locale

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP_SECONDS = 24 * 3600
PROGRESS_EVERY = 2000
THREADS: dict[str, threading.Thread] = {}


def folder(app) -> Path:
    path = Path(app.config.get("EXPORT_FOLDER") or os.path.join(app.instance_path, "exports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_status(path: Path, status: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _read_status(app, token: str) -> dict | None:
    if not token or not TOKEN_RE.match(token):
        return None
    path = folder(app) / f"{token}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cleanup(app) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder(app).iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def start(app, user_id: int, spec, params: dict, facility_ids=None) -> str:
    _cleanup(app)
    token = secrets.token_urlsafe(24)
    status = {"user_id": user_id, "export": spec.name, "state": "running", "rows": 0,
              "filename": spec.filename(params), "error": None, "started_at": time.time()}
    _write_status(folder(app) / f"{token}.json", status)
    thread = threading.Thread(target=_run, args=(app, token, spec, params, facility_ids, status),
                              name=f"export-{token[:8]}", daemon=True)
    THREADS[token] = thread
    thread.start()
    return token


def _counted(rows, status, status_path):
    n = 0
    for row in rows:
        n += 1
        if n % PROGRESS_EVERY == 0:
            status["rows"] += PROGRESS_EVERY
            _write_status(status_path, status)
        yield row
    status["rows"] += n % PROGRESS_EVERY


def _run(app, token, spec, params, facility_ids, status) -> None:
    from app.extensions import db
    from exports.writer import WorkbookWriter

    base = folder(app)
    status_path = base / f"{token}.json"
    part = base / f"{token}.xlsx.part"
    with app.app_context(), force_locale("fr"):
        try:
            writer = WorkbookWriter()
            for sheet in spec.build(params, facility_ids):
                sheet.rows = _counted(sheet.rows, status, status_path)
                writer.add(sheet)
            with part.open("wb") as handle:
                writer.save(handle)
            part.replace(base / f"{token}.xlsx")
            status["state"] = "done"
        except Exception:  # noqa: BLE001 - reported to the user as a failure
            log.exception("export %s failed", spec.name)
            status["state"] = "failed"
            status["error"] = "failed"
            try:
                part.unlink()
            except OSError:
                pass
        finally:
            db.session.remove()
            status["finished_at"] = time.time()
            _write_status(status_path, status)
            THREADS.pop(token, None)


def status(app, token: str, user_id: int) -> dict | None:
    """The job's status if it belongs to ``user_id``; None otherwise."""
    found = _read_status(app, token)
    if found is None or found.get("user_id") != user_id:
        return None
    return found


def owned_file(app, token: str, user_id: int) -> tuple[Path, str] | None:
    """(path, download name) of a finished export of ``user_id``; None otherwise."""
    found = status(app, token, user_id)
    if found is None or found.get("state") != "done":
        return None
    path = folder(app) / f"{token}.xlsx"
    if not path.exists():
        return None
    return path, found["filename"]


def wait(token: str, timeout: float = 60) -> None:
    """Wait for a job's thread (tests and the CLI)."""
    thread = THREADS.get(token)
    if thread is not None:
        thread.join(timeout)
