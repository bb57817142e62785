"""A wrong or missing setting stops the start with one French line that names
the variable and what is expected; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = ("PORTAIL_ENV", "DATABASE_URL", "SECRET_KEY", "MAIL_SERVER", "MAIL_PORT",
             "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_DEFAULT_SENDER",
             "PORTAIL_BASE_URL", "UPLOAD_FOLDER", "PUBLIC_UPLOAD_FOLDER",
             "RATELIMIT_STORAGE_URI", "PORT", "TEST_DATABASE_URL", "FLASK_APP")


def _environment(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    env["PUBLIC_UPLOAD_FOLDER"] = str(tmp_path / "public")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'absent.db'}"
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _flask() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "run"]


def _one_french_line(result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


BAD_SETTINGS = [
    ({"PORTAIL_ENV": "production", "SECRET_KEY": None},
     "Configuration invalide : SECRET_KEY : obligatoire en production, au moins 32 caractères"),
    ({"DATABASE_URL": "mysql://x"},
     "Configuration invalide : DATABASE_URL=mysql:… : une adresse sqlite:///… ou "
     "postgresql://… est attendue"),
    ({"MAIL_PORT": "abc"},
     "Configuration invalide : MAIL_PORT='abc' : un numéro de port entre 1 et 65535 est attendu"),
    ({"PORTAIL_ENV": "prod"},
     "Configuration invalide : PORTAIL_ENV='prod' : development ou production est attendu"),
]


@pytest.mark.parametrize("overrides, expected", BAD_SETTINGS,
                         ids=["SECRET_KEY", "DATABASE_URL", "MAIL_PORT", "PORTAIL_ENV"])
def test_python_run_py_says_in_one_french_line_what_is_wrong(tmp_path, overrides, expected):
    result = _run([sys.executable, "run.py"], _environment(tmp_path, **overrides))
    assert _one_french_line(result).startswith(expected)


def test_flask_commands_give_the_same_french_line(tmp_path):
    result = _run(_flask() + ["portail", "check-db"],
                  _environment(tmp_path, PORTAIL_ENV="production", SECRET_KEY=None))
    line = _one_french_line(result)
    assert line.startswith("Configuration invalide : SECRET_KEY : obligatoire en production")


def test_an_empty_database_stops_the_start_and_says_how_to_upgrade(tmp_path):
    empty = tmp_path / "vide.db"
    empty.touch()
    env = _environment(tmp_path, DATABASE_URL=f"sqlite:///{empty}")
    result = _run([sys.executable, "run.py"], env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    # The app is built by then: Flask-AppBuilder's own start-up warnings, if any,
    # come first; the French line is the last one.
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1] == ("La base de données est vide : créez-la avec "
                         "« flask --app run db upgrade ».")

    check = _run(_flask() + ["portail", "check-db"], env)
    assert check.returncode != 0
    assert "La base de données est vide" in check.stderr
    assert "Traceback" not in check.stderr


def test_an_upgraded_database_passes_the_check(tmp_path):
    env = _environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'portail.db'}")
    upgrade = _run(_flask() + ["db", "upgrade"], env)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _run(_flask() + ["portail", "check-db"], env)
    assert check.returncode == 0, check.stderr
    assert "La base de données est à jour." in check.stdout


@pytest.mark.parametrize("environ, expected", [
    ({"MAIL_USE_TLS": "peut-être"},
     "MAIL_USE_TLS='peut-être' : true ou false est attendu"),
    ({"MAIL_PORT": "70000"},
     "MAIL_PORT='70000' : un numéro de port entre 1 et 65535 est attendu"),
    ({"MAIL_DEFAULT_SENDER": "portail"},
     "MAIL_DEFAULT_SENDER='portail' : une adresse e-mail est attendue"),
    ({"PORTAIL_BASE_URL": "portail.example.org"},
     "PORTAIL_BASE_URL='portail.example.org' : une adresse commençant par http:// ou "
     "https:// est attendue"),
    ({"PORTAIL_ENV": "production", "SECRET_KEY": "k" * 40},
     "PORTAIL_BASE_URL : obligatoire en production"),
])
def test_each_wrong_setting_names_the_variable_in_french(environ, expected):
    with pytest.raises(config.ConfigError) as caught:
        config.from_environment(environ)
    assert caught.value.french().startswith(expected)
    # The source message stays English (logs, other languages later).
    assert "attendu" not in str(caught.value)


def test_an_upload_folder_that_cannot_be_created_is_refused(tmp_path):
    a_file = tmp_path / "fichier"
    a_file.write_text("x")
    with pytest.raises(config.ConfigError) as caught:
        config.from_environment({"UPLOAD_FOLDER": str(a_file / "documents")})
    assert caught.value.french() == (
        f"UPLOAD_FOLDER='{a_file / 'documents'}' : un dossier que le portail peut créer et où "
        "il peut écrire est attendu")


def test_good_production_settings_are_accepted():
    settings = config.from_environment({
        "PORTAIL_ENV": "production", "SECRET_KEY": "k" * 40,
        "PORTAIL_BASE_URL": "https://portail.example.org/",
        "DATABASE_URL": "postgres://portail@db.example.org/portail",
        "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587", "MAIL_USE_TLS": "true",
    })
    assert settings["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://portail@db.example.org/portail")
    assert settings["MAIL_PORT"] == 587 and settings["MAIL_USE_TLS"] is True
    assert settings["PORTAIL_BASE_URL"] == "https://portail.example.org"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["FAB_UPDATE_PERMS"] is False
