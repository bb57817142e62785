"""French formatting and the catalogue.

The French catalogue (translations/fr/LC_MESSAGES/messages.po) is compiled
to .mo at start when the .mo is missing or older, so a fresh clone needs no
build step. Formats follow the guide: dates "mercredi 20 septembre 2023",
times "24/07/2023 à 10:38", money "3,45 €".
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date as _babel_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

import config as settings_module

LOCALE = "fr_FR"
TRANSLATIONS_DIR = settings_module.BASE_DIR / "translations"

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def compile_catalogues(directory: Path = TRANSLATIONS_DIR) -> None:
    """Compile every messages.po whose .mo is missing or older."""
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        tmp.replace(mo_path)


def format_day(day: dt.date | None) -> str:
    """"mercredi 20 septembre 2023"."""
    if day is None:
        return ""
    return _babel_date(day, format="EEEE d MMMM y", locale=LOCALE)


def format_day_title(day: dt.date | None) -> str:
    """"Mercredi 20 Septembre 2023", as the wizard's day panel shows it."""
    return " ".join(w.capitalize() for w in format_day(day).split(" "))


def format_short_date(day: dt.date | None) -> str:
    """"20/09/2023"."""
    return day.strftime("%d/%m/%Y") if day else ""


def format_datetime(moment: dt.datetime | None) -> str:
    """"24/07/2023 à 10:38"."""
    if moment is None:
        return ""
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}"


def format_month(year: int, month: int) -> str:
    """"Septembre 2023"."""
    return f"{MONTHS[month - 1].capitalize()} {year}"


def format_money(cents: int | None) -> str:
    """"3,45 €" from integer cents (never a float)."""
    if cents is None:
        return ""
    amount = Decimal(int(cents)).scaleb(-2)
    return format_decimal(amount, format="#,##0.00", locale=LOCALE) + "\u00a0€"


_MONEY_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]{0,2})?|\.[0-9]{1,2})")


def parse_money(text: str) -> int:
    """"3,45", "3.45 €" or "1 234,56" (as format_money writes it) -> cents.
    Raises ValueError on anything else ("1e3", "NaN", "3,456")."""
    cleaned = re.sub(r"[\s€]", "", text or "").replace(",", ".")
    if not _MONEY_RE.fullmatch(cleaned):
        raise ValueError(text)
    return int(Decimal(cleaned).scaleb(2))


def init_app(app) -> None:
    """Jinja filters for the formats above."""
    app.jinja_env.filters.update(
        day=format_day,
        day_title=format_day_title,
        short_date=format_short_date,
        datetime_fr=format_datetime,
        money=format_money,
    )
    app.jinja_env.globals.update(format_month=format_month)
