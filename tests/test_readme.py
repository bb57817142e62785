"""The README starts with the two commands a newcomer needs, and CI runs the
same test command as the README."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = ("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && "
         ".venv/bin/flask --app run portail demo && .venv/bin/python run.py")
TEST = "bash tools/test.sh"


def _code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S)]


def test_the_readme_begins_with_the_start_command_then_the_test_command():
    blocks = _code_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks[:2] == [START, TEST]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines() if not line.strip().startswith("#")]
    assert any(TEST in line for line in lines)
    assert "set -euo pipefail" in ci


def test_the_test_command_installs_and_runs_pytest():
    script = (ROOT / "tools" / "test.sh").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in script
    assert "requirements-dev.txt" in script
    assert '.venv/bin/python -m pytest "$@"' in script


def test_the_readme_names_every_environment_variable_of_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = (ROOT / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', config))
    names |= set(re.findall(r'for name in \(([^)]*)\)', config, re.S) and
                 re.findall(r'"([A-Z][A-Z_]+)"', " ".join(
                     re.findall(r'for name in \(([^)]*)\)', config, re.S))))
    assert names, "no variable found in config.py"
    absent = sorted(name for name in names if f"`{name}`" not in readme)
    assert absent == []
