"""The French catalogue: extract, update, fill, check.

    python -m tools.i18n update            # extract source strings, merge into messages.po
    python -m tools.i18n add FILE.json     # {"English source": "Français", ...} into messages.po
    python -m tools.i18n missing           # list empty or fuzzy entries (exit 1 if any)

Every call takes a file lock, so several people (or helpers) can run it at
once without losing each other's entries. ``update`` keeps the translations
of FAB strings we override (app/core/fab_strings.py marks them).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ["_", "_l", "gettext", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2"]


@contextmanager
def locked():
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    with (TRANSLATIONS / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def extract(output: Path = POT) -> Catalog:
    args = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
            str(ROOT / "babel.cfg"), "-o", str(output), "--no-location", "--sort-output",
            "--project", "Portail Famille", "--omit-header"]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    args.append(str(ROOT))
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    with output.open("rb") as handle:
        return read_po(handle)


def read_catalog() -> Catalog:
    if not PO.exists():
        return Catalog(locale="fr")
    with PO.open("rb") as handle:
        return read_po(handle, locale="fr")


def write_catalog(catalog: Catalog) -> None:
    catalog.fuzzy = False
    catalog.project = "Portail Famille"
    catalog.version = "1.0"
    catalog.copyright_holder = "Portail Famille"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "Portail Famille"
    catalog.language_team = "Français"
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, no_location=True, omit_header=False, sort_output=True,
                 width=100)


def update() -> None:
    with locked():
        template = extract()
        catalog = read_catalog()
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write_catalog(catalog)


def add(path: str) -> None:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    with locked():
        catalog = read_catalog()
        for msgid, msgstr in entries.items():
            message = catalog.get(msgid)
            if message is None:
                catalog.add(msgid, msgstr)
            else:
                message.string = msgstr
                message.flags.discard("fuzzy")
        write_catalog(catalog)


def missing() -> list[str]:
    catalog = read_catalog()
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"update", "add", "missing"}:
        print(__doc__)
        return 2
    if argv[0] == "update":
        update()
    elif argv[0] == "add":
        add(argv[1])
    gaps = missing()
    for gap in gaps[:200]:
        print(f"missing: {gap!r}")
    if len(gaps) > 200:
        print(f"... and {len(gaps) - 200} more")
    return 1 if gaps and argv[0] == "missing" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
